# fluss-cpp top-level commands. `make run` and `make test` do all set-up on a fresh Debian 12 machine.
BUILD_DIR      ?= build
ASAN_BUILD_DIR ?= build-asan
FUZZ_BUILD_DIR ?= build-fuzz
FUZZ_TARGETS   := fuzz_seeds fuzz_log_batch fuzz_kv_formats fuzz_arrow fuzz_rpc_frames fuzz_metadata_file fuzz_iceberg_files
JOBS           ?= 2
# Unity build (CMakeLists.txt, FLUSS_UNITY_BUILD) for the build directories this Makefile creates:
# a cold build takes ~40% less CPU. UNITY=OFF for small batches-free rebuilds while editing.
UNITY          ?= ON
# Warnings are errors in CI (CI=true, as .ci/run and the clean-clone test set it); WERROR=ON/OFF overrides.
WERROR         ?= $(if $(CI),ON,OFF)
CMAKE_FLAGS    ?=
INTEROP_DIR    := tests/interop
PREFIX         ?= /usr/local
# cmake's generated Makefiles run make recursively; without this each of their ~55 targets prints
# "Entering/Leaving directory" lines.
MAKEFLAGS      += --no-print-directory

.PHONY: all deps build build-asan test unit-test process-test asan-test interop-deps run install cluster cluster-stop cluster-status bench bench-compare fuzz clean

all: build

deps:
	@scripts/install-deps.sh

$(BUILD_DIR)/CMakeCache.txt: | deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release -DFLUSS_UNITY_BUILD=$(UNITY) -DFLUSS_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null

build: deps $(BUILD_DIR)/CMakeCache.txt
	@cmake --build $(BUILD_DIR) -j$(JOBS)

$(ASAN_BUILD_DIR)/CMakeCache.txt: | deps
	@cmake -S . -B $(ASAN_BUILD_DIR) -DCMAKE_BUILD_TYPE=Debug -DFLUSS_SANITIZE=ON -DFLUSS_BUILD_BENCH=OFF \
	  -DFLUSS_UNITY_BUILD=$(UNITY) -DFLUSS_WERROR=$(WERROR) $(CMAKE_FLAGS) >/dev/null

# Only the unit-test binaries (and what they run): the process-level tests stay in the Release run.
build-asan: deps $(ASAN_BUILD_DIR)/CMakeCache.txt
	@cmake --build $(ASAN_BUILD_DIR) -j$(JOBS) --target fluss_unit_tests

# npm verifiers for the interop tests, pinned by tests/interop/package-lock.json.
$(INTEROP_DIR)/node_modules/.installed: $(INTEROP_DIR)/package.json $(INTEROP_DIR)/package-lock.json
	@cd $(INTEROP_DIR) && npm ci --no-audit --no-fund --loglevel=error >/dev/null
	@touch $@

interop-deps: $(INTEROP_DIR)/node_modules/.installed

# Every test in the Release build (unit tests included).
unit-test: build interop-deps
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS)

# The tests that start processes (integration, cli, interop, install) in Release, building only what
# they run: the unit tests run once, under sanitizers, in asan-test.
process-test: deps $(BUILD_DIR)/CMakeCache.txt interop-deps
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target fluss_process_tests
	@cd $(BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -LE unit -E "$$(cat unit-tests-not-built.regex)"

# Unit tests again under AddressSanitizer + UBSan in a Debug build (catches what Release hides).
asan-test: build-asan
	@cd $(ASAN_BUILD_DIR) && ctest --output-on-failure -j$(JOBS) -L unit

test: process-test asan-test

# Builds only what the demo runs (the server and the CLI), then scripts/run-demo.sh.
run: deps $(BUILD_DIR)/CMakeCache.txt
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target fluss_run_binaries
	@scripts/run-demo.sh $(BUILD_DIR)

# fluss, fluss-server and fluss-tiering into $(PREFIX)/bin, the client library, headers and CMake
# package into $(PREFIX)/lib and include (`make install PREFIX=$$HOME/.local`; /usr/local needs root).
install: deps $(BUILD_DIR)/CMakeCache.txt
	@cmake --build $(BUILD_DIR) -j$(JOBS) --target fluss-server fluss fluss-tiering fluss_client
	@cmake --install $(BUILD_DIR) --prefix $(PREFIX)

# A local cluster to try: ZooKeeper, a coordinator + a standby, 3 tablet servers on 127.0.0.1, data
# under ./cluster-data (scripts/cluster.sh; README "Try a cluster").
cluster: build
	@scripts/cluster.sh start $(BUILD_DIR)

cluster-status:
	@scripts/cluster.sh status $(BUILD_DIR)

cluster-stop:
	@scripts/cluster.sh stop

bench: build interop-deps
	@FLUSS_BENCH_DEPS=1 scripts/install-deps.sh
	@bench/run.sh $(BUILD_DIR)

# The same workloads against BASE (a git revision) and this tree, interleaved, 3 runs each
# (bench/compare.sh): the base is exported to $(BUILD_DIR)-base/src and built Release beside it.
BASE_BUILD_DIR := $(BUILD_DIR)-base
BENCH_COMPARE_TARGETS := fluss-server fluss-bench fluss_log_bench
bench-compare: build interop-deps
	@test -n "$(BASE)" || { echo "usage: make bench-compare BASE=<git revision>"; exit 2; }
	@FLUSS_BENCH_DEPS=1 scripts/install-deps.sh
	@rm -rf $(BASE_BUILD_DIR)/src && mkdir -p $(BASE_BUILD_DIR)/src && git archive $(BASE) | tar -x -C $(BASE_BUILD_DIR)/src
	@cmake -S $(BASE_BUILD_DIR)/src -B $(BASE_BUILD_DIR)/out -DCMAKE_BUILD_TYPE=Release -DFLUSS_BUILD_TESTS=OFF >/dev/null
	@cmake --build $(BASE_BUILD_DIR)/out -j$(JOBS) --target $(BENCH_COMPARE_TARGETS)
	@bench/compare.sh $(BASE_BUILD_DIR)/out $(BUILD_DIR) $(or $(RUNS),3)

# libFuzzer targets (clang, ASan + UBSan) run FUZZ_SECONDS each (default 60); not part of `make test`.
fuzz:
	@FLUSS_FUZZ_DEPS=1 scripts/install-deps.sh
	@test -f $(FUZZ_BUILD_DIR)/CMakeCache.txt || CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD_DIR) \
	  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DFLUSS_FUZZ=ON -DFLUSS_BUILD_TESTS=OFF -DFLUSS_BUILD_BENCH=OFF >/dev/null
	@cmake --build $(FUZZ_BUILD_DIR) -j$(JOBS) --target $(FUZZ_TARGETS)
	@tests/fuzz/run.sh $(FUZZ_BUILD_DIR)

clean:
	rm -rf $(BUILD_DIR) $(ASAN_BUILD_DIR) $(FUZZ_BUILD_DIR)

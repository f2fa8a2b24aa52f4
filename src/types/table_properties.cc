#include "types/table_properties.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>

#include <fmt/format.h>

#include "common/closest_name.h"
#include "common/config_value.h"
#include "common/ascii.h"
#include "types/auto_partition.h"

namespace fluss {
namespace {

enum class Kind { kBool, kInt, kDuration, kEnum, kString };

// One table property as Fluss defines it. Integers and durations (milliseconds) must lie in
// [min, max]; enum values are matched case-insensitively against `values`.
struct PropertySpec {
  std::string_view key;
  Kind kind;
  bool implemented;  // fluss-cpp acts on it
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  std::vector<std::string_view> values = {};
};

constexpr int64_t kIntMax = std::numeric_limits<int32_t>::max();

const std::vector<PropertySpec>& Specs() {
  static const std::vector<PropertySpec> kSpecs = {
      // Implemented.
      {"table.replication.factor", Kind::kInt, true, 1, kIntMax},
      {"table.log.format", Kind::kEnum, true, 0, 0, {"ARROW", "INDEXED", "COMPACTED"}},
      {"table.log.arrow.compression.type", Kind::kEnum, true, 0, 0, {"NONE", "LZ4_FRAME", "ZSTD"}},
      {"table.log.arrow.compression.zstd.level", Kind::kInt, true, 1, 22},
      {"table.kv.format", Kind::kEnum, true, 0, 0, {"COMPACTED", "INDEXED"}},
      {"table.merge-engine", Kind::kEnum, true, 0, 0, {"FIRST_ROW", "VERSIONED", "AGGREGATION"}},
      {"table.merge-engine.versioned.ver-column", Kind::kString, true},
      {"table.delete.behavior", Kind::kEnum, true, 0, 0, {"ALLOW", "IGNORE", "DISABLE"}},
      {"table.changelog.image", Kind::kEnum, true, 0, 0, {"FULL", "WAL"}},
      {"table.datalake.enabled", Kind::kBool, true},
      {"table.datalake.format", Kind::kEnum, true, 0, 0, {"PAIMON", "LANCE", "ICEBERG", "HUDI"}},
      {"table.datalake.freshness", Kind::kDuration, true, 1},
      {"table.auto-partition.enabled", Kind::kBool, true},
      {"table.auto-partition.key", Kind::kString, true},
      {"table.auto-partition.time-unit", Kind::kEnum, true, 0, 0, {"YEAR", "QUARTER", "MONTH", "DAY", "HOUR"}},
      {"table.auto-partition.time-format", Kind::kString, true},
      {"table.auto-partition.time-zone", Kind::kString, true},
      {"table.auto-partition.num-precreate", Kind::kInt, true, 0, kIntMax},
      // Negative: keep every partition.
      {"table.auto-partition.num-retention", Kind::kInt, true, -kIntMax - 1, kIntMax},
      // Defined by Fluss, accepted, not acted on by fluss-cpp.
      {"table.log.ttl", Kind::kDuration, false, 0},
      {"table.log.local-ttl", Kind::kDuration, false, 0},
      {"table.log.tiered.local-segments", Kind::kInt, false, 1, kIntMax},
      {"table.kv.format-version", Kind::kInt, false, 1, 2},
      {"table.kv.standby-replica.enabled", Kind::kBool, false},
      {"table.datalake.auto-compaction", Kind::kBool, false},
      {"table.datalake.auto-expire-snapshot", Kind::kBool, false},
      {"table.datalake.historical-partition.enabled", Kind::kBool, false},
      {"table.auto-increment.cache-size", Kind::kInt, false, 1},
      {"table.statistics.columns", Kind::kString, false},
  };
  return kSpecs;
}

const PropertySpec* FindSpec(std::string_view key) {
  for (const PropertySpec& s : Specs()) {
    if (s.key == key) return &s;
  }
  return nullptr;
}

Status Invalid(std::string_view key, std::string_view why) {
  return Status(ErrorCode::kInvalidConfig, fmt::format("table property '{}': {}", key, why));
}

std::optional<int64_t> ParseInteger(std::string_view text) {
  std::string t = TrimSpace(text);
  int64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) return std::nullopt;
  return v;
}

std::string RangeText(const PropertySpec& s) {
  if ((s.max == std::numeric_limits<int64_t>::max() || s.max == kIntMax) && s.min != -kIntMax - 1) {
    return fmt::format("at least {}", s.min);
  }
  return fmt::format("between {} and {}", s.min, s.max);
}

// Checks one value by its spec's type and range.
Status CheckValue(const PropertySpec& s, const std::string& value) {
  switch (s.kind) {
    case Kind::kBool: {
      std::string v = AsciiUpper(TrimSpace(value));
      if (v != "TRUE" && v != "FALSE") return Invalid(s.key, fmt::format("'{}' is not true or false", value));
      return Status::OK();
    }
    case Kind::kInt: {
      auto v = ParseInteger(value);
      if (!v) return Invalid(s.key, fmt::format("'{}' is not an integer", value));
      if (*v < s.min || *v > s.max) return Invalid(s.key, fmt::format("{} is not {}", *v, RangeText(s)));
      return Status::OK();
    }
    case Kind::kDuration: {
      auto ms = ParseDurationOption(s.key, value);
      if (!ms.ok()) return Invalid(s.key, fmt::format("'{}' is not a duration (e.g. 7d, 12h, 30min, 500ms)", value));
      if (*ms < 0) return Invalid(s.key, fmt::format("'{}' is negative", value));
      if (*ms < s.min) return Invalid(s.key, fmt::format("'{}' must be a positive duration (e.g. 3min, 30s)", value));
      return Status::OK();
    }
    case Kind::kEnum: {
      const std::string v = AsciiUpper(TrimSpace(value));
      for (std::string_view allowed : s.values) {
        if (v == allowed) return Status::OK();
      }
      return Invalid(s.key, fmt::format("'{}' is not one of {}", value, fmt::join(s.values, ", ")));
    }
    case Kind::kString:
      if (TrimSpace(value).empty()) return Invalid(s.key, "the value is empty");
      return Status::OK();
  }
  return Status::OK();
}

std::string Get(const std::map<std::string, std::string>& props, std::string_view key) {
  auto it = props.find(std::string(key));
  return it == props.end() ? std::string() : AsciiUpper(TrimSpace(it->second));
}

bool Has(const std::map<std::string, std::string>& props, std::string_view key) {
  return props.count(std::string(key)) > 0;
}

// The column a `fields.<column>.<suffix>` key names, for the suffixes fluss-cpp knows; nullopt for
// any other key.
std::optional<std::string> FieldsColumn(std::string_view key) {
  for (std::string_view suffix : {std::string_view(".listagg.delimiter"), std::string_view(".agg")}) {
    if (key.size() > 7 + suffix.size() && key.ends_with(suffix)) {
      return std::string(key.substr(7, key.size() - 7 - suffix.size()));
    }
  }
  return std::nullopt;
}

// The rules between properties and with the schema, after every value passed CheckValue.
Status CheckCombinations(const TableDescriptor& d) {
  const auto& props = d.properties();
  const Schema& schema = d.schema();
  const bool pk = d.has_primary_key();
  if (Has(props, "table.log.format") && Get(props, "table.log.format") != "ARROW") {
    return Invalid("table.log.format", fmt::format("'{}' is not supported: fluss-cpp writes ARROW logs only",
                                                   props.at("table.log.format")));
  }
  if (Has(props, "table.kv.format") && Get(props, "table.kv.format") != "COMPACTED") {
    return Invalid("table.kv.format", fmt::format("'{}' is not supported: fluss-cpp stores COMPACTED rows only",
                                                  props.at("table.kv.format")));
  }
  if (Has(props, "table.datalake.format") && Get(props, "table.datalake.format") != "ICEBERG") {
    return Invalid("table.datalake.format", fmt::format("'{}' is not supported: fluss-cpp tiers to 'iceberg' only",
                                                        props.at("table.datalake.format")));
  }
  const std::string engine = Get(props, "table.merge-engine");
  if (!engine.empty() && !pk) {
    return Invalid("table.merge-engine", "a merge engine needs a primary-key table; this table has no primary key");
  }
  if (Has(props, "table.delete.behavior") && !pk) {
    return Invalid("table.delete.behavior", "only a primary-key table has deletes; this table has no primary key");
  }
  if ((engine == "FIRST_ROW" || engine == "VERSIONED") && Get(props, "table.delete.behavior") == "ALLOW") {
    return Invalid("table.delete.behavior",
                   fmt::format("'allow' is not possible with merge engine '{}' (use ignore or disable)",
                               props.at("table.merge-engine")));
  }
  if (engine == "VERSIONED") {
    auto it = props.find("table.merge-engine.versioned.ver-column");
    if (it == props.end()) {
      return Invalid("table.merge-engine", "'versioned' needs table.merge-engine.versioned.ver-column");
    }
    auto idx = schema.IndexOf(it->second);
    if (!idx) {
      return Invalid(it->first, fmt::format("column '{}' does not exist", it->second));
    }
    const TypeRoot r = schema.column(*idx).type.root();
    if (r != TypeRoot::kInt && r != TypeRoot::kBigInt && r != TypeRoot::kTimestamp && r != TypeRoot::kTimestampLtz) {
      return Invalid(it->first, fmt::format("column '{}' is {}; the version column must be INT, BIGINT, TIMESTAMP "
                                            "or TIMESTAMP_LTZ",
                                            it->second, schema.column(*idx).type.ToString()));
    }
  }
  if (engine == "AGGREGATION" && Get(props, "table.changelog.image") == "WAL") {
    return Invalid("table.changelog.image", "'WAL' is not possible with merge engine 'aggregation' (use FULL)");
  }
  if (Has(props, "table.log.ttl") && Has(props, "table.log.local-ttl")) {
    const int64_t ttl = ParseDurationOption("", props.at("table.log.ttl")).ValueOr(0);
    const int64_t local = ParseDurationOption("", props.at("table.log.local-ttl")).ValueOr(0);
    if (ttl > 0 && local > ttl) {
      return Invalid("table.log.local-ttl", fmt::format("'{}' is longer than table.log.ttl '{}'",
                                                        props.at("table.log.local-ttl"), props.at("table.log.ttl")));
    }
  }
  if (auto it = props.find("table.statistics.columns"); it != props.end() && TrimSpace(it->second) != "*") {
    const std::string& list = it->second;
    size_t pos = 0;
    while (pos <= list.size()) {
      size_t comma = list.find(',', pos);
      if (comma == std::string::npos) comma = list.size();
      const std::string name = TrimSpace(std::string_view(list).substr(pos, comma - pos));
      pos = comma + 1;
      if (!schema.IndexOf(name)) {
        return Invalid(it->first, fmt::format("'{}' is not a column of the table ('*' or a comma-separated list of "
                                              "columns)",
                                              name));
      }
    }
  }
  FLUSS_RETURN_NOT_OK(CheckAutoPartitionOptions(d));
  for (const auto& [key, value] : props) {
    if (!key.starts_with("fields.")) continue;
    auto column = FieldsColumn(key);
    if (!column) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("unknown table property '{}' (the per-column keys are fields.<column>.agg and "
                                "fields.<column>.listagg.delimiter)",
                                key));
    }
    if (!schema.IndexOf(*column)) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("table property '{}': column '{}' does not exist", key, *column));
    }
    if (engine != "AGGREGATION") {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("table property '{}': per-column aggregation needs table.merge-engine=aggregation", key));
    }
  }
  return Status::OK();
}

std::vector<std::string_view> UpstreamNames() {
  std::vector<std::string_view> names;
  for (const PropertySpec& s : Specs()) names.push_back(s.key);
  return names;
}

}  // namespace

Result<TablePropertyCheck> CheckTableProperties(const TableDescriptor& descriptor) {
  TablePropertyCheck check;
  for (const auto& [key, value] : descriptor.properties()) {
    if (key.starts_with("fields.")) continue;  // CheckCombinations
    if (!key.starts_with("table.")) {
      return Status(ErrorCode::kInvalidConfig,
                    fmt::format("'{}' is not a table property (those are Fluss's 'table.*' keys); keys of your own are "
                                "custom properties",
                                key));
    }
    const PropertySpec* spec = FindSpec(key);
    if (spec == nullptr) {
      std::string hint = DidYouMean(key, UpstreamNames());
      if (hint.empty()) hint = " (docs/configuration.md lists them; keys of your own are custom properties)";
      return Status(ErrorCode::kInvalidConfig, fmt::format("unknown table property '{}'{}", key, hint));
    }
    FLUSS_RETURN_NOT_OK(CheckValue(*spec, value));
    if (!spec->implemented) check.not_implemented.push_back(key);
  }
  FLUSS_RETURN_NOT_OK(CheckCombinations(descriptor));
  return check;
}

Result<TablePropertyCheck> CheckTablePropertiesForCreate(const TablePath& path, const TableDescriptor& descriptor) {
  auto check = CheckTableProperties(descriptor);
  if (!check.ok()) {
    return check.status().WithContext(fmt::format("cannot create '{}'", path.ToString()));
  }
  return check;
}

bool IsUpstreamTableProperty(std::string_view key) { return FindSpec(key) != nullptr; }

const std::vector<std::string_view>& NotImplementedTableProperties() {
  static const std::vector<std::string_view> kKeys = [] {
    std::vector<std::string_view> keys;
    for (const PropertySpec& s : Specs()) {
      if (!s.implemented) keys.push_back(s.key);
    }
    return keys;
  }();
  return kKeys;
}

}  // namespace fluss

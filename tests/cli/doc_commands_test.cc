// The commands of README.md and docs/cli.md, extracted from the markdown and run against real
// fluss-server processes, so the documents cannot drift from what the binaries do.
//
// What is run, per document, in order (one fresh server per document):
//   - ```sh blocks: every command line (with its \ continuations); each must exit 0. A
//     `fluss-server ...` line starts a server with the line's --set options (on a free loopback
//     port; the previous one of the document is stopped first, its data dir kept) and
//     `export NAME=VALUE` sets a variable for the later commands.
//   - blocks with `$ ` prompts (sessions): each `$ command` and the output shown under it, which
//     must equal what the command prints on stdout and stderr; `$ echo $?` shows the exit code of
//     the command before it (else it must be 0).
//   - a block preceded by `<!-- doc-test: skip: <reason> -->` is not run; the reason is printed.
// Commands run with bash in a scratch directory (holding `examples/` of the repository), with
// `fluss` on PATH and FLUSS_BOOTSTRAP naming the document's server. A command with --follow or
// --snapshot-then-follow gets Ctrl-C (SIGINT) once it printed the output shown (at least one line)
// and must then exit 0. Addresses and paths of the documents are mapped to the test's (kPlaceholders);
// times, rates and creation dates are compared as placeholders (Normalize).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "support/server_process.h"
#include "support/temp_dir.h"

namespace fluss {
namespace {

namespace fs = std::filesystem;
using testing::ServerProcess;
using testing::ServerProcessOptions;


std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out.push_back(line);
  return out;
}

bool StartsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// ---- the documents' commands -------------------------------------------------------------------

struct DocCommand {
  int line = 0;          // where the command starts in the document (1-based)
  std::string text;      // as bash reads it (continuation lines included)
  bool session = false;  // from a `$ ` block: `expected` is the output shown
  std::string expected;
  std::optional<int> exit_code;  // from a following `$ echo $?`
};

struct DocBlock {
  int line = 0;             // the opening fence
  std::string skip_reason;  // non-empty: not run
  std::vector<DocCommand> commands;
};

// The runnable blocks of a markdown document (see the file comment).
std::vector<DocBlock> ExtractBlocks(const std::string& markdown) {
  const std::vector<std::string> lines = SplitLines(markdown);
  static const std::regex kSkip(R"(^<!-- doc-test: skip: (.+) -->\s*$)");
  std::vector<DocBlock> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!StartsWith(lines[i], "```")) continue;
    const std::string info = lines[i].substr(3);
    size_t end = i + 1;
    while (end < lines.size() && !StartsWith(lines[end], "```")) ++end;
    std::vector<std::string> body(lines.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                  lines.begin() + static_cast<std::ptrdiff_t>(std::min(end, lines.size())));
    DocBlock block;
    block.line = static_cast<int>(i) + 1;
    std::smatch m;
    if (i > 0 && std::regex_match(lines[i - 1], m, kSkip)) block.skip_reason = m[1];
    const bool session = std::any_of(body.begin(), body.end(), [](const std::string& l) { return StartsWith(l, "$ "); });
    bool continued = false;  // the last command ends in a backslash
    for (size_t k = 0; k < body.size(); ++k) {
      const std::string& l = body[k];
      const int line_no = block.line + 1 + static_cast<int>(k);
      if (continued) {
        block.commands.back().text += "\n" + l;
        continued = !l.empty() && l.back() == '\\';
        continue;
      }
      if (session) {
        if (StartsWith(l, "$ echo $?")) {
          // The output line under it is the exit code of the command before.
          if (!block.commands.empty() && k + 1 < body.size()) block.commands.back().exit_code = std::atoi(body[++k].c_str());
        } else if (StartsWith(l, "$ ")) {
          block.commands.push_back(DocCommand{line_no, l.substr(2), true, "", std::nullopt});
          continued = l.back() == '\\';
        } else if (!block.commands.empty()) {
          block.commands.back().expected += l + "\n";
        }
      } else if (info == "sh") {
        const size_t first = l.find_first_not_of(' ');
        if (first == std::string::npos || l[first] == '#') continue;
        block.commands.push_back(DocCommand{line_no, l, false, "", std::nullopt});
        continued = l.back() == '\\';
      }
    }
    if (!block.commands.empty()) blocks.push_back(std::move(block));
    i = end;
  }
  return blocks;
}

// The command without a trailing `# comment` (outside quotes).
std::string WithoutComment(const std::string& command) {
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '#' && (i == 0 || command[i - 1] == ' ')) {
      return command.substr(0, i);
    }
  }
  return command;
}

// Words as the shell splits them (quotes and backslash-newlines; no expansion).
std::vector<std::string> ShellWords(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < command.size() && command[i + 1] == '\n') {
      ++i;
    } else if (c == ' ' || c == '\n' || c == '\t') {
      if (in_word) words.push_back(word);
      word.clear();
      in_word = false;
    } else {
      word += c;
      in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

// Times, rates and dates that differ from run to run, as placeholders; progress lines (printed
// only when a write takes over a second) and trailing spaces dropped.
std::string Normalize(const std::string& text) {
  static const std::regex kSummary(
      R"(^((produced|upserted|deleted) \d+ rows? (to|into|from) \S+) in [\d.]+ s \(\d+ rows/s, [\d.]+ MB/s\)(; created \d+ partitions?)?$)");
  static const std::regex kProgress(R"(^(produced|upserted|deleted) \d+ rows?(, .*)? \(\d+ rows/s, .*\)$)");
  static const std::regex kDate(R"(^(created|modified):(\s+)\S+ \S+$)");
  std::string out;
  for (std::string line : SplitLines(text)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (std::regex_match(line, kProgress)) continue;
    line = std::regex_replace(line, kSummary, "$1 in <seconds> s (<rates>)$4");
    line = std::regex_replace(line, kDate, "$1:$2<time>");
    out += line + "\n";
  }
  return out;
}

// ---- running them -------------------------------------------------------------------------------

struct Ran {
  int exit_code = -1;
  std::string output;  // stdout and stderr, interleaved as written
};

class DocRunner {
 public:
  explicit DocRunner(std::string name) : name_(std::move(name)) {
    root_ = fs::temp_directory_path() / fmt::format("fluss-doc-{}-{}", name_, getpid());
    fs::remove_all(root_);
    fs::create_directories(root_ / "bin");
    fs::create_directories(root_ / "work");
    fs::create_symlink(FLUSS_CLI_BINARY, root_ / "bin" / "fluss");
    fs::create_directory_symlink(fs::path(FLUSS_SOURCE_DIR) / "examples", root_ / "work" / "examples");
    placeholders_ = {
        {"/var/lib/fluss-lake", (root_ / "lake").string()},
        {"/var/lib/fluss", (root_ / "data").string()},
        {"127.0.0.1:9999", fmt::format("127.0.0.1:{}", ClosedPort())},
    };
  }
  ~DocRunner() {
    server_.reset();
    if (std::getenv("FLUSS_KEEP_TEST_DIRS") == nullptr) fs::remove_all(root_);
  }

  // Runs one block's commands in order, reporting each failure with its document line.
  void Run(const DocBlock& block, const std::string& doc) {
    for (const DocCommand& c : block.commands) {
      const std::string command = Substitute(c.text);
      const std::vector<std::string> words = ShellWords(WithoutComment(command));
      ++commands_run_;
      if (!words.empty() && words[0] == "export") {
        for (size_t k = 1; k < words.size(); ++k) {
          const size_t eq = words[k].find('=');
          if (eq != std::string::npos) env_[words[k].substr(0, eq)] = words[k].substr(eq + 1);
        }
        continue;
      }
      if (!words.empty() && words[0].size() >= 12 && words[0].substr(words[0].size() - 12) == "fluss-server") {
        StartServer(words, doc, c.line);
        continue;
      }
      if (!server_) StartServer({"fluss-server"}, doc, c.line);
      const std::string where = fmt::format("{}:{}: {}", doc, c.line, c.text);
      const bool follows = WithoutComment(command).find("--follow") != std::string::npos ||
                           WithoutComment(command).find("--snapshot-then-follow") != std::string::npos;
      if (follows && c.session && c.expected.empty()) {
        ADD_FAILURE() << where << "\n  a following command must show output to wait for (or mark the block skipped)";
        continue;
      }
      const size_t wait_lines = follows ? std::max<size_t>(1, SplitLines(c.expected).size()) : 0;
      Ran r = Execute(command, wait_lines);
      EXPECT_EQ(r.exit_code, c.exit_code.value_or(0)) << where << "\n  output:\n" << r.output;
      if (c.session) {
        EXPECT_EQ(Normalize(r.output), Normalize(Substitute(c.expected))) << where;
      }
    }
  }

  int commands_run() const { return commands_run_; }

 private:
  static uint16_t ClosedPort() {
    // A port nothing listens on: bound, read, closed.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

  std::string Substitute(std::string text) const {
    std::vector<std::pair<std::string, std::string>> all = placeholders_;
    if (server_) {
      all.emplace_back("127.0.0.1:9123", server_->address());
      all.emplace_back("localhost:9123", server_->address());
    }
    for (const auto& [from, to] : all) {
      for (size_t pos = text.find(from); pos != std::string::npos; pos = text.find(from, pos + to.size())) {
        text.replace(pos, from.size(), to);
      }
    }
    return text;
  }

  // A `fluss-server` line: its --set options (bind.listeners aside: a free loopback port), its
  // data.dir (default: the document's) and other arguments.
  void StartServer(const std::vector<std::string>& words, const std::string& doc, int line) {
    if (server_) { EXPECT_TRUE(server_->Stop().ok()) << doc << ":" << line << ": the previous server did not stop cleanly"; }
    server_.reset();  // (its data dir stays: the new server may be the same one restarted)
    ServerProcessOptions options;
    options.data_dir = (root_ / "data").string();
    for (size_t k = 1; k < words.size(); ++k) {
      if (words[k] == "--set" && k + 1 < words.size()) {
        const std::string kv = words[++k];
        if (StartsWith(kv, "bind.listeners=")) continue;
        if (StartsWith(kv, "data.dir=")) {
          options.data_dir = kv.substr(9);
          continue;
        }
        options.sets.push_back(kv);
      } else {
        options.args.push_back(words[k]);
      }
    }
    auto s = ServerProcess::Start(options);
    ASSERT_TRUE(s.ok()) << doc << ":" << line << ": cannot start the server: " << s.status().ToString();
    server_ = std::move(s).value();
    env_["FLUSS_BOOTSTRAP"] = server_->address();
  }

  // Runs `command` with bash; with wait_lines > 0, sends SIGINT to its process group once it has
  // printed that many lines (or after a generous deadline).
  Ran Execute(const std::string& command, size_t wait_lines) {
    const std::string out_path = (root_ / fmt::format("out{}", ++serial_)).string();
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view var(*e);
      if (!StartsWith(var, "FLUSS_BOOTSTRAP=") && !StartsWith(var, "FLUSS_WAREHOUSE=") && !StartsWith(var, "PATH=")) {
        env_strings.emplace_back(var);
      }
    }
    const char* path = std::getenv("PATH");
    env_strings.push_back(fmt::format("PATH={}:{}", (root_ / "bin").string(), path ? path : "/usr/bin:/bin"));
    for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& e : env_strings) envp.push_back(e.data());
    envp.push_back(nullptr);
    std::string bash = "bash", flag = "-c", cmd = command;
    std::vector<char*> argv = {bash.data(), flag.data(), cmd.data(), nullptr};
    const std::string work = (root_ / "work").string();

    const pid_t pid = fork();
    if (pid == 0) {
      setpgid(0, 0);
      int in = open("/dev/null", O_RDONLY);
      int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (in < 0 || out < 0 || chdir(work.c_str()) != 0) _exit(126);
      dup2(in, 0);
      dup2(out, 1);
      dup2(out, 2);
      execve("/bin/bash", argv.data(), envp.data());
      _exit(127);
    }
    setpgid(pid, pid);  // (also here: no race with the kill below)
    Ran r;
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool interrupted = wait_lines == 0;
    while (waitpid(pid, &status, WNOHANG) == 0) {
      const bool late = std::chrono::steady_clock::now() > deadline;
      if (!interrupted && (late || SplitLines(testing::ReadFileToString(out_path)).size() >= wait_lines)) {
        kill(-pid, SIGINT);
        interrupted = true;
      } else if (late && std::chrono::steady_clock::now() > deadline + std::chrono::seconds(10)) {
        kill(-pid, SIGKILL);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.output = testing::ReadFileToString(out_path);
    return r;
  }

  std::string name_;
  fs::path root_;
  std::vector<std::pair<std::string, std::string>> placeholders_;
  std::map<std::string, std::string> env_;
  std::unique_ptr<ServerProcess> server_;
  int serial_ = 0;
  int commands_run_ = 0;
};

// Runs every block of the document; the skipped ones are listed (with their reasons) in the output.
int RunDocument(const std::string& relative_path) {
  const std::string text = testing::ReadFileToString(std::string(FLUSS_SOURCE_DIR) + "/" + relative_path);
  EXPECT_FALSE(text.empty()) << relative_path;
  DocRunner runner(fs::path(relative_path).stem().string());
  for (const DocBlock& block : ExtractBlocks(text)) {
    if (!block.skip_reason.empty()) {
      std::cout << fmt::format("[ not run  ] {}:{}: {}\n", relative_path, block.line, block.skip_reason);
      continue;
    }
    runner.Run(block, relative_path);
    if (::testing::Test::HasFatalFailure()) break;
  }
  return runner.commands_run();
}

TEST(DocCommandsTest, ExtractionFindsSessionsScriptsContinuationsAndSkips) {
  const auto blocks = ExtractBlocks(
      "text\n"
      "```sh\n"
      "# a comment\n"
      "fluss db create shop\n"
      "fluss table create shop.t \\\n"
      "    --schema \"id INT\"   # trailing comment\n"
      "```\n"
      "```\n"
      "fluss scan <db.table> [--limit N]\n"
      "```\n"
      "```\n"
      "$ fluss scan shop.t --format csv\n"
      "id\n"
      "$ fluss nope\n"
      "fluss: unknown command 'nope'\n"
      "$ echo $?\n"
      "2\n"
      "```\n"
      "<!-- doc-test: skip: needs a cluster -->\n"
      "```sh\n"
      "fluss cluster status\n"
      "```\n");
  ASSERT_EQ(blocks.size(), 3u);  // the synopsis block has no commands
  ASSERT_EQ(blocks[0].commands.size(), 2u);
  EXPECT_EQ(blocks[0].commands[1].text, "fluss table create shop.t \\\n    --schema \"id INT\"   # trailing comment");
  EXPECT_EQ(blocks[0].commands[1].line, 5);
  EXPECT_EQ(ShellWords(WithoutComment(blocks[0].commands[1].text)),
            (std::vector<std::string>{"fluss", "table", "create", "shop.t", "--schema", "id INT"}));
  ASSERT_EQ(blocks[1].commands.size(), 2u);
  EXPECT_EQ(blocks[1].commands[0].expected, "id\n");
  EXPECT_EQ(blocks[1].commands[0].exit_code, std::nullopt);
  EXPECT_EQ(blocks[1].commands[1].expected, "fluss: unknown command 'nope'\n");
  EXPECT_EQ(blocks[1].commands[1].exit_code, 2);
  EXPECT_EQ(blocks[2].skip_reason, "needs a cluster");
  EXPECT_EQ(Normalize("produced 3 rows to shop.t in 0.01 s (300 rows/s, 0.00 MB/s)\n"),
            "produced 3 rows to shop.t in <seconds> s (<rates>)\n");
  EXPECT_EQ(Normalize("produced 1 row (5 rows/s, 0.00 MB/s)\nx  \n"), "x\n");
}

TEST(DocCommandsTest, ReadmeCommandsRun) {
  const int n = RunDocument("README.md");
  EXPECT_GE(n, 15) << "fewer README commands than expected: is the extraction broken?";
}

TEST(DocCommandsTest, CliGuideCommandsRunAndPrintWhatTheyShow) {
  const int n = RunDocument("docs/cli.md");
  EXPECT_GE(n, 20) << "fewer docs/cli.md commands than expected: is the extraction broken?";
}

}  // namespace
}  // namespace fluss

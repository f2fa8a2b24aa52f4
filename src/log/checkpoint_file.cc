#include "log/checkpoint_file.h"

#include <fmt/format.h>

#include <charconv>
#include <sstream>

#include "log/file_io.h"

namespace fluss {

std::string FormatCheckpointText(const std::vector<std::pair<std::string, int64_t>>& entries) {
  std::string out = fmt::format("0\n{}\n", entries.size());
  for (const auto& [key, value] : entries) out += fmt::format("{} {}\n", key, value);
  return out;
}

Result<std::vector<std::pair<std::string, int64_t>>> ParseCheckpointText(std::string_view text, const std::string& path) {
  std::istringstream in{std::string(text)};
  auto bad = [&](std::string_view why) { return Status::Corruption(fmt::format("checkpoint '{}': {}", path, why)); };
  std::string line;
  if (!std::getline(in, line) || line != "0") return bad("unknown version line");
  if (!std::getline(in, line)) return bad("missing count line");
  size_t count = 0;
  if (std::from_chars(line.data(), line.data() + line.size(), count).ec != std::errc()) return bad("bad count");
  std::vector<std::pair<std::string, int64_t>> entries;
  for (size_t i = 0; i < count; ++i) {
    if (!std::getline(in, line)) return bad(fmt::format("{} entries announced, {} present", count, i));
    size_t space = line.rfind(' ');
    if (space == std::string::npos || space == 0) return bad(fmt::format("malformed entry '{}'", line));
    int64_t value = 0;
    const char* b = line.data() + space + 1;
    const char* e = line.data() + line.size();
    auto [end, ec] = std::from_chars(b, e, value);
    if (ec != std::errc() || end != e) return bad(fmt::format("malformed offset in '{}'", line));
    entries.emplace_back(line.substr(0, space), value);
  }
  return entries;
}

Status OffsetCheckpointFile::Write(const std::map<std::string, int64_t>& offsets) const {
  std::vector<std::pair<std::string, int64_t>> entries(offsets.begin(), offsets.end());
  return WriteFileDurably(*fs_, path_, FormatCheckpointText(entries));
}

Result<std::map<std::string, int64_t>> OffsetCheckpointFile::Read() const {
  std::map<std::string, int64_t> out;
  FLUSS_ASSIGN_OR_RETURN(bool exists, fs_->Exists(path_));
  if (!exists) return out;
  FLUSS_ASSIGN_OR_RETURN(auto bytes, fs_->ReadFile(path_));
  const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  FLUSS_ASSIGN_OR_RETURN(auto entries, ParseCheckpointText(text, path_));
  for (auto& [k, v] : entries) out[k] = v;
  return out;
}

}  // namespace fluss

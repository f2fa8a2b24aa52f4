#include "cli/suggest.h"

#include <algorithm>
#include <cctype>

namespace fluss::cli {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  // d[i][j]: the distance of a[0, i) and b[0, j); three rows are enough for the swap case.
  const size_t n = b.size();
  std::vector<size_t> before(n + 1), prev(n + 1), cur(n + 1);
  for (size_t j = 0; j <= n; ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= n; ++j) {
      const bool same = Lower(a[i - 1]) == Lower(b[j - 1]);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (same ? 0 : 1)});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) && Lower(a[i - 2]) == Lower(b[j - 1])) {
        cur[j] = std::min(cur[j], before[j - 2] + 1);
      }
    }
    before.swap(prev);
    prev.swap(cur);
  }
  return prev[n];
}

std::optional<std::string> ClosestName(std::string_view word, const std::vector<std::string>& names) {
  if (word.empty()) return std::nullopt;
  std::optional<std::string> prefix_of;
  size_t prefixes = 0;
  for (const auto& name : names) {
    if (name == word) return std::nullopt;
    if (name.size() > word.size() && EditDistance(name.substr(0, word.size()), word) == 0) {
      ++prefixes;
      prefix_of = name;
    }
  }
  if (prefixes == 1) return prefix_of;
  std::optional<std::string> best;
  size_t best_distance = 3;
  for (const auto& name : names) {
    const size_t d = EditDistance(word, name);
    if (d < best_distance && d < word.size()) {
      best_distance = d;
      best = name;
    }
  }
  return best;
}

}  // namespace fluss::cli

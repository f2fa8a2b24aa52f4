// "Did you mean ...?" for mistyped names (options, table properties): the candidate nearest to a
// name by edit distance, when it is near enough to be a likely typo.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluss {

// Edit distance counting insertions, deletions, substitutions and swaps of two adjacent characters
// as one edit each (optimal string alignment).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate nearest to `name` when at most max(1, min(3, |name| / 4)) edits away (ties: the
// first one listed); nullopt otherwise.
std::optional<std::string> ClosestName(std::string_view name, const std::vector<std::string_view>& candidates);

// "; did you mean 'data.dir'?" for ClosestName's answer, or "" when there is none.
std::string DidYouMean(std::string_view name, const std::vector<std::string_view>& candidates);

}  // namespace fluss

// "Did you mean ...?" for a mistyped name (a command, a column): the closest of the valid names.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluss::cli {

// The number of single-character insertions, deletions, substitutions and swaps of two neighbours
// that turn `a` into `b` (optimal string alignment distance), comparing ASCII letters in any case.
size_t EditDistance(std::string_view a, std::string_view b);

// The name `word` most likely meant: the one a unique prefix of which it is ("prod" -> "produce"),
// else the nearest by EditDistance when that is at most 2 and smaller than the word's length
// (ties: the first in `names`). nullopt when none is close or `word` is itself a name.
std::optional<std::string> ClosestName(std::string_view word, const std::vector<std::string>& names);

}  // namespace fluss::cli

#pragma once
// "Did you mean" for misspelt keys and keywords: the closest candidate by edit distance
// (optimal string alignment: insertions, deletions, substitutions and adjacent transpositions).

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace weir::config {

/// The number of single-character edits (an adjacent swap counts as one) from `a` to `b`.
size_t editDistance(std::string_view a, std::string_view b);

/// The candidate nearest to `word` when it is a plausible typo of it: at most 2 edits, and no
/// more than half the word's length rounded up. The first candidate wins ties.
std::optional<std::string> suggestKey(std::string_view word,
                                      std::span<const std::string_view> candidates);

}  // namespace weir::config

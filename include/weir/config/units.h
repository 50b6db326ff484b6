#pragma once
// The units the config is written in: durations (`250ms`, `5s`, `2m`, `1h`, `1d`, `1y`, a bare
// number is milliseconds) and sizes (`512`, `16k`, `64m`, `1g`, binary multiples). Pure
// functions; no YAML.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weir::config {

/// Parses a non-negative duration. On failure returns nullopt and sets *error to a sentence
/// that names the text, e.g. "'5x' is not a duration (use ms, s, m, h, d or y)".
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, std::string* error);

/// Parses a non-negative size in bytes; k, m and g (either case) are 2^10, 2^20 and 2^30.
std::optional<uint64_t> parseSize(std::string_view text, std::string* error);

}  // namespace weir::config

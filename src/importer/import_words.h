#pragma once
// What both importers need: words of a directive (quotes and backslashes as the source
// format has them) and durations in weir's units.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <yaml-cpp/yaml.h>

namespace weir::importer {

/// Splits one haproxy.cfg line into words: blanks separate, "..." and '...' quote, a backslash
/// escapes the next character, an unquoted '#' starts a comment.
std::vector<std::string> splitHaproxyWords(std::string_view line);

/// A duration in weir's syntax ("5000ms", "50s") from HAProxy's (bare = milliseconds) or
/// nginx's (bare = seconds) form; nullopt for units weir has no word for.
std::optional<std::string> haproxyDuration(const std::string& text);
std::optional<std::string> nginxDuration(const std::string& text);

/// A whole decimal int; nullopt for anything else (never throws).
std::optional<int> toInt(std::string_view text);
/// A number as a YAML int, anything else as the text itself: `weir -c` then says what is wrong.
YAML::Node numberOrText(const std::string& text);

/// Joins words with single spaces (a directive as written, for notes and rules).
std::string joinWords(const std::vector<std::string>& words, size_t from = 0);

/// Whether `map` has `key` (reading through a const node: a non-const operator[] may add it).
inline bool has(const YAML::Node& map, const std::string& key) { return map.IsMap() && map[key].IsDefined(); }

}  // namespace weir::importer

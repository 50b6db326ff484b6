#pragma once
// `${VAR}` in a config value is replaced by the environment variable VAR (CONFIG.md). A `$` not
// followed by `{` is kept as written.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace weir::config {

/// Returns the value of a variable, or nullopt when it is not set.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// Looks the variable up with getenv().
std::optional<std::string> processEnv(const std::string& name);

/// Expands every `${VAR}` in `text`. On a missing variable, an unterminated `${` or an invalid
/// name, returns nullopt and sets *error (e.g. "environment variable 'X' is not set").
std::optional<std::string> expandEnvVars(std::string_view text, std::string* error,
                                         const EnvLookup& lookup = processEnv);

}  // namespace weir::config

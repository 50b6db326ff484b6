#pragma once
// Loads a weir YAML file into config::Config, validating every field once.
// Errors read `file:line:col: key.path: what is wrong`; warnings (keys accepted but not yet
// implemented) use the same form.

#include <optional>
#include <string>
#include <vector>

#include "weir/config/config.h"

namespace weir::config {

struct LoadResult {
  bool ok = false;
  Config config;
  std::vector<std::string> errors;    // each "file:line:col: key.path: message"
  std::vector<std::string> warnings;  // same form
};

/// Loads from a file path (the path is used in messages).
LoadResult loadConfigFile(const std::string& path);
/// Loads from text; `name` stands for the file in messages. For tests.
LoadResult loadConfigText(const std::string& text, const std::string& name);

/// Why `name` is not a valid frontend, backend or server name (letters, digits, '-', '_', '.',
/// ':'), or nullopt when it is. Also for servers the runtime API adds.
std::optional<std::string> nameError(const std::string& name);

}  // namespace weir::config

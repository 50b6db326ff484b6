#include "weir/config/env_expander.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace weir::config {
namespace {

bool isValidName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name.front()))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

}  // namespace

std::optional<std::string> processEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

std::optional<std::string> expandEnvVars(std::string_view text, std::string* error,
                                         const EnvLookup& lookup) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t open = text.find("${", pos);
    out.append(text.substr(pos, open - pos));
    if (open == std::string_view::npos) return out;
    const size_t close = text.find('}', open + 2);
    if (close == std::string_view::npos) {
      *error = "unterminated '${' in '" + std::string(text) + "'";
      return std::nullopt;
    }
    const std::string name(text.substr(open + 2, close - open - 2));
    if (!isValidName(name)) {
      *error = "'${" + name + "}' is not a valid environment variable name";
      return std::nullopt;
    }
    const std::optional<std::string> value = lookup(name);
    if (!value) {
      *error = "environment variable '" + name + "' is not set";
      return std::nullopt;
    }
    out += *value;
    pos = close + 1;
  }
}

}  // namespace weir::config

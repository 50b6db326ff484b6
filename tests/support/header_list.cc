#include "support/header_list.h"

#include <algorithm>
#include <cctype>

namespace weir::test {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trimWhitespace(std::string_view text) {
  const auto isSpace = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!text.empty() && isSpace(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && isSpace(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

void HeaderList::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

std::optional<std::string> HeaderList::get(std::string_view name) const {
  for (const auto& [fieldName, fieldValue] : fields_) {
    if (equalsIgnoreCase(fieldName, name)) {
      return fieldValue;
    }
  }
  return std::nullopt;
}

std::vector<std::string> HeaderList::getAll(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [fieldName, fieldValue] : fields_) {
    if (equalsIgnoreCase(fieldName, name)) {
      values.push_back(fieldValue);
    }
  }
  return values;
}

HeaderList parseHeaderLines(std::string_view lines) {
  HeaderList headers;
  while (!lines.empty()) {
    const std::size_t end = lines.find('\n');
    const std::string_view line = lines.substr(0, end);
    lines = end == std::string_view::npos ? std::string_view() : lines.substr(end + 1);
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      continue;
    }
    headers.add(std::string(line.substr(0, colon)),
                std::string(trimWhitespace(line.substr(colon + 1))));
  }
  return headers;
}

}  // namespace weir::test

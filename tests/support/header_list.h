#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::test {

/// HTTP header fields in the order received, with case-insensitive lookup. Values are kept as
/// sent, with surrounding whitespace trimmed.
class HeaderList {
 public:
  using Field = std::pair<std::string, std::string>;

  void add(std::string name, std::string value);

  /// The first value of `name`, or nullopt.
  std::optional<std::string> get(std::string_view name) const;
  /// The first value of `name`, or "" when absent.
  std::string value(std::string_view name) const { return get(name).value_or(""); }
  std::vector<std::string> getAll(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  std::size_t count(std::string_view name) const { return getAll(name).size(); }

  const std::vector<Field>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }
  auto begin() const { return fields_.begin(); }
  auto end() const { return fields_.end(); }

 private:
  std::vector<Field> fields_;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string_view trimWhitespace(std::string_view text);

/// Parses "Name: value" lines separated by CRLF (or LF), e.g. the head a fake backend recorded
/// after its request line. Lines without a colon are skipped.
HeaderList parseHeaderLines(std::string_view lines);

}  // namespace weir::test

#pragma once
// An ordered list of HTTP header fields with case-insensitive lookup. Order and duplicates are
// kept as received, so what a server sees is what the client sent minus what we removed.

#include <string>
#include <string_view>
#include <vector>

namespace weir::http {

struct Header {
  std::string name;
  std::string value;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);
/// `s` without leading and trailing spaces and tabs (RFC 9110 OWS).
std::string_view trimOws(std::string_view s);
/// True when the comma-separated list `value` contains `token` (case-insensitive).
bool listContainsToken(std::string_view value, std::string_view token);

class HeaderMap {
 public:
  void add(std::string_view name, std::string_view value) { headers_.push_back({std::string(name), std::string(value)}); }
  /// Replaces every field named `name` with one field.
  void set(std::string_view name, std::string_view value);
  /// Removes every field named `name`; returns how many were removed.
  size_t remove(std::string_view name);
  /// First value of `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  size_t count(std::string_view name) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  /// True when any `name` field lists `token` (e.g. Connection: keep-alive, Upgrade).
  bool hasToken(std::string_view name, std::string_view token) const;

  size_t size() const { return headers_.size(); }
  bool empty() const { return headers_.empty(); }
  void clear() { headers_.clear(); }
  auto begin() const { return headers_.begin(); }
  auto end() const { return headers_.end(); }
  std::vector<Header>& fields() { return headers_; }

 private:
  std::vector<Header> headers_;
};

}  // namespace weir::http

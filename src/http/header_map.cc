#include "weir/http/header_map.h"

#include <algorithm>

namespace weir::http {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string_view trimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool listContainsToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    std::string_view item = trimOws(value.substr(0, comma));
    if (equalsIgnoreCase(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

size_t HeaderMap::remove(std::string_view name) {
  auto it = std::remove_if(headers_.begin(), headers_.end(),
                           [&](const Header& h) { return equalsIgnoreCase(h.name, name); });
  size_t n = static_cast<size_t>(headers_.end() - it);
  headers_.erase(it, headers_.end());
  return n;
}

const std::string* HeaderMap::get(std::string_view name) const {
  for (const auto& h : headers_)
    if (equalsIgnoreCase(h.name, name)) return &h.value;
  return nullptr;
}

size_t HeaderMap::count(std::string_view name) const {
  return static_cast<size_t>(std::count_if(headers_.begin(), headers_.end(),
                                           [&](const Header& h) { return equalsIgnoreCase(h.name, name); }));
}

bool HeaderMap::hasToken(std::string_view name, std::string_view token) const {
  for (const auto& h : headers_)
    if (equalsIgnoreCase(h.name, name) && listContainsToken(h.value, token)) return true;
  return false;
}

}  // namespace weir::http

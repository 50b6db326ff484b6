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

HeaderMap& HeaderMap::operator=(const HeaderMap& other) {
  if (this == &other) return *this;
  clear();
  for (const Header& h : other) add(h.name, h.value);
  return *this;
}

void HeaderMap::add(std::string_view name, std::string_view value) {
  if (used_ == headers_.size()) {
    // Copied before the vector grows: `name` or `value` may view a field of this map.
    headers_.push_back({std::string(name), std::string(value)});
    ++used_;
    return;
  }
  Header& slot = headers_[used_++];
  slot.name.assign(name);
  slot.value.assign(value);
}

void HeaderMap::clear() {
  used_ = 0;
  size_t retained = 0;
  auto trim = [&retained](std::string& s) {
    s.clear();
    const size_t capacity = s.capacity();
    if (capacity <= std::string().capacity()) return;  // inline: no heap memory to keep
    if (capacity > kRetainedPerString || retained + capacity > kRetainedBytes) {
      std::string().swap(s);
      return;
    }
    retained += capacity;
  };
  for (Header& h : headers_) {
    trim(h.name);
    trim(h.value);
  }
}

void HeaderMap::set(std::string_view name, std::string_view value) {
  remove(name);
  add(name, value);
}

const std::string* HeaderMap::get(std::string_view name) const {
  for (const auto& h : *this)
    if (equalsIgnoreCase(h.name, name)) return &h.value;
  return nullptr;
}

size_t HeaderMap::count(std::string_view name) const {
  return static_cast<size_t>(
      std::count_if(begin(), end(), [&](const Header& h) { return equalsIgnoreCase(h.name, name); }));
}

bool HeaderMap::hasToken(std::string_view name, std::string_view token) const {
  for (const auto& h : *this)
    if (equalsIgnoreCase(h.name, name) && listContainsToken(h.value, token)) return true;
  return false;
}

}  // namespace weir::http

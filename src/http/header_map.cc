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

FieldId fieldIdOf(std::string_view name) {
  // By length, then by first letter: one full comparison at most.
  auto is = [name](std::string_view known, FieldId id) { return equalsIgnoreCase(name, known) ? id : FieldId::kOther; };
  const char first = name.empty() ? '\0' : lower(name[0]);
  switch (name.size()) {
    case 2: return is("te", FieldId::kTe);
    case 4: return is("host", FieldId::kHost);
    case 6: return is("expect", FieldId::kExpect);
    case 7: return first == 't' ? is("trailer", FieldId::kTrailer) : is("upgrade", FieldId::kUpgrade);
    case 9: return is("x-real-ip", FieldId::kXRealIp);
    case 10: return first == 'c' ? is("connection", FieldId::kConnection) : is("keep-alive", FieldId::kKeepAlive);
    case 14: return is("content-length", FieldId::kContentLength);
    case 15: return is("x-forwarded-for", FieldId::kXForwardedFor);
    case 16: return is("proxy-connection", FieldId::kProxyConnection);
    case 17:
      return first == 't' ? is("transfer-encoding", FieldId::kTransferEncoding)
                          : is("x-forwarded-proto", FieldId::kXForwardedProto);
    default: return FieldId::kOther;
  }
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
    headers_.push_back({std::string(name), std::string(value), fieldIdOf(name)});
    ++used_;
    return;
  }
  Header& slot = headers_[used_++];
  slot.id = fieldIdOf(name);
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
  const FieldId id = fieldIdOf(name);
  for (const auto& h : *this)
    if (named(h, id, name)) return &h.value;
  return nullptr;
}

const std::string* HeaderMap::get(FieldId id) const {
  for (const auto& h : *this)
    if (h.id == id) return &h.value;
  return nullptr;
}

size_t HeaderMap::count(std::string_view name) const {
  const FieldId id = fieldIdOf(name);
  return static_cast<size_t>(std::count_if(begin(), end(), [&](const Header& h) { return named(h, id, name); }));
}

size_t HeaderMap::count(FieldId id) const {
  return static_cast<size_t>(std::count_if(begin(), end(), [id](const Header& h) { return h.id == id; }));
}

bool HeaderMap::hasToken(std::string_view name, std::string_view token) const {
  const FieldId id = fieldIdOf(name);
  for (const auto& h : *this)
    if (named(h, id, name) && listContainsToken(h.value, token)) return true;
  return false;
}

bool HeaderMap::hasToken(FieldId id, std::string_view token) const {
  for (const auto& h : *this)
    if (h.id == id && listContainsToken(h.value, token)) return true;
  return false;
}

}  // namespace weir::http

#pragma once
// An ordered list of HTTP header fields with case-insensitive lookup. Order and duplicates are
// kept as received, so what a server sees is what the client sent minus what we removed.
//
// Fields are slots that outlive clear() and remove(): the next message's fields are assigned
// into strings that already have their capacity, so a connection's steady state parses and
// rewrites heads without touching the heap (issue 10).

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weir::http {

/// The fields weir itself reads or filters on every message. A field's id is found once, when
/// it is added, so lookups and the hop-by-hop filter compare a byte instead of a name.
enum class FieldId : unsigned char {
  kOther,
  kConnection,
  kContentLength,
  kExpect,
  kHost,
  kKeepAlive,
  kProxyConnection,
  kTe,
  kTrailer,
  kTransferEncoding,
  kUpgrade,
  kXForwardedFor,
  kXForwardedProto,
  kXRealIp,
};

/// The id of a field name (any case); kOther for every name not in FieldId.
FieldId fieldIdOf(std::string_view name);

struct Header {
  std::string name;
  std::string value;
  FieldId id = FieldId::kOther;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);
/// `s` without leading and trailing spaces and tabs (RFC 9110 OWS).
std::string_view trimOws(std::string_view s);
/// True when the comma-separated list `value` contains `token` (case-insensitive).
bool listContainsToken(std::string_view value, std::string_view token);

class HeaderMap {
 public:
  HeaderMap() = default;
  HeaderMap(const HeaderMap& other) : headers_(other.begin(), other.end()), used_(other.used_) {}
  HeaderMap& operator=(const HeaderMap& other);
  HeaderMap(HeaderMap&& other) noexcept
      : headers_(std::move(other.headers_)), used_(std::exchange(other.used_, 0)) {}
  HeaderMap& operator=(HeaderMap&& other) noexcept {
    headers_ = std::move(other.headers_);
    used_ = std::exchange(other.used_, 0);
    return *this;
  }

  void add(std::string_view name, std::string_view value);
  /// Replaces every field named `name` with one field.
  void set(std::string_view name, std::string_view value);
  /// Removes every field named `name`; returns how many were removed.
  size_t remove(std::string_view name) {
    const FieldId id = fieldIdOf(name);
    return removeIf([id, name](const Header& h) { return named(h, id, name); });
  }
  size_t remove(FieldId id) {
    return removeIf([id](const Header& h) { return h.id == id; });
  }
  /// Removes every field `drop` is true for; `drop` sees the fields as they were before any
  /// removal. Kept fields keep their order.
  template <typename Pred>
  size_t removeIf(Pred drop);
  /// First value of `name`, or nullptr.
  const std::string* get(std::string_view name) const;
  const std::string* get(FieldId id) const;  // FieldId overloads: any id but kOther
  size_t count(std::string_view name) const;
  size_t count(FieldId id) const;
  bool has(std::string_view name) const { return get(name) != nullptr; }
  bool has(FieldId id) const { return get(id) != nullptr; }
  /// True when any `name` field lists `token` (e.g. Connection: keep-alive, Upgrade).
  bool hasToken(std::string_view name, std::string_view token) const;
  bool hasToken(FieldId id, std::string_view token) const;

  size_t size() const { return used_; }
  bool empty() const { return used_ == 0; }
  /// Empties the map for the next message. The slots keep their strings' capacity up to
  /// kRetainedBytes in all (and kRetainedPerString each): what one connection keeps between its
  /// messages stays bounded whatever the heads it was sent.
  void clear();
  static constexpr size_t kRetainedBytes = 4096;
  static constexpr size_t kRetainedPerString = 512;
  using const_iterator = std::vector<Header>::const_iterator;
  const_iterator begin() const { return headers_.cbegin(); }
  const_iterator end() const { return headers_.cbegin() + static_cast<std::ptrdiff_t>(used_); }

 private:
  /// Whether `h` is named `name`, whose id is `id`: a known name by its id alone, another one
  /// by comparing names (never equal to a known field's).
  static bool named(const Header& h, FieldId id, std::string_view name) {
    return id != FieldId::kOther ? h.id == id : h.id == FieldId::kOther && equalsIgnoreCase(h.name, name);
  }

  std::vector<Header> headers_;  // [0, used_) are the fields; the rest are spare slots
  size_t used_ = 0;
  std::vector<bool> drop_;       // removeIf's marks, kept for their capacity
};

template <typename Pred>
size_t HeaderMap::removeIf(Pred drop) {
  drop_.assign(used_, false);
  size_t dropped = 0;
  for (size_t i = 0; i < used_; ++i)
    if (drop(headers_[i])) drop_[i] = true, ++dropped;
  if (dropped == 0) return 0;
  size_t kept = 0;
  for (size_t i = 0; i < used_; ++i) {
    if (drop_[i]) continue;
    if (kept != i) std::swap(headers_[kept], headers_[i]);  // the dropped slot's strings move back
    ++kept;
  }
  used_ = kept;
  return dropped;
}

}  // namespace weir::http

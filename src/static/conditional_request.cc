#include "weir/static/conditional_request.h"

#include <charconv>

#include "weir/http/http_date.h"

namespace weir::static_files {
namespace {

std::optional<uint64_t> number(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

/// Parses one "first-last" / "first-" / "-suffix" spec against `size`; nullopt when it is
/// malformed; length 0 when it is unsatisfiable.
std::optional<ByteRange> parseSpec(std::string_view spec, uint64_t size) {
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const std::string_view a = http::trimOws(spec.substr(0, dash));
  const std::string_view b = http::trimOws(spec.substr(dash + 1));
  if (a.empty()) {  // suffix: the last N bytes
    const std::optional<uint64_t> n = number(b);
    if (!n) return std::nullopt;
    const uint64_t len = std::min(*n, size);
    return ByteRange{size - len, len};
  }
  const std::optional<uint64_t> first = number(a);
  if (!first) return std::nullopt;
  std::optional<uint64_t> last = b.empty() ? std::optional<uint64_t>(UINT64_MAX) : number(b);
  if (!last || *last < *first) return std::nullopt;
  if (*first >= size) return ByteRange{0, 0};
  return ByteRange{*first, std::min(*last, size - 1) - *first + 1};
}

}  // namespace

bool etagListMatches(std::string_view list, std::string_view etag, bool weak) {
  if (http::trimOws(list) == "*") return true;
  auto opaque = [](std::string_view tag) { return tag.starts_with("W/") ? tag.substr(2) : tag; };
  while (!list.empty()) {
    const size_t comma = list.find(',');
    const std::string_view tag = http::trimOws(list.substr(0, comma));
    if (weak ? opaque(tag) == opaque(etag) : (!tag.starts_with("W/") && tag == etag)) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

Precondition evaluatePreconditions(const http::HeaderMap& request, const Validators& v) {
  if (const std::string* im = request.get("if-match")) {
    if (!etagListMatches(*im, v.etag, false)) return Precondition::kFailed;
  } else if (const std::string* ius = request.get("if-unmodified-since")) {
    const std::optional<std::time_t> t = http::parseHttpDate(http::trimOws(*ius));
    if (t && v.lastModified > *t) return Precondition::kFailed;
  }
  if (const std::string* inm = request.get("if-none-match")) {
    if (etagListMatches(*inm, v.etag, true)) return Precondition::kNotModified;
  } else if (const std::string* ims = request.get("if-modified-since")) {
    const std::optional<std::time_t> t = http::parseHttpDate(http::trimOws(*ims));
    if (t && v.lastModified <= *t) return Precondition::kNotModified;
  }
  return Precondition::kProceed;
}

RangeDecision decideRange(const http::HeaderMap& request, const Validators& v, uint64_t size) {
  const std::string* range = request.get("range");
  if (range == nullptr) return {};
  if (const std::string* ifRange = request.get("if-range")) {
    const std::string_view value = http::trimOws(*ifRange);
    const bool current = value.starts_with('"') ? value == v.etag  // strong comparison
                                                 : http::parseHttpDate(value) == std::optional<std::time_t>(v.lastModified);
    if (!current) return {};  // the client's copy is stale: the whole file
  }
  std::string_view spec = http::trimOws(*range);
  if (spec.size() < 6 || !http::equalsIgnoreCase(spec.substr(0, 6), "bytes=")) return {};  // an unknown unit is ignored
  spec.remove_prefix(6);
  if (spec.find(',') != std::string_view::npos) return {};  // several ranges: the whole file
  const std::optional<ByteRange> r = parseSpec(spec, size);
  if (!r) return {};  // malformed: ignored, as RFC 9110 14.2 allows
  if (r->length == 0) return {RangeDecision::Kind::kUnsatisfiable, {}};
  return {RangeDecision::Kind::kPartial, *r};
}

}  // namespace weir::static_files

#include "weir/cache/cache_policy.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "weir/http/http_date.h"

namespace weir::cache {
namespace {

std::optional<int64_t> seconds(std::optional<std::string_view> value) {
  if (!value) return std::nullopt;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), n);
  if (ec == std::errc::result_out_of_range) return INT64_MAX;  // RFC 9111 1.2.2: treat as very large
  if (ec != std::errc() || end != value->data() + value->size() || n < 0) return std::nullopt;
  return n;
}

bool defaultCacheable(int status) {
  return status == 200 || status == 203 || status == 204 || status == 301 || status == 404 || status == 410;
}

}  // namespace

std::optional<std::string_view> cacheControlDirective(const http::HeaderMap& headers, std::string_view name) {
  for (const http::Header& h : headers) {
    if (!http::equalsIgnoreCase(h.name, "cache-control")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = http::trimOws(rest.substr(0, comma));
      const size_t eq = item.find('=');
      if (http::equalsIgnoreCase(http::trimOws(item.substr(0, eq)), name)) {
        if (eq == std::string_view::npos) return std::string_view();
        std::string_view value = http::trimOws(item.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"') value = value.substr(1, value.size() - 2);
        return value;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return std::nullopt;
}

RequestPolicy requestPolicy(const http::RequestHead& req) {
  if (req.method != "GET" && req.method != "HEAD") return RequestPolicy::kBypass;
  // An upgrade becomes a tunnel: it would lead a collapsed miss for the tunnel's whole life.
  if (req.upgrade) return RequestPolicy::kBypass;
  if (cacheControlDirective(req.headers, "no-store") || cacheControlDirective(req.headers, "no-cache"))
    return RequestPolicy::kBypass;
  if (const std::string* pragma = req.headers.get("pragma"); pragma && http::listContainsToken(*pragma, "no-cache"))
    return RequestPolicy::kBypass;  // RFC 9111 5.4, for HTTP/1.0 clients without Cache-Control
  return RequestPolicy::kLookup;
}

Storability storability(const http::RequestHead& req, const http::ResponseHead& resp, std::time_t now,
                        int64_t defaultSeconds, int64_t maxSeconds) {
  Storability s;
  auto refuse = [&](std::string_view why) {
    s.reason = why;
    return s;
  };
  if (requestPolicy(req) != RequestPolicy::kLookup) return refuse("request");
  const http::HeaderMap& h = resp.headers;
  if (cacheControlDirective(h, "no-store")) return refuse("no-store");
  if (cacheControlDirective(h, "private")) return refuse("private");
  if (cacheControlDirective(h, "no-cache")) return refuse("no-cache");  // would need revalidation each time
  const bool isPublic = cacheControlDirective(h, "public").has_value();
  if (h.has("set-cookie") && !isPublic) return refuse("set-cookie");
  if (req.headers.has("authorization") && !isPublic && !cacheControlDirective(h, "s-maxage") &&
      !cacheControlDirective(h, "must-revalidate"))
    return refuse("authorization");  // RFC 9111 3.5
  std::optional<int64_t> fresh = seconds(cacheControlDirective(h, "s-maxage"));
  if (!fresh) fresh = seconds(cacheControlDirective(h, "max-age"));
  if (!fresh) {
    if (const std::string* expires = h.get("expires")) {
      const std::optional<std::time_t> at = http::parseHttpDate(http::trimOws(*expires));
      const std::string* dateText = h.get("date");
      const std::optional<std::time_t> date = dateText ? http::parseHttpDate(http::trimOws(*dateText)) : std::nullopt;
      fresh = at ? std::max<int64_t>(0, *at - date.value_or(now)) : 0;  // an invalid Expires is the past
    }
  }
  // Partial and interim responses are never stored whole; other statuses need explicit freshness
  // (or `public`) unless they are cacheable by default (RFC 9110 15.1).
  if (resp.status == 206 || resp.status == 304 || resp.isInterim()) return refuse("status");
  if (!defaultCacheable(resp.status) && !fresh && !isPublic) return refuse("status");
  s.freshSeconds = std::min(fresh.value_or(defaultSeconds), maxSeconds);
  if (s.freshSeconds <= 0) return refuse("stale");
  for (const http::Header& field : h) {
    if (!http::equalsIgnoreCase(field.name, "vary")) continue;
    std::string_view rest = field.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view name = http::trimOws(rest.substr(0, comma));
      if (name == "*") return refuse("vary-star");
      if (!name.empty()) {
        std::string lower(name);
        std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (std::find(s.vary.begin(), s.vary.end(), lower) == s.vary.end()) s.vary.push_back(std::move(lower));
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  s.store = true;
  s.reason = "stored";
  return s;
}

}  // namespace weir::cache

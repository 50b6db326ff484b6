#pragma once
// RFC 9111 for a shared cache in front of the servers: which requests may be answered from the
// cache, which responses may be stored and for how long, and which request headers a stored
// response varies on. Pure functions over parsed heads; the response cache (next step of issue
// 6) asks them and nothing else.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/http/message.h"

namespace weir::cache {

/// What a request asks of the cache.
enum class RequestPolicy {
  kLookup,  // GET/HEAD: may be answered from the cache, and its response stored
  kBypass,  // another method, or Cache-Control: no-store (or no-cache: revalidation is not done)
};

RequestPolicy requestPolicy(const http::RequestHead& req);

/// Whether and how long a response may be stored.
struct Storability {
  bool store = false;
  int64_t freshSeconds = 0;      // how long it is fresh from the time it is stored
  std::vector<std::string> vary;  // request header names it varies on (lower case)
  std::string_view reason;        // why not, for logs and Cache-Status ("no-store", "private", ...)
};

/// RFC 9111 3 and 4.2 for a shared cache: status cacheable by default (200, 203, 204, 301,
/// 404, 410) or with explicit freshness; no `no-store`, `private` or `no-cache`; no
/// Set-Cookie and no Authorization on the request unless the response says `public`;
/// `Vary: *` is never stored. Freshness: s-maxage, then max-age, then Expires - Date, else
/// `defaultSeconds`; capped at `maxSeconds`. `now` is for Expires without Date.
Storability storability(const http::RequestHead& req, const http::ResponseHead& resp, std::time_t now,
                        int64_t defaultSeconds, int64_t maxSeconds);

/// The value of directive `name` in Cache-Control header values ("max-age=60" -> "60"; present
/// without a value -> ""), or nullopt when absent. Case-insensitive names, quoted values.
std::optional<std::string_view> cacheControlDirective(const http::HeaderMap& headers, std::string_view name);

}  // namespace weir::cache

#pragma once
// What the fake backend does with one request, scripted by the request's query string or by a
// --route PATH=SPEC given on the command line (both use the same `key=value&...` syntax).

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weir::fake {

struct ResponseHeader {
  std::string name;
  std::string value;
};

/// One request's script. The defaults answer `200 text/plain` with the body `NAME\n`.
/// A plain value type: routes hold one each, a connection copies one to apply query keys.
struct ResponseScript {
  int status = 200;                     // status=N (100..599)
  std::optional<uint64_t> size;         // size=N: N bytes of the body pattern
  bool chunked = false;                 // chunked=1: Transfer-Encoding: chunked
  uint32_t delayMs = 0;                 // delay=MS before the response head
  std::optional<uint64_t> closeAfter;   // close_after=N: head, N body bytes, close
  std::optional<uint64_t> stallAfter;   // stall_after=N: head, N body bytes, then silence
  bool echo = false;                    // echo=1: body = raw request head + body
  bool noResponse = false;              // noresponse=1: never answer
  bool reset = false;                   // reset=1: close with RST, no answer
  bool bad = false;                     // bad=1: a malformed response
  bool close = false;                   // close=1: Connection: close
  bool upgrade = false;                 // upgrade=1: 101 + echo tunnel on Upgrade: websocket
  bool dropNext = false;                // drop_next=1: read the next request, then FIN, no answer
  std::vector<ResponseHeader> headers;  // header=Name:Value, repeatable
};

enum class UnknownKeys { kIgnore, kReject };

/// Applies `key=value&...` (values %-decoded) on top of `script`; later keys win, header= adds.
/// Query strings pass UnknownKeys::kIgnore so ordinary query parameters can go through the
/// proxy untouched; --route specs pass kReject so a typo fails at start-up.
/// Returns a description of the first invalid key or value, or an empty string.
std::string applyScriptParams(std::string_view params, UnknownKeys unknown, ResponseScript& script);

/// The path of a request target without its query, also for absolute-form targets.
std::string_view targetPath(std::string_view target);
/// The query of a request target (after '?', before '#'), empty if it has none.
std::string_view targetQuery(std::string_view target);

/// Exact-path scripts: from --route at start-up, and replaced at run time through
/// /__fake/route. Every worker reads it, so it has a mutex, and find() returns a copy that a
/// later replacement cannot change under a request in progress.
class RouteTable {
 public:
  /// Adds `PATH=SPEC`; returns an error message or an empty string.
  std::string add(std::string_view pathAndSpec);
  /// Replaces the script of `path` by SPEC (already %-decoded); an empty spec removes the
  /// route. Returns an error message or an empty string.
  std::string set(std::string_view path, std::string_view spec);
  std::optional<ResponseScript> find(std::string_view path) const;

 private:
  struct Route {
    std::string path;
    ResponseScript script;
  };
  mutable std::mutex mutex_;
  std::vector<Route> routes_;
};

/// %XX escapes decoded; a '%' not followed by two hex digits is kept as is.
std::string percentDecode(std::string_view in);

}  // namespace weir::fake

#pragma once
// Parsed request and response heads, with the framing facts the proxy needs to forward them.

#include <cstdint>
#include <string>

#include "weir/http/header_map.h"

namespace weir::http {

/// How a message body is delimited on the wire.
enum class BodyFraming {
  kNone,           // no body (GET without length, 204, 304, HEAD response, 1xx)
  kContentLength,  // Content-Length: N
  kChunked,        // Transfer-Encoding: chunked
  kUntilClose,     // response read until the server closes
};

struct RequestHead {
  static constexpr size_t kKeptTargetBytes = 1024;
  std::string method;
  std::string target;
  int versionMinor = 1;  // HTTP/1.x; only 1.0 and 1.1 are accepted
  HeaderMap headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t contentLength = 0;
  bool keepAlive = true;       // after the version's default and Connection
  bool upgrade = false;        // Connection: upgrade + Upgrade: ...
  bool expectContinue = false;  // Expect: 100-continue

  bool isHead() const { return method == "HEAD"; }
  /// RFC 9110 9.2.2: sending it twice has the effect of sending it once. (TRACE is left out:
  /// nobody should be proxying it.)
  bool isIdempotent() const {
    return method == "GET" || method == "HEAD" || method == "OPTIONS" || method == "PUT" || method == "DELETE";
  }
  bool hasBody() const { return framing != BodyFraming::kNone && !(framing == BodyFraming::kContentLength && contentLength == 0); }
  void clear();
};

struct ResponseHead {
  int status = 0;
  std::string reason;
  int versionMinor = 1;
  HeaderMap headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t contentLength = 0;
  bool keepAlive = true;

  bool isInterim() const { return status >= 100 && status < 200; }
  void clear();
};

}  // namespace weir::http

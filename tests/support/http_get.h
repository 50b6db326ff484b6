#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/http_response.h"
#include "support/wait_for.h"

namespace weir::test {

/// Serialises an HTTP/1.1 request. `extraHeaders` are whole lines without CRLF ("Name: value").
/// Adds `Host: 127.0.0.1:PORT` and `Connection: close` unless extraHeaders set them, and a
/// Content-Length when there is a body and no Content-Length / Transfer-Encoding was given.
std::string formatRequest(std::string_view method, std::string_view target, std::uint16_t port,
                          const std::vector<std::string>& extraHeaders = {},
                          std::string_view body = {});

/// One request on a fresh connection to 127.0.0.1:PORT with `Connection: close`; the response
/// (or one with `error` set when there was none).
HttpResponse httpRequest(std::uint16_t port, std::string_view method, std::string_view target,
                         const std::vector<std::string>& extraHeaders = {},
                         std::string_view body = {},
                         std::chrono::milliseconds timeout = kDefaultTimeout);

inline HttpResponse httpGet(std::uint16_t port, std::string_view target,
                            const std::vector<std::string>& extraHeaders = {},
                            std::chrono::milliseconds timeout = kDefaultTimeout) {
  return httpRequest(port, "GET", target, extraHeaders, {}, timeout);
}

}  // namespace weir::test

#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "support/http_response.h"

namespace weir::test {

/// The outcome of trying to parse one response from the start of a byte buffer.
struct ResponseParse {
  enum class Outcome { NeedMore, Complete, Error };
  Outcome outcome = Outcome::NeedMore;
  std::size_t consumed = 0;     // Complete: bytes that belong to this response
  std::size_t needAtLeast = 0;  // NeedMore: no point parsing again before the buffer is this big
  HttpResponse response;        // Complete
  std::string error;            // Error
};

/// Parses exactly one HTTP/1.x response at the start of `bytes`. Written independently of
/// weir's parser (it is the client-side oracle) and strict where a proxy must be: CRLF line
/// ends, no obs-fold, no space before a colon, one consistent Content-Length, never both
/// Content-Length and Transfer-Encoding. No body for 1xx, 204, 304 or an answer to HEAD; a
/// 1xx is returned as a response of its own. `peerClosed` says no more bytes will come, which
/// completes a close-delimited body and turns any other incomplete response into an error.
ResponseParse parseResponse(std::string_view bytes, bool requestWasHead, bool peerClosed);

}  // namespace weir::test

#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "support/header_list.h"

namespace weir::test {

/// How the body of a response was delimited on the wire.
enum class BodyFraming { None, ContentLength, Chunked, UntilClose };

/// One HTTP/1.x response as a client received it. Reading never throws: when no complete
/// response could be read, `status` is 0 and `error` says why (print it in the assertion:
/// `ASSERT_TRUE(response.ok()) << response.error;`).
struct HttpResponse {
  std::string version;  // "HTTP/1.1"
  int status = 0;
  std::string reason;
  HeaderList headers;
  std::string body;  // decoded: chunk framing removed
  HeaderList trailers;
  BodyFraming framing = BodyFraming::None;
  std::vector<std::size_t> chunkSizes;  // data chunk sizes, in order, when chunked
  std::string raw;                      // exactly the bytes of this response
  std::string error;

  bool ok() const { return error.empty() && status != 0; }
  /// The first value of header `name`, or "" when absent.
  std::string header(std::string_view name) const { return headers.value(name); }
  /// One line for failure messages: status, framing, body size, or the error.
  std::string describe() const;
};

/// Renders bytes for a failure message: printable ASCII kept, CR/LF/other bytes escaped, long
/// texts cut to `limit` characters.
std::string escapeBytes(std::string_view bytes, std::size_t limit = 400);

}  // namespace weir::test

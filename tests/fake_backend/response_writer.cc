#include "response_writer.h"

#include <algorithm>
#include <iterator>

namespace weir::fake {
namespace {

struct StatusReason {
  int status;
  std::string_view reason;
};

// One table for the reason phrases the fake backend knows.
constexpr StatusReason kReasons[] = {
    {100, "Continue"},
    {101, "Switching Protocols"},
    {103, "Early Hints"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {302, "Found"},
    {303, "See Other"},
    {304, "Not Modified"},
    {307, "Temporary Redirect"},
    {308, "Permanent Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {414, "URI Too Long"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {502, "Bad Gateway"},
    {503, "Service Unavailable"},
    {504, "Gateway Timeout"},
};

std::string_view connectionValue(ConnectionToken token) {
  switch (token) {
    case ConnectionToken::kKeepAlive:
      return "keep-alive";
    case ConnectionToken::kClose:
      return "close";
    case ConnectionToken::kUpgrade:
      return "Upgrade";
    case ConnectionToken::kNone:
      break;
  }
  return {};
}

bool appendBody(evbuffer* out, const BodySource& body, uint64_t offset, uint64_t length) {
  if (length == 0) return true;
  if (body.pattern != nullptr) return body.pattern->append(out, offset, length);
  return evbuffer_add(out, body.bytes.data() + offset, length) == 0;
}

}  // namespace

std::string_view reasonPhrase(int status) {
  for (const StatusReason& entry : kReasons) {
    if (entry.status == status) return entry.reason;
  }
  return "Unknown";
}

bool ResponseWriter::writeHead(evbuffer* out, const ResponseHead& head) {
  scratch_.clear();
  auto it = std::back_inserter(scratch_);
  fmt::format_to(it, "HTTP/1.1 {} {}\r\nX-Server: {}\r\n", head.status, reasonPhrase(head.status), serverName_);
  if (!head.contentType.empty()) fmt::format_to(it, "Content-Type: {}\r\n", head.contentType);
  if (head.framing == Framing::kContentLength) {
    fmt::format_to(it, "Content-Length: {}\r\n", head.contentLength);
  } else if (head.framing == Framing::kChunked) {
    fmt::format_to(it, "Transfer-Encoding: chunked\r\n");
  }
  if (head.connection != ConnectionToken::kNone) {
    fmt::format_to(it, "Connection: {}\r\n", connectionValue(head.connection));
  }
  for (const ResponseHeader& header : head.extraHeaders) {
    fmt::format_to(it, "{}: {}\r\n", header.name, header.value);
  }
  scratch_.append(std::string_view("\r\n"));
  return evbuffer_add(out, scratch_.data(), scratch_.size()) == 0;
}

bool ResponseWriter::writeBody(evbuffer* out, const BodySource& body, uint64_t sendBytes, bool chunked) {
  if (!chunked) return appendBody(out, body, 0, sendBytes);
  for (uint64_t offset = 0; offset < sendBytes;) {
    uint64_t n = std::min(kMaxChunkBytes, sendBytes - offset);
    if (evbuffer_add_printf(out, "%llx\r\n", static_cast<unsigned long long>(n)) < 0 ||
        !appendBody(out, body, offset, n) || evbuffer_add(out, "\r\n", 2) != 0) {
      return false;
    }
    offset += n;
  }
  if (sendBytes < body.size()) return true;
  return evbuffer_add(out, "0\r\n\r\n", 5) == 0;
}

bool ResponseWriter::writeContinue(evbuffer* out) {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  return evbuffer_add(out, kContinue.data(), kContinue.size()) == 0;
}

bool ResponseWriter::writeMalformed(evbuffer* out) {
  std::string bytes = fmt::format(
      "HTTP/1.1 200 OK\r\nX-Server: {}\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello", serverName_);
  return evbuffer_add(out, bytes.data(), bytes.size()) == 0;
}

}  // namespace weir::fake

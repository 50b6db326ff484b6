#include "weir/proxy/failure.h"

#include <fmt/format.h>

namespace weir::proxy {

const FailureReply& failureReply(Failure f) {
  // Indexed by Failure; keep in the enum's order.
  static const FailureReply kTable[] = {
      {400, "Bad Request", "400 Bad Request: your client sent a request this proxy cannot accept.\n", "PR"},
      {414, "URI Too Long", "414 URI Too Long\n", "PR"},
      {431, "Request Header Fields Too Large", "431 Request Header Fields Too Large\n", "PR"},
      {413, "Content Too Large", "413 Content Too Large: the request body is over this proxy's limit.\n", "PR"},
      {408, "Request Timeout", "408 Request Timeout: the request did not arrive in time.\n", "cR"},
      {503, "Service Unavailable", "503 Service Unavailable: no server is available in backend '{}'.\n", "SC"},
      {503, "Service Unavailable", "503 Service Unavailable: no server could be reached.\n", "SC"},
      {503, "Service Unavailable", "503 Service Unavailable: connecting to the server timed out.\n", "sC"},
      {502, "Bad Gateway", "502 Bad Gateway: the server sent an invalid response.\n", "PH"},
      {502, "Bad Gateway", "502 Bad Gateway: the server closed the connection.\n", "SH"},
      {504, "Gateway Timeout", "504 Gateway Timeout: the server did not answer in time.\n", "sH"},
      {503, "Service Unavailable", "503 Service Unavailable: no backend for this request.\n", "PR"},
      {503, "Service Unavailable", "503 Service Unavailable: every server stayed busy for the queue timeout.\n", "sQ"},
      {503, "Service Unavailable", "503 Service Unavailable: every server is busy and the queue is full.\n", "PQ"},
      {502, "Bad Gateway", "502 Bad Gateway: the TLS handshake with the server failed.\n", "SC"},
  };
  return kTable[static_cast<int>(f)];
}

Failure requestParseFailure(int status) {
  if (status == 414) return Failure::kUriTooLong;
  if (status == 431) return Failure::kHeadTooLarge;
  if (status == 413) return Failure::kBodyTooLarge;
  return Failure::kBadRequest;
}

std::string failureBody(Failure f, std::string_view backend) {
  const std::string_view body = failureReply(f).body;
  if (body.find("{}") == std::string_view::npos) return std::string(body);
  return fmt::format(fmt::runtime(body), backend);
}

std::string renderLocalReply(int status, std::string_view reason, std::string_view body, bool close) {
  return fmt::format("HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nCache-Control: no-cache\r\n{}\r\n{}",
                     status, reason, body.size(), close ? "Connection: close\r\n" : "", body);
}

}  // namespace weir::proxy

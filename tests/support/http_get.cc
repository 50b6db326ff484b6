#include "support/http_get.h"

#include "support/header_list.h"
#include "support/tcp_client.h"

namespace weir::test {

namespace {

bool hasHeader(const std::vector<std::string>& lines, std::string_view name) {
  for (const std::string& line : lines) {
    const std::size_t colon = line.find(':');
    if (colon != std::string::npos &&
        equalsIgnoreCase(trimWhitespace(std::string_view(line).substr(0, colon)), name)) {
      return true;
    }
  }
  return false;
}

}  // namespace

std::string formatRequest(std::string_view method, std::string_view target, std::uint16_t port,
                          const std::vector<std::string>& extraHeaders, std::string_view body) {
  std::string request = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  if (!hasHeader(extraHeaders, "Host")) {
    request += "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
  }
  for (const std::string& line : extraHeaders) {
    request += line + "\r\n";
  }
  if (!hasHeader(extraHeaders, "Connection")) {
    request += "Connection: close\r\n";
  }
  if (!body.empty() && !hasHeader(extraHeaders, "Content-Length") &&
      !hasHeader(extraHeaders, "Transfer-Encoding")) {
    request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  request += "\r\n";
  request += body;
  return request;
}

HttpResponse httpRequest(std::uint16_t port, std::string_view method, std::string_view target,
                         const std::vector<std::string>& extraHeaders, std::string_view body,
                         std::chrono::milliseconds timeout) {
  TcpClient client(port, timeout);
  HttpResponse failed;
  if (!client.isConnected()) {
    failed.error = client.error();
    return failed;
  }
  if (!client.send(formatRequest(method, target, port, extraHeaders, body), timeout)) {
    failed.error = client.error();
    return failed;
  }
  return client.readResponse(timeout, method == "HEAD");
}

}  // namespace weir::test

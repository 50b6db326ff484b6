#include "weir/proxy/head_writer.h"

#include <fmt/format.h>

#include <vector>

namespace weir::proxy {

using http::BodyFraming;
using http::HeaderMap;

namespace {

void appendField(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

void appendFields(std::string& out, const HeaderMap& headers) {
  for (const auto& h : headers) appendField(out, h.name, h.value);
}

void addForwardingHeaders(HeaderMap& headers, const ForwardingInfo& fwd) {
  std::string xff;
  for (const auto& h : headers) {
    if (!http::equalsIgnoreCase(h.name, "x-forwarded-for")) continue;
    if (!xff.empty()) xff += ", ";
    xff += h.value;
  }
  if (!xff.empty()) xff += ", ";
  xff += fwd.clientIp;
  headers.set("X-Forwarded-For", xff);
  headers.set("X-Real-IP", fwd.clientIp);
  headers.set("X-Forwarded-Proto", fwd.proto);
}

}  // namespace

void removeHopByHop(HeaderMap& headers, bool keepUpgrade) {
  std::vector<std::string> named;
  for (const auto& h : headers) {
    if (!http::equalsIgnoreCase(h.name, "connection")) continue;
    std::string_view v = h.value;
    while (!v.empty()) {
      size_t comma = v.find(',');
      std::string_view token = v.substr(0, comma);
      while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
      while (!token.empty() && (token.back() == ' ' || token.back() == '\t')) token.remove_suffix(1);
      // Host is the one field a Connection list must never make us drop.
      if (!token.empty() && !http::equalsIgnoreCase(token, "host")) named.emplace_back(token);
      if (comma == std::string_view::npos) break;
      v.remove_prefix(comma + 1);
    }
  }
  for (const auto& n : named)
    if (!(keepUpgrade && http::equalsIgnoreCase(n, "upgrade"))) headers.remove(n);
  for (std::string_view n : {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                             "content-length"})
    headers.remove(n);
  if (!keepUpgrade) headers.remove("upgrade");
}

void writeRequestHead(http::RequestHead& req, const ForwardingInfo& fwd, std::string& out) {
  removeHopByHop(req.headers, req.upgrade);
  req.headers.remove("expect");  // weir answers 100-continue itself
  if (fwd.forwardfor) addForwardingHeaders(req.headers, fwd);
  out.append(req.method);
  out.push_back(' ');
  out.append(req.target);
  out.append(" HTTP/1.1\r\n");
  appendFields(out, req.headers);
  if (req.framing == BodyFraming::kChunked) appendField(out, "Transfer-Encoding", "chunked");
  if (req.framing == BodyFraming::kContentLength) appendField(out, "Content-Length", fmt::format_int(req.contentLength).c_str());
  if (req.upgrade) appendField(out, "Connection", "upgrade");
  out.append("\r\n");
}

ClientFraming chooseClientFraming(const http::ResponseHead& resp, int clientVersionMinor) {
  switch (resp.framing) {
    case BodyFraming::kNone: return ClientFraming::kNone;
    case BodyFraming::kContentLength: return ClientFraming::kContentLength;
    case BodyFraming::kChunked:
    case BodyFraming::kUntilClose: return clientVersionMinor >= 1 ? ClientFraming::kChunked : ClientFraming::kUntilClose;
  }
  return ClientFraming::kUntilClose;
}

void writeResponseHead(http::ResponseHead& resp, ClientFraming framing, ClientConnection conn, int clientVersionMinor,
                       std::string& out) {
  // A body-less response keeps its informational Content-Length (HEAD, 304).
  const std::string* cl = resp.headers.get("content-length");
  std::string keptLength = (framing == ClientFraming::kNone && cl != nullptr) ? *cl : std::string();
  removeHopByHop(resp.headers, conn == ClientConnection::kUpgrade);
  out.append("HTTP/1.1 ");
  out.append(fmt::format_int(resp.status).c_str());
  out.push_back(' ');
  out.append(resp.reason);
  out.append("\r\n");
  appendFields(out, resp.headers);
  if (!keptLength.empty()) appendField(out, "Content-Length", keptLength);
  if (framing == ClientFraming::kContentLength) appendField(out, "Content-Length", fmt::format_int(resp.contentLength).c_str());
  if (framing == ClientFraming::kChunked) appendField(out, "Transfer-Encoding", "chunked");
  if (conn == ClientConnection::kClose) appendField(out, "Connection", "close");
  if (conn == ClientConnection::kUpgrade) appendField(out, "Connection", "upgrade");
  if (conn == ClientConnection::kKeepAlive && clientVersionMinor == 0) appendField(out, "Connection", "keep-alive");
  out.append("\r\n");
}

void endLocalHead(std::string& out, bool close, int clientVersionMinor) {
  out.append(close ? "Connection: close\r\n\r\n" : clientVersionMinor == 0 ? "Connection: keep-alive\r\n\r\n" : "\r\n");
}

}  // namespace weir::proxy

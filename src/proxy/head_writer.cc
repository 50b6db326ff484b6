#include "weir/proxy/head_writer.h"

#include <fmt/format.h>

#include <string_view>

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

bool isForwardingField(http::FieldId id) {
  return id == http::FieldId::kXForwardedFor || id == http::FieldId::kXRealIp || id == http::FieldId::kXForwardedProto;
}

/// The client's fields with weir's X-Forwarded-For (the client's list plus its address), X-Real-IP
/// and X-Forwarded-Proto last, written straight into `out`: the head map is left as received.
void appendFieldsWithForwarding(std::string& out, const HeaderMap& headers, const ForwardingInfo& fwd) {
  for (const auto& h : headers)
    if (!isForwardingField(h.id)) appendField(out, h.name, h.value);
  out.append("X-Forwarded-For: ");
  for (const auto& h : headers) {
    if (h.value.empty() || h.id != http::FieldId::kXForwardedFor) continue;
    out.append(h.value);
    out.append(", ");
  }
  out.append(fwd.clientIp);
  out.append("\r\n");
  appendField(out, "X-Real-IP", fwd.clientIp);
  appendField(out, "X-Forwarded-Proto", fwd.proto);
}

bool isHopByHop(http::FieldId id) {
  switch (id) {
    case http::FieldId::kConnection:
    case http::FieldId::kKeepAlive:
    case http::FieldId::kProxyConnection:
    case http::FieldId::kTe:
    case http::FieldId::kTrailer:
    case http::FieldId::kTransferEncoding:
    case http::FieldId::kContentLength:
      return true;
    default:
      return false;
  }
}

}  // namespace

void removeHopByHop(HeaderMap& headers, bool keepUpgrade) {
  const bool hasConnection = headers.has(http::FieldId::kConnection);
  headers.removeIf([&](const http::Header& h) {
    if (isHopByHop(h.id)) return true;
    if (h.id == http::FieldId::kUpgrade) return !keepUpgrade;
    // Host is the one field a Connection list must never make us drop.
    if (h.id == http::FieldId::kHost) return false;
    return hasConnection && headers.hasToken(http::FieldId::kConnection, h.name);
  });
}

void writeRequestHead(http::RequestHead& req, const ForwardingInfo& fwd, std::string& out) {
  removeHopByHop(req.headers, req.upgrade);
  req.headers.remove(http::FieldId::kExpect);  // weir answers 100-continue itself
  out.append(req.method);
  out.push_back(' ');
  out.append(req.target);
  out.append(" HTTP/1.1\r\n");
  // Found by tests/fuzz/http_request_fuzzer: an HTTP/1.0 request may come without Host, but
  // what we send is HTTP/1.1, which must have one (RFC 9112 3.2: empty when there is no
  // authority); strict servers, weir's own parser among them, refuse it otherwise. Only 1.0
  // can come without: the parser refuses an HTTP/1.1 request without exactly one Host.
  if (req.versionMinor == 0 && !req.headers.has(http::FieldId::kHost)) appendField(out, "Host", "");
  if (fwd.forwardfor) {
    appendFieldsWithForwarding(out, req.headers, fwd);
  } else {
    appendFields(out, req.headers);
  }
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
  const std::string* cl = resp.headers.get(http::FieldId::kContentLength);
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

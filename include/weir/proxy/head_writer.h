#pragma once
// Serialises heads as weir forwards them: HTTP/1.1 to servers and clients, hop-by-hop headers
// removed (Connection and every header it names, Keep-Alive, Proxy-Connection, TE, Trailer,
// Upgrade unless tunnelling), framing headers written from the parsed framing so what we send
// always matches how we send the body. Pure: strings in, string out.

#include <string>
#include <string_view>

#include "weir/http/message.h"

namespace weir::proxy {

struct ForwardingInfo {
  bool forwardfor = true;
  std::string_view clientIp;
  std::string_view proto = "http";
};

/// How a response body goes to the client.
enum class ClientFraming { kNone, kContentLength, kChunked, kUntilClose };

/// Chunked or read-until-close bodies are re-chunked for HTTP/1.1 clients (the connection
/// stays usable) and sent close-delimited to HTTP/1.0 clients.
ClientFraming chooseClientFraming(const http::ResponseHead& resp, int clientVersionMinor);

/// Removes hop-by-hop fields (and those named by Connection) from `headers`.
/// `keepUpgrade` keeps Upgrade for a tunnel handshake.
void removeHopByHop(http::HeaderMap& headers, bool keepUpgrade);

/// Appends the request head for a server to `out`. Mutates `req.headers` (hop-by-hop removed).
void writeRequestHead(http::RequestHead& req, const ForwardingInfo& fwd, std::string& out);

enum class ClientConnection { kKeepAlive, kClose, kUpgrade };

/// Ends the head of a reply weir writes itself: `Connection: close`, or `Connection: keep-alive`
/// for an HTTP/1.0 client that keeps the connection, then the blank line.
void endLocalHead(std::string& out, bool close, int clientVersionMinor);

/// Appends the response head for the client to `out`. Mutates `resp.headers`.
void writeResponseHead(http::ResponseHead& resp, ClientFraming framing, ClientConnection conn, int clientVersionMinor,
                       std::string& out);

}  // namespace weir::proxy

#pragma once
// Sec-WebSocket-Accept for the upgrade=1 script (RFC 6455 section 4.2.2).

#include <string>
#include <string_view>

namespace weir::fake {

/// base64(SHA-1(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")). Pure function.
std::string webSocketAccept(std::string_view key);

}  // namespace weir::fake

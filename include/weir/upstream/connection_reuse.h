#pragma once
// When an upstream connection may carry another request, and for how long it may wait idle.
// The one place that decides it: a connection that goes back to the pool in a doubtful state
// would hand the next request a desynchronised stream.

#include <chrono>
#include <string_view>

namespace weir::upstream {

/// How an exchange on an upstream connection ended.
struct ExchangeEnd {
  bool requestSent = false;        // the whole request, body included, was handed to the socket
  bool responseComplete = false;   // the response was read to its end by its own framing
  bool responseKeepAlive = false;  // no "Connection: close" from the server
  int responseVersionMinor = 0;    // HTTP/1.x
  bool upgraded = false;           // 101: the connection now speaks another protocol
  bool bytesLeft = false;          // bytes beyond the response, or request bytes not yet sent
};

/// True when the connection may go back to the pool.
bool mayReuse(const ExchangeEnd& end);

/// How long a connection may stay idle: `configured` (timeout.upstream_idle), shortened to
/// stay clear of the server's own `Keep-Alive: timeout=N`. Zero: do not keep it.
std::chrono::milliseconds idleBudget(std::chrono::milliseconds configured, std::string_view keepAliveHeader);

}  // namespace weir::upstream

#pragma once
// The one table that maps what went wrong in an exchange to what the client gets (status,
// short body) and to HAProxy's two-letter termination state for the access log.

#include <string>
#include <string_view>

namespace weir::proxy {

enum class Failure {
  kBadRequest,        // 400: malformed request
  kUriTooLong,        // 414
  kHeadTooLarge,      // 431
  kBodyTooLarge,      // 413: the request body is over global.tune.http_max_body
  kRequestTimeout,    // 408: head not complete within timeout.http_request
  kNoServer,          // 503: no usable server in the backend
  kConnectFailed,     // 503: every attempt refused or failed to connect
  kConnectTimeout,    // 503: every attempt timed out connecting
  kBadResponse,       // 502: the server's response was malformed
  kServerClosed,      // 502: the server closed or reset before a complete head
  kServerTimeout,     // 504: no response within timeout.server
  kNoBackend,         // 503: the frontend has no backend for this request
  kQueueTimeout,      // 503: waited timeout.queue for a server slot
  kQueueFull,         // 503: every server at maxconn and the queue at maxqueue
  kTlsHandshake,      // 502: the TLS handshake with the server failed (its certificate, say)
};

struct FailureReply {
  int status;
  std::string_view reason;
  std::string_view body;  // may name the backend with "{}": use failureBody()
  std::string_view termination;  // HAProxy log: who (C/S/P/c/s) and when (R/C/H/D)
};

const FailureReply& failureReply(Failure f);

/// The reply body of `f`, naming `backend` where the table's text has "{}".
std::string failureBody(Failure f, std::string_view backend);

/// Maps a parser error status (400/413/414/431) to its Failure.
Failure requestParseFailure(int status);

/// A complete local reply: status line, Content-Type, Content-Length, optional Connection: close.
std::string renderLocalReply(int status, std::string_view reason, std::string_view body, bool close);

}  // namespace weir::proxy

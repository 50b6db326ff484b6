// ClientSession, server side: choosing and connecting to a server, retries, the response.
#include <event2/bufferevent_ssl.h>
#include <fmt/format.h>
#include <openssl/err.h>

#include <algorithm>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "weir/base/log.h"
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/flow_control.h"
#include "weir/proxy/worker_context.h"
#include "weir/tls/client_tls.h"
#include "weir/upstream/connection_reuse.h"

namespace weir::proxy {

namespace {
char kNoBytes[1];  // what llhttp is fed when there are no bytes
}  // namespace

void ClientSession::onUpstreamRead(bufferevent*, void* self) { static_cast<ClientSession*>(self)->handleUpstreamRead(); }
void ClientSession::onUpstreamWrite(bufferevent*, void* self) { static_cast<ClientSession*>(self)->handleUpstreamWrite(); }
void ClientSession::onUpstreamEvent(bufferevent*, short what, void* self) {
  static_cast<ClientSession*>(self)->handleUpstreamEvent(what);
}

void ClientSession::releaseServer() {
  if (!holdsServerSlot_ || server_ == nullptr) return;
  holdsServerSlot_ = false;
  ctx_->releaseSlot(*backend_, *server_, holdsProbe_);
  holdsProbe_ = false;
}

void ClientSession::dropUpstream() {
  leaveQueue();
  upstream_.reset();
  connecting_ = false;
  upstreamReadPaused_ = false;
  requestBodyPaused_ = false;
}

void ClientSession::connectUpstream() {
  upstream::Backend& backend = *backend_;
  // No need to line up behind waiters here: a slot freed while they wait goes to them directly,
  // so any slot this finds free is one none of them can use.
  upstream::ServerPicker& picker = ctx_->picker(backend);
  const int64_t now = steadyNowMs();
  upstream::Pick pick = picker.pick(backend, clientHash_, tried_, now);
  // Redispatch asks for another server; with none left, the retries go to the last one tried.
  if (pick.outcome == upstream::Pick::Outcome::kNone && !tried_.empty()) {
    if (server_->tryAcquire(false)) {
      connectTo(*server_, false);
    } else {
      enqueue(server_->index());
    }
    return;
  }
  switch (pick.outcome) {
    case upstream::Pick::Outcome::kAcquired:
      connectTo(*pick.server, pick.probe);
      return;
    case upstream::Pick::Outcome::kSaturated:
      enqueue(pick.server != nullptr ? pick.server->index() : -1);
      return;
    case upstream::Pick::Outcome::kNone:
      failExchange(Failure::kNoServer);
      return;
  }
}

void ClientSession::connectTo(upstream::Server& server, bool probe) {
  finishQueueWait();  // however the slot came: the queue timer must not outlive the wait
  ctx_->counters().server(server.globalId()).selected.add();
  server_ = &server;
  holdsServerSlot_ = true;
  holdsProbe_ = probe;
  transitionTo(State::kConnecting);
  connectStart_ = Clock::now();
  if (auto idle = freshConnection_ ? nullptr : ctx_->pool().take(server)) {
    upstream_ = std::move(idle);
    onUpstreamConnected();
    return;
  }
  BufferEventPtr bev = openUpstream(server);
  if (!bev) {
    onConnectFailed(Failure::kConnectFailed);
    return;
  }
  bufferevent_setcb(bev.get(), &onUpstreamRead, &onUpstreamWrite, &onUpstreamEvent, this);
  bufferevent_set_max_single_write(bev.get(), kOutputHighWater * 2);
  // A TLS server's handshake is timed too: after the ClientHello the bufferevent waits to read.
  const timeval* connectTimeout = ctx_->timeout(backend_->options().timeout.connect);
  bufferevent_set_timeouts(bev.get(), server.tls() != nullptr ? connectTimeout : nullptr, connectTimeout);
  upstream_ = std::make_unique<upstream::UpstreamConnection>(std::move(bev), server,
                                                             server.shared().generation.load(std::memory_order_relaxed));
  connecting_ = true;
  const net::Address& addr = server.address();
  if (bufferevent_socket_connect(upstream_->bev(), const_cast<sockaddr*>(addr.sockaddrPtr()), static_cast<int>(addr.length())) < 0) {
    onConnectFailed(Failure::kConnectFailed);
  }
}

// A TLS server's bufferevent encrypts; its CONNECTED event comes once the handshake (and the
// certificate's verification) is done, so connect timeout and failures cover both.
BufferEventPtr ClientSession::openUpstream(const upstream::Server& server) {
  constexpr int kOptions = BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS;
  if (server.tls() == nullptr) return BufferEventPtr(bufferevent_socket_new(ctx_->base(), -1, kOptions));
  SSL* ssl = server.tls()->newSsl();
  if (ssl == nullptr) return nullptr;
  BufferEventPtr bev(bufferevent_openssl_socket_new(ctx_->base(), -1, ssl, BUFFEREVENT_SSL_CONNECTING, kOptions));
  if (bev) bufferevent_openssl_set_allow_dirty_shutdown(bev.get(), 1);  // servers often skip close_notify
  return bev;
}

void ClientSession::onConnectFailed(Failure f) {
  upstream::Server& server = *server_;
  backend_->recordFailure(server, f == Failure::kConnectTimeout ? upstream::ServerFailure::kConnectTimeout
                                                                : upstream::ServerFailure::kConnectError,
                          steadyNowMs(), holdsProbe_);
  releaseServer();
  dropUpstream();
  lastConnectFailure_ = f;
  if (retries_ >= backend_->options().retries) {
    failExchange(f);
    return;
  }
  retryAfter(server);
}

/// Why a connection that was being opened failed: a refused or reset TCP connection, or a
/// TLS handshake the server or its certificate failed (logged: the operator must know which).
Failure ClientSession::connectFailure() {
  const unsigned long tlsError = tls::takeTlsError(upstream_->bev());
  if (tlsError == 0) return Failure::kConnectFailed;
  char text[256];
  ERR_error_string_n(tlsError, text, sizeof(text));
  const long verify = SSL_get_verify_result(bufferevent_openssl_get_ssl(upstream_->bev()));
  log::warning("TLS handshake with server {}/{} failed: {}{}", backend_->name(), server_->name(), text,
               verify != X509_V_OK ? fmt::format(" ({})", X509_verify_cert_error_string(verify)) : "");
  return Failure::kTlsHandshake;
}

void ClientSession::retryAfter(upstream::Server& failed) {
  ++retries_;
  countRetry(failed, backend_->options().redispatch);
  if (backend_->options().redispatch) {
    tried_.push_back(failed.index());
    connectUpstream();
  } else if (failed.tryAcquire(false)) {
    connectTo(failed, false);
  } else {
    enqueue(failed.index());  // its slot went to a waiting request: wait for the next one
  }
}

void ClientSession::onUpstreamConnected() {
  bufferevent* bev = upstream_->bev();
  if (connecting_) {  // a fresh connection; a pooled one was set up when it was new
    int one = 1;
    setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    takeOverReads(bev);
  }
  connecting_ = false;
  connected_ = Clock::now();
  bufferevent_setcb(bev, &onUpstreamRead, &onUpstreamWrite, &onUpstreamEvent, this);
  bufferevent_setwatermark(bev, EV_READ, 0, kReadHighWater);
  bufferevent_setwatermark(bev, EV_WRITE, kOutputLowWater, 0);
  bufferevent_set_timeouts(bev, nullptr, ctx_->timeout(backend_->options().timeout.server));
  if (requestDone_) startServerWait();
  // EV_WRITE only while output waits (sendNow). A pooled connection reads already (its idle
  // expiry is a timer of its own, so no read timeout can have taken the event out).
  if ((bufferevent_get_enabled(bev) & EV_READ) == 0) bufferevent_enable(bev, EV_READ);
  responseParser_.reset();
  responseParser_.setExpectNoBody(requestParser_.request().isHead());
  responseStarted_ = false;
  responsePassthrough_ = false;
  transitionTo(State::kExchanging);
  evbuffer* out = bufferevent_get_output(bev);
  evbuffer_add(out, outHead_.data(), outHead_.size());
  keepForReplay(pending_.get(), evbuffer_get_length(pending_.get()));
  evbuffer_add_buffer(out, pending_.get());
  const http::RequestHead& req = requestParser_.request();
  if (req.expectContinue && !requestDone_ && req.versionMinor == 1 && !sent100_) {
    sent100_ = true;  // the client may send its body now: a server is there to take it
    static constexpr char k100[] = "HTTP/1.1 100 Continue\r\n\r\n";
    evbuffer_add(bufferevent_get_output(client_.get()), k100, sizeof(k100) - 1);
  }
  parseRequest();
  flushBoth();
}

// timeout.server is the server's inactivity. While it still takes our request body it is
// active even though it sends nothing: the read side is timed only once weir has the whole
// request (bytes of it may still be on their way out; the write timeout covers those).
// That side is the session's timer, armed once per exchange and checked against the last read
// when it fires (as the tunnel's): a bufferevent read timeout is re-armed by libevent on every
// upstream read, which cost about a tenth of a small request's instructions.
void ClientSession::startServerWait() {
  lastServerRead_ = Clock::now();
  armTimer(TimerRole::kServer, backend_->options().timeout.server);
}

void ClientSession::checkServerWait() {
  if (state_ != State::kExchanging || !upstream_ || connecting_) {  // the exchange moved on
    armTimer(TimerRole::kNone, {});
    return;
  }
  const auto limit = backend_->options().timeout.server;
  const auto now = Clock::now();
  // While we hold the server back for a slow client, its silence is ours (as a disabled read event).
  if (upstreamReadPaused_) lastServerRead_ = now;
  if (now - lastServerRead_ < limit) {
    armTimerUntil(TimerRole::kServer, lastServerRead_ + limit);
    return;
  }
  armTimer(TimerRole::kNone, {});
  onUpstreamClosed(true);
  flushBoth();
}

void ClientSession::handleUpstreamRead() {
  lastActivity_ = lastServerRead_ = Clock::now();
  if (state_ == State::kTunnel) {
    pumpTunnel(upstream_->bev(), client_.get());
    return;
  }
  parseResponse();
  flushBoth();
}

void ClientSession::handleUpstreamWrite() {
  if (state_ == State::kTunnel) {
    bufferevent_enable(client_.get(), EV_READ);
    return;
  }
  requestBodyPaused_ = false;
  if (!requestDone_) {
    parseRequest();
    flushBoth();
  }
}

void ClientSession::handleUpstreamEvent(short what) {
  if (connecting_) {
    if (what & BEV_EVENT_CONNECTED) {
      onUpstreamConnected();
    } else {
      onConnectFailed((what & BEV_EVENT_TIMEOUT) ? Failure::kConnectTimeout : connectFailure());
      flushBoth();
    }
    return;
  }
  if (state_ == State::kTunnel) {
    // Flush what the server sent last, then close the client too.
    pumpTunnel(upstream_->bev(), client_.get());
    closeAfterFlush();
    return;
  }
  onUpstreamClosed((what & BEV_EVENT_TIMEOUT) != 0);
  flushBoth();
}

void ClientSession::parseResponse() {
  if (!upstream_) return;
  evbuffer* in = bufferevent_get_input(upstream_->bev());
  evbuffer* clientOut = bufferevent_get_output(client_.get());
  while (state_ == State::kExchanging && upstream_) {
    if (evbuffer_get_length(clientOut) > kOutputHighWater) sendNow(client_.get());
    if (evbuffer_get_length(clientOut) > kOutputHighWater) {
      upstreamReadPaused_ = true;  // resumed by the client's write callback
      bufferevent_disable(upstream_->bev(), EV_READ);
      return;
    }
    if (upstreamReadPaused_) {  // a direct write drained the client before its callback came
      upstreamReadPaused_ = false;
      lastServerRead_ = Clock::now();
      bufferevent_enable(upstream_->bev(), EV_READ);
    }
    if (responsePassthrough_) {
      if (!passResponseBody(in, clientOut)) return;
      continue;
    }
    evbuffer_iovec vec{};
    const int chains = evbuffer_peek(in, -1, nullptr, &vec, 1);
    const size_t avail = chains > 0 ? vec.iov_len : 0;
    if (avail == 0 && !responseParser_.headComplete()) return;
    if (avail > 0) responseStarted_ = true;
    auto r = responseParser_.feed(avail > 0 ? static_cast<const char*>(vec.iov_base) : kNoBytes, avail);
    evbuffer_drain(in, r.consumed);
    switch (r.status) {
      case http::HttpParser::Status::kNeedMore:
        if (avail == 0) return;
        break;
      case http::HttpParser::Status::kHead:
        onResponseHead();
        break;
      case http::HttpParser::Status::kComplete:
        if (responseParser_.response().isInterim() && responseParser_.response().status != 101) {
          responseParser_.startNext();
          responseParser_.setExpectNoBody(requestParser_.request().isHead());
          break;
        }
        onResponseComplete();
        return;
      case http::HttpParser::Status::kError:
        if (responseHeadSent_) {
          abort("SD");
        } else {
          backend_->recordFailure(*server_, upstream::ServerFailure::kBadResponse, steadyNowMs(), holdsProbe_);
          failExchange(Failure::kBadResponse);
        }
        return;
    }
  }
}

void ClientSession::onResponseHead() {
  http::ResponseHead& resp = responseParser_.response();
  const http::RequestHead& req = requestParser_.request();
  if (resp.status == 101) {
    if (!req.upgrade) {
      failExchange(Failure::kBadResponse);
      return;
    }
    startTunnel();
    return;
  }
  if (resp.isInterim()) {
    // 100 is ours to send (Expect was answered locally); other 1xx go to HTTP/1.1 clients.
    if (resp.status != 100 && req.versionMinor == 1) {
      scratch_.clear();
      writeResponseHead(resp, ClientFraming::kNone, ClientConnection::kKeepAlive, 1, scratch_);
      evbuffer_add(bufferevent_get_output(client_.get()), scratch_.data(), scratch_.size());
    }
    return;
  }
  responseHeadAt_ = Clock::now();
  status_ = resp.status;
  // Read before the hop-by-hop fields are stripped for the client.
  const std::string* keepAlive = resp.headers.get("keep-alive");
  upstreamIdle_ = upstream::idleBudget(backend_->options().timeout.upstream_idle, keepAlive ? *keepAlive : "");
  replayable_ = false;  // the client gets this response: no retry can replace it now
  evbuffer_drain(replay_.get(), evbuffer_get_length(replay_.get()));
  applyResponseRules(resp);
  startCapture(resp);
  clientFraming_ = chooseClientFraming(resp, req.versionMinor);
  // An upgrade the server declined leaves the client expecting either protocol: close after.
  if (req.upgrade || clientFraming_ == ClientFraming::kUntilClose || clientEof_) closeAfterResponse_ = true;
  if (req.versionMinor == 0 && clientFraming_ == ClientFraming::kChunked) closeAfterResponse_ = true;
  scratch_.clear();
  writeResponseHead(resp, clientFraming_, closeAfterResponse_ ? ClientConnection::kClose : ClientConnection::kKeepAlive,
                    req.versionMinor, scratch_);
  captureHeaders(resp);
  bytesOut_ += scratch_.size();
  evbuffer_add(bufferevent_get_output(client_.get()), scratch_.data(), scratch_.size());
  responseHeadSent_ = true;
  if (clientFraming_ == ClientFraming::kContentLength) {
    responsePassthrough_ = true;
    responseBodyLeft_ = resp.contentLength;
  }
}

// Moves Content-Length body bytes to the client without parsing them. Returns true when some
// moved and the body goes on (loop again for the backpressure check), false otherwise.
bool ClientSession::passResponseBody(evbuffer* in, evbuffer* clientOut) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(responseBodyLeft_, evbuffer_get_length(in)));
  if (n > 0) {
    captureBody(in, n);
    evbuffer_remove_buffer(in, clientOut, n);
    responseBodyLeft_ -= n;
    bytesOut_ += n;
  }
  if (responseBodyLeft_ == 0) {
    onResponseComplete();
    return false;
  }
  return n > 0;
}

void ClientSession::forwardResponseBody(const char* data, size_t len) {
  captureBody(data, len);
  evbuffer* out = bufferevent_get_output(client_.get());
  bytesOut_ += len;
  if (clientFraming_ == ClientFraming::kChunked) {
    evbuffer_add_printf(out, "%zx\r\n", len);
    evbuffer_add(out, data, len);
    evbuffer_add(out, "\r\n", 2);
  } else {
    evbuffer_add(out, data, len);
  }
}

void ClientSession::onResponseComplete() {
  if (clientFraming_ == ClientFraming::kChunked) evbuffer_add(bufferevent_get_output(client_.get()), "0\r\n\r\n", 5);
  server_->recordSuccess(steadyNowMs(), holdsProbe_);
  holdsProbe_ = false;  // its verdict is in: the probe claim was freed with it
  finishExchange();
}

void ClientSession::onUpstreamClosed(bool timedOut) {
  if (!responseHeadSent_) {
    if (!timedOut && retryAfterServerClosed()) return;
    backend_->recordFailure(*server_, timedOut ? upstream::ServerFailure::kResponseTimeout : upstream::ServerFailure::kClosed,
                            steadyNowMs(), holdsProbe_);
    failExchange(timedOut ? Failure::kServerTimeout : Failure::kServerClosed);
    return;
  }
  if (!timedOut && !responsePassthrough_ && responseParser_.finishAtEof() == http::HttpParser::Status::kComplete) {
    onResponseComplete();
    return;
  }
  abort(timedOut ? "sD" : "SD");
}

// The server closed (or reset) the connection before the client got anything. Returns true
// when the request is on its way again.
bool ClientSession::retryAfterServerClosed() {
  if (!replayable_ || !upstream_) return false;  // part of the body is gone: nothing to resend
  // Put back what was sent so that the next connection gets the same bytes.
  evbuffer_prepend_buffer(pending_.get(), replay_.get());
  // A reused keep-alive connection that dies before any response byte raced with the server's
  // own idle close: the server never processed the request, so any method may go again, on a
  // fresh connection to the same server (its other idle ones are suspect too). Not a failure.
  if (upstream_->reused() && !responseStarted_) {
    upstream::Server& server = *server_;
    upstream_.reset();
    upstreamReadPaused_ = requestBodyPaused_ = false;
    freshConnection_ = true;
    connectTo(server, holdsProbe_);
    return true;
  }
  // Otherwise the server may have acted on it: only an idempotent request is sent again, and
  // only to another server (as nginx's proxy_next_upstream), never twice to the one that failed.
  upstream::Server& failed = *server_;
  upstream::Pick next;
  if (requestParser_.request().isIdempotent() && retries_ < backend_->options().retries) {
    tried_.push_back(failed.index());
    next = ctx_->picker(*backend_).pick(*backend_, clientHash_, tried_, steadyNowMs());
  }
  if (next.outcome == upstream::Pick::Outcome::kNone) {
    evbuffer_drain(pending_.get(), evbuffer_get_length(pending_.get()));
    return false;
  }
  backend_->recordFailure(failed, upstream::ServerFailure::kClosed, steadyNowMs(), holdsProbe_);
  releaseServer();
  dropUpstream();
  ++retries_;
  countRetry(failed, true);
  freshConnection_ = true;
  if (next.outcome == upstream::Pick::Outcome::kAcquired) {
    connectTo(*next.server, next.probe);
  } else {
    enqueue(next.server != nullptr ? next.server->index() : -1);
  }
  return true;
}

}  // namespace weir::proxy

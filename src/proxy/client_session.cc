// ClientSession, client side: reading requests, local replies, the end of each exchange.
#include "weir/proxy/client_session.h"

#include <algorithm>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <fmt/format.h>

#include "weir/base/time_util.h"
#include "weir/log/access_log.h"
#include "weir/proxy/flow_control.h"
#include "weir/proxy/worker_context.h"
#include "weir/upstream/connection_reuse.h"

namespace weir::proxy {

namespace {
char kNoBytes[1];  // what llhttp is fed when there are no bytes
// Idle connections kept past `keepalive` after a burst (ConnectionPool::put) wait this long at
// most: under load they are taken again within milliseconds.
constexpr std::chrono::milliseconds kSurplusIdle{1000};
}  // namespace

ClientSession::ClientSession(WorkerContext& ctx, const FrontendRuntime& fe, std::shared_ptr<const tls::TlsBind> tls,
                             evutil_socket_t fd, const net::Address& peer)
    : ctx_(&ctx),
      fe_(&fe),
      peer_(peer),
      id_(ctx.nextSessionId()),
      clientHash_(upstream::hashClientIp(peer)),
      peerText_(peer.toString()),
      peerIp_(peer.hostString()),
      tls_(std::move(tls)),
      requestBody_{},
      responseBody_{},
      requestParser_(http::HttpParser::Kind::kRequest, ctx.runtime().requestLimits, &requestBody_),
      responseParser_(http::HttpParser::Kind::kResponse, ctx.runtime().responseLimits, &responseBody_),
      acceptDate_(std::chrono::system_clock::now()) {
  requestBody_.session = this;
  responseBody_.session = this;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (tls_) openTlsClient(fd);
  else client_.reset(bufferevent_socket_new(ctx.base(), fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS));
  timer_.reset(evtimer_new(ctx.base(), &ClientSession::onTimer, this));
  pending_.reset(evbuffer_new());
  replay_.reset(evbuffer_new());
}

ClientSession::~ClientSession() { releaseServer(); }

void ClientSession::start() {
  if (!client_) {
    destroy();
    return;
  }
  bufferevent_setcb(client_.get(), &onClientRead, &onClientWrite, &onClientEvent, this);
  bufferevent_setwatermark(client_.get(), EV_READ, 0, kReadHighWater);
  bufferevent_setwatermark(client_.get(), EV_WRITE, kOutputLowWater, 0);
  bufferevent_set_max_single_write(client_.get(), kOutputHighWater * 2);  // libevent's default: 16 KiB
  // The write side is always timed (a client that stops reading); the read side only while a
  // request body is expected, since head arrival has its own timer.
  bufferevent_set_timeouts(client_.get(), nullptr, ctx_->timeout(fe_->options.timeout.client));
  takeOverReads(client_.get());
  bufferevent_enable(client_.get(), EV_READ);  // EV_WRITE only while output waits (sendNow)
  if (tls_) armTimer(TimerRole::kHandshake, fe_->options.timeout.client_handshake);
  else armTimer(TimerRole::kHttpRequest, fe_->options.timeout.http_request);
}

bool ClientSession::betweenRequests() const {
  return state_ == State::kReadingHead && !requestParser_.messageStarted() &&
         evbuffer_get_length(bufferevent_get_input(client_.get())) == 0;
}

bool ClientSession::idle() const {
  return betweenRequests() && evbuffer_get_length(bufferevent_get_output(client_.get())) == 0;
}

void ClientSession::moveTo(WorkerContext& ctx, const FrontendRuntime& fe) {
  ctx_ = &ctx;
  fe_ = &fe;
  // The new config's timeouts from now on (the parser's limits stay those it was made with).
  bufferevent_set_timeouts(client_.get(), nullptr, ctx_->timeout(fe_->options.timeout.client));
  if (timerRole_ == TimerRole::kKeepAlive) armTimer(TimerRole::kKeepAlive, fe_->options.timeout.http_keep_alive);
}

bool ClientSession::drain() {
  if (state_ == State::kClosing || state_ == State::kTunnel) return false;
  if (betweenRequests()) {
    if (evbuffer_get_length(bufferevent_get_output(client_.get())) > 0) {
      closeAfterFlush();  // replies still going out to pipelined requests finish first
      return false;
    }
    destroy();  // idle keep-alive: nothing unread, nothing unsent
    return true;
  }
  closeAfterResponse_ = true;  // Connection: close on the response, if its head is not out yet
  return false;
}

void ClientSession::onClientRead(bufferevent*, void* self) { static_cast<ClientSession*>(self)->handleClientRead(); }
void ClientSession::onClientWrite(bufferevent*, void* self) { static_cast<ClientSession*>(self)->handleClientWrite(); }
void ClientSession::onClientEvent(bufferevent*, short what, void* self) {
  static_cast<ClientSession*>(self)->handleClientEvent(what);
}
void ClientSession::onTimer(evutil_socket_t, short, void* self) { static_cast<ClientSession*>(self)->handleTimer(); }

void ClientSession::transitionTo(State next) { state_ = next; }

void ClientSession::handleClientRead() {
  lastActivity_ = Clock::now();
  switch (state_) {
    case State::kTunnel:
      pumpTunnel(client_.get(), upstream_->bev());
      return;
    case State::kClosing: {
      evbuffer* in = bufferevent_get_input(client_.get());
      lingerDrained_ += evbuffer_get_length(in);
      evbuffer_drain(in, evbuffer_get_length(in));
      if (lingerDrained_ > kLingerMaxBytes) destroy();
      return;
    }
    default:
      parseRequest();
      flushBoth();
  }
}

void ClientSession::handleClientWrite() {
  evbuffer* out = bufferevent_get_output(client_.get());
  if (state_ == State::kClosing) {
    if (evbuffer_get_length(out) == 0) finishClosing();
    return;
  }
  if (state_ == State::kTunnel) {
    bufferevent_enable(upstream_->bev(), EV_READ);
    return;
  }
  if (clientOutputPaused_) {
    clientOutputPaused_ = false;
    parseRequest();
    flushBoth();
  }
  if (upstreamReadPaused_ && upstream_) {
    upstreamReadPaused_ = false;
    lastServerRead_ = Clock::now();  // the wait for the client was not the server's silence
    bufferevent_enable(upstream_->bev(), EV_READ);
    parseResponse();
    flushBoth();
  }
}

void ClientSession::handleClientEvent(short what) {
  if ((what & BEV_EVENT_CONNECTED) != 0) {  // a TLS bind's handshake is done
    if (state_ != State::kClosing) onHandshakeDone();
    return;
  }
  // A handshake that failed or was abandoned: nothing was said, nothing to linger for.
  if (tls_ && !handshakeDone_) {
    destroy();
    return;
  }
  if (state_ == State::kClosing) {
    destroy();
    return;
  }
  if (state_ == State::kTunnel) {
    closeAfterFlush();
    return;
  }
  const bool eof = (what & BEV_EVENT_EOF) != 0;
  const bool timedOut = (what & BEV_EVENT_TIMEOUT) != 0;
  // A client that half-closes after a complete request still gets its response(s).
  if (eof && (requestDone_ || state_ == State::kReadingHead)) {
    clientEof_ = true;
    bufferevent_disable(client_.get(), EV_READ);
    if (state_ == State::kReadingHead) {
      parseRequest();
      flushBoth();
    }
    return;
  }
  if (state_ == State::kReadingHead && !requestParser_.messageStarted()) {
    closeBetweenRequests();
    return;
  }
  // HAProxy's phases: R while the request head is awaited, D once its body or the response flows.
  const bool dataPhase = requestParser_.headComplete();
  abort(timedOut ? (dataPhase ? "cD" : "cR") : (dataPhase ? "CD" : "CR"));
}

evbuffer* ClientSession::requestSink() const {
  return state_ == State::kExchanging ? bufferevent_get_output(upstream_->bev()) : pending_.get();
}

bool ClientSession::requestSinkFull() {
  if (state_ == State::kReadingHead) return false;
  if (state_ == State::kExchanging && evbuffer_get_length(requestSink()) > kOutputHighWater) sendNow(upstream_->bev());
  const bool full = evbuffer_get_length(requestSink()) > kOutputHighWater;
  // Resumed by the server side's write callback, which must then stay armed (see flushBoth).
  if (state_ == State::kExchanging) requestBodyPaused_ = full;  // a direct write may have unblocked it
  return full;
}

void ClientSession::flushBoth() {
  // Not while closing (closeAfterFlush owns the client's write side) or tunnelling
  // (both sides keep EV_WRITE enabled).
  if (state_ == State::kClosing || state_ == State::kTunnel) return;
  // A side whose reader is paused waits for libevent's write callback to resume it: writing
  // it here could drain it and disarm that callback, and the transfer would stall.
  if (upstream_ && !connecting_ && !requestBodyPaused_) sendNow(upstream_->bev());
  if (!upstreamReadPaused_ && !clientOutputPaused_) sendNow(client_.get());
}

void ClientSession::parseRequest() {
  // After a reload, a request not begun yet follows the new config (this worker's new context).
  if (ctx_->retired() && state_ == State::kReadingHead && !requestParser_.messageStarted() && !ctx_->handOver(this)) {
    closeBetweenRequests();
    return;
  }
  evbuffer* in = bufferevent_get_input(client_.get());
  while (!requestDone_ && (state_ == State::kReadingHead || state_ == State::kCacheWait || state_ == State::kLocalBody ||
                           state_ == State::kConnecting || state_ == State::kQueued || state_ == State::kExchanging)) {
    if (requestSinkFull()) return;  // resumed by the server side's write callback
    if (state_ == State::kReadingHead && evbuffer_get_length(bufferevent_get_output(client_.get())) > kOutputHighWater) {
      sendNow(client_.get());  // may drain it all (a file goes out with one sendfile)
      if (evbuffer_get_length(bufferevent_get_output(client_.get())) > kOutputHighWater) {
        clientOutputPaused_ = true;  // local replies to pipelined requests wait for the client
        return;  // resumed by the write callback, armed by sendNow while bytes remain
      }
    }
    clientOutputPaused_ = false;  // under the mark: flushBoth may write (and re-arm) again
    if (requestPassthrough_) {
      passRequestBody(in);
      if (state_ == State::kReadingHead) continue;  // answered here: pipelined requests go on
      return;  // body complete (pipelined bytes wait for the response) or more bytes needed
    }
    evbuffer_iovec vec{};
    const int chains = evbuffer_peek(in, -1, nullptr, &vec, 1);
    const size_t avail = chains > 0 ? vec.iov_len : 0;
    if (state_ == State::kReadingHead && avail > 0 && timerRole_ == TimerRole::kKeepAlive) {
      armTimer(TimerRole::kHttpRequest, fe_->options.timeout.http_request);  // the next request has begun
    }
    if (avail > 0 && !requestParser_.messageStarted()) requestStart_ = Clock::now();
    if (avail == 0 && !requestParser_.headComplete()) {
      if (clientEof_) requestParser_.messageStarted() ? abort("CR") : closeBetweenRequests();
      return;
    }
    const char* data = avail > 0 ? static_cast<const char*>(vec.iov_base) : kNoBytes;
    auto r = requestParser_.feed(data, avail);
    evbuffer_drain(in, r.consumed);
    bytesIn_ += r.consumed;
    switch (r.status) {
      case http::HttpParser::Status::kNeedMore:
        if (avail == 0) return;
        break;
      case http::HttpParser::Status::kHead:
        onRequestHead();
        break;
      case http::HttpParser::Status::kComplete:
        onRequestComplete();
        return;
      case http::HttpParser::Status::kError:
        // A server may answer before the request body is in: a reply of ours cannot follow its bytes.
        if (responseHeadSent_) abort("PD");
        else failExchange(requestParseFailure(requestParser_.error().status));
        return;
    }
  }
}

void ClientSession::onRequestHead() {
  headDone_ = Clock::now();
  if (requestStart_ == Clock::time_point{}) requestStart_ = headDone_;
  armTimer(TimerRole::kNone, {});
  http::RequestHead& req = requestParser_.request();
  closeAfterResponse_ = !req.keepAlive || ctx_->draining();
  if (fe_->stats) {
    startStatsRequest(req);
    return;
  }
  if (!routeRequest(req)) return;  // answered here (a rule's reply, no backend, a bad path) or waiting
  forwardRequest();
}

void ClientSession::forwardRequest() {
  http::RequestHead& req = requestParser_.request();
  outHead_.clear();
  writeRequestHead(req, ForwardingInfo{fe_->options.forwardfor, peerIp_, tls_ ? "https" : "http"}, outHead_);
  if (req.framing == http::BodyFraming::kContentLength) {
    requestPassthrough_ = true;
    requestBodyLeft_ = req.contentLength;
  }
  if (req.hasBody()) {
    const timeval* clientTimeout = ctx_->timeout(fe_->options.timeout.client);
    bufferevent_set_timeouts(client_.get(), clientTimeout, clientTimeout);
  }
  transitionTo(State::kConnecting);
  connectUpstream();
}

// Moves Content-Length body bytes straight into the request sink, without parsing them.
void ClientSession::passRequestBody(evbuffer* in) {
  const size_t n = static_cast<size_t>(std::min<uint64_t>(requestBodyLeft_, evbuffer_get_length(in)));
  if (n > 0) {
    bytesIn_ += n;
    if (state_ == State::kExchanging) keepForReplay(in, n);
    evbuffer_remove_buffer(in, requestSink(), n);
    requestBodyLeft_ -= n;
  }
  if (requestBodyLeft_ > 0) return;
  requestPassthrough_ = false;
  onRequestComplete();
}

void ClientSession::forwardRequestBody(const char* data, size_t len) {
  if (requestParser_.request().framing == http::BodyFraming::kChunked) {
    char size[24];
    const int n = snprintf(size, sizeof(size), "%zx\r\n", len);
    sendRequestBytes(size, static_cast<size_t>(n));
    sendRequestBytes(data, len);
    sendRequestBytes("\r\n", 2);
  } else {
    sendRequestBytes(data, len);
  }
}

void ClientSession::sendRequestBytes(const void* data, size_t len) {
  evbuffer_add(requestSink(), data, len);
  if (state_ == State::kExchanging) keepForReplay(data, len);
}

void ClientSession::keepForReplay(const void* data, size_t len) {
  if (roomForReplay(len)) evbuffer_add(replay_.get(), data, len);
}

void ClientSession::keepForReplay(evbuffer* from, size_t len) {
  if (len == 0 || !roomForReplay(len)) return;
  // Copied chain by chain from where it lies: no staging buffer.
  evbuffer_ptr pos;
  evbuffer_ptr_set(from, &pos, 0, EVBUFFER_PTR_SET);
  size_t left = len;
  evbuffer_iovec vec[8];
  while (left > 0) {
    const int n = evbuffer_peek(from, static_cast<ev_ssize_t>(left), &pos, vec, 8);
    if (n <= 0) break;
    for (int i = 0; i < std::min(n, 8) && left > 0; ++i) {
      const size_t take = std::min(vec[i].iov_len, left);
      evbuffer_add(replay_.get(), vec[i].iov_base, take);
      left -= take;
      evbuffer_ptr_set(from, &pos, take, EVBUFFER_PTR_ADD);
    }
  }
}

bool ClientSession::roomForReplay(size_t len) {
  if (!replayable_) return false;
  if (evbuffer_get_length(replay_.get()) + len <= kReplayLimit) return true;
  replayable_ = false;  // too long to keep: this request is not resent
  evbuffer_drain(replay_.get(), evbuffer_get_length(replay_.get()));
  return false;
}

void ClientSession::onRequestComplete() {
  requestDone_ = true;
  const http::RequestHead& req = requestParser_.request();
  if (state_ == State::kLocalBody) {
    std::string body(evbuffer_get_length(pending_.get()), '\0');
    evbuffer_remove(pending_.get(), body.data(), body.size());
    bufferevent_set_timeouts(client_.get(), nullptr, ctx_->timeout(fe_->options.timeout.client));
    serveStats(req, body);
    return;
  }
  if (req.framing == http::BodyFraming::kChunked) sendRequestBytes("0\r\n\r\n", 5);
  // While waiting for the response only the write side of the client is timed.
  if (req.hasBody()) bufferevent_set_timeouts(client_.get(), nullptr, ctx_->timeout(fe_->options.timeout.client));
  // Now the server's silence counts. Also without a body: on a pooled connection the exchange
  // started before the request was complete.
  if (state_ == State::kExchanging) startServerWait();
}

void ClientSession::failExchange(Failure f) {
  const FailureReply& reply = failureReply(f);
  status_ = reply.status;
  termination_ = reply.termination;
  releaseServer();
  dropUpstream();
  // After a framing error, or with part of a request body unread, the connection cannot go on.
  const bool parseError = f == Failure::kBadRequest || f == Failure::kUriTooLong || f == Failure::kHeadTooLarge ||
                          f == Failure::kBodyTooLarge || f == Failure::kRequestTimeout;
  const bool close = parseError || !requestDone_ || closeAfterResponse_ || clientEof_;
  const std::string body = failureBody(f, backend_ != nullptr ? std::string_view(backend_->name()) : fe_->name);
  std::string reply_text = renderLocalReply(reply.status, reply.reason, body, close);
  bytesOut_ += reply_text.size();
  evbuffer_add(bufferevent_get_output(client_.get()), reply_text.data(), reply_text.size());
  logExchange();
  if (close) {
    closeAfterFlush();
  } else {
    startNextRequest();
    flushBoth();
  }
}

void ClientSession::finishExchange() {
  finishCapture();  // the whole response went through: keep it if it was storable
  logExchange();
  releaseServer();
  if (upstream_) {
    const http::ResponseHead& resp = responseParser_.response();
    upstream::ExchangeEnd end;
    end.requestSent = requestDone_;
    end.responseComplete = true;  // finishExchange runs only then
    end.responseKeepAlive = resp.keepAlive;
    end.responseVersionMinor = resp.versionMinor;
    end.upgraded = responseParser_.upgraded();
    end.bytesLeft = evbuffer_get_length(bufferevent_get_input(upstream_->bev())) != 0 ||
                    evbuffer_get_length(bufferevent_get_output(upstream_->bev())) != 0;
    if (upstream::mayReuse(end) && upstreamIdle_.count() > 0) {
      ctx_->pool().put(std::move(upstream_), backend_->keepalive(), ctx_->timeout(upstreamIdle_),
                       ctx_->timeout(std::min(upstreamIdle_, kSurplusIdle)));
    } else {
      dropUpstream();
    }
  }
  if (!requestDone_ || closeAfterResponse_ || clientFraming_ == ClientFraming::kUntilClose) {
    closeAfterFlush();
    return;
  }
  startNextRequest();
}

void ClientSession::startNextRequest() {
  resetForNextRequest();
  parseRequest();
}

void ClientSession::resetForNextRequest() {
  endCollapse(nullptr);  // while cacheIndex_ and cacheKey_ still name the entry
  ++requestsServed_;
  capture_.reset();
  cacheIndex_ = -1;
  requestParser_.reset();  // also after a body that bypassed llhttp
  backend_ = nullptr;
  server_ = nullptr;
  tried_.clear();
  retries_ = 0;
  requestDone_ = responseHeadSent_ = responseStarted_ = freshConnection_ = closeAfterResponse_ = false;
  replayable_ = true;
  evbuffer_drain(replay_.get(), evbuffer_get_length(replay_.get()));
  waiter_ = {};
  queueWaitMs_ = 0;
  upstreamReadPaused_ = requestBodyPaused_ = sent100_ = logged_ = false;
  clientFraming_ = ClientFraming::kNone;
  requestPassthrough_ = responsePassthrough_ = false;
  requestBodyLeft_ = responseBodyLeft_ = 0;
  status_ = -1;
  bytesIn_ = bytesOut_ = 0;
  termination_ = "--";
  deniedByRule_ = false;
  requestStart_ = headDone_ = connectStart_ = connected_ = responseHeadAt_ = Clock::time_point{};
  evbuffer_drain(pending_.get(), evbuffer_get_length(pending_.get()));
  transitionTo(State::kReadingHead);
  armTimer(TimerRole::kKeepAlive, fe_->options.timeout.http_keep_alive);
}

void ClientSession::closeAfterFlush() {
  endCollapse(nullptr);
  leaveCollapse();
  releaseServer();
  dropUpstream();
  // Bytes of a request not read yet (a body, pipelined requests) would make the kernel answer
  // our close with a RST, which can destroy the reply before the client reads it.
  lingering_ = !clientEof_ && (!requestDone_ || evbuffer_get_length(bufferevent_get_input(client_.get())) > 0);
  transitionTo(State::kClosing);
  armTimer(TimerRole::kNone, {});
  bufferevent_disable(client_.get(), EV_READ);
  if (evbuffer_get_length(bufferevent_get_output(client_.get())) == 0) {
    finishClosing();
    return;
  }
  // A client that will not read its last reply is not waited for beyond timeout.client.
  bufferevent_set_timeouts(client_.get(), nullptr, ctx_->timeout(fe_->options.timeout.client));
  bufferevent_enable(client_.get(), EV_WRITE);
}

// The reply is out. Without bytes left to read: close. Otherwise half-close and read and drop
// what the client still sends, until it closes, kLingerTime passes or kLingerMaxBytes arrive
// (nginx: lingering_close), so the client reads our reply before it sees the connection end.
void ClientSession::finishClosing() {
  if (lingerStarted_) return;  // a write callback queued before the close: the drain goes on
  if (!lingering_) {
    destroy();
    return;
  }
  lingerStarted_ = true;
  sendCloseNotify();
  shutdown(bufferevent_getfd(client_.get()), SHUT_WR);
  bufferevent_disable(client_.get(), EV_WRITE);
  bufferevent_set_timeouts(client_.get(), nullptr, nullptr);
  evbuffer* in = bufferevent_get_input(client_.get());
  evbuffer_drain(in, evbuffer_get_length(in));
  bufferevent_enable(client_.get(), EV_READ);
  armTimer(TimerRole::kLinger, kLingerTime);
}

void ClientSession::closeBetweenRequests() {
  // A connection that never sent anything is logged only without dontlognull (HAProxy: CR).
  if (requestsServed_ == 0 && !fe_->options.dontlognull) {
    termination_ = "CR";
    logExchange();
  }
  closeAfterFlush();
}

void ClientSession::abort(std::string_view termination) {
  termination_ = termination;
  logExchange();
  releaseServer();
  dropUpstream();
  destroy();
}

void ClientSession::destroy() {
  leaveQueue();
  if (state_ == State::kLocalWait) ctx_->removeWaiting(id_);
  endCollapse(nullptr);
  leaveCollapse();
  if (requestParser_.headComplete()) logExchange();  // a tunnel's exchange ends here
  if (state_ != State::kClosing) transitionTo(State::kClosing);
  armTimer(TimerRole::kNone, {});
  if (client_) {
    if (!lingerStarted_) sendCloseNotify();
    bufferevent_disable(client_.get(), EV_READ | EV_WRITE);
  }
  ctx_->closeSession(this);
}

void ClientSession::setTimerRole(TimerRole role) {
  if (role != timerRole_) {  // stub_status: the head timer means reading, the keep-alive timer waiting
    stats::ConnectionShard& states = ctx_->counters().connections();
    if (timerRole_ == TimerRole::kHttpRequest || timerRole_ == TimerRole::kHandshake) states.reading.sub();
    if (timerRole_ == TimerRole::kKeepAlive) states.waiting.sub();
    if (role == TimerRole::kHttpRequest || role == TimerRole::kHandshake) states.reading.add();
    if (role == TimerRole::kKeepAlive) states.waiting.add();
  }
  timerRole_ = role;
}

// A request moves the deadline two or three times (head timer, server wait, keep-alive), and
// each libevent add or delete of a timer costs a few hundred instructions: so the event stays
// where it is unless it would fire after the new deadline.
void ClientSession::armTimer(TimerRole role, std::chrono::milliseconds after) {
  setTimerRole(role);
  if (role == TimerRole::kNone) return;  // a pending event will find nothing to do
  timerDeadline_ = Clock::now() + after;
  if (timerPending_ && timerFiresAt_ <= timerDeadline_) return;
  startTimerEvent(ctx_->timeout(after));
}

void ClientSession::armTimerUntil(TimerRole role, Clock::time_point deadline) {
  setTimerRole(role);
  timerDeadline_ = deadline;
  if (timerPending_ && timerFiresAt_ <= deadline) return;
  const auto rest = std::chrono::ceil<std::chrono::microseconds>(std::max(deadline - Clock::now(), Clock::duration::zero()));
  const timeval tv{static_cast<time_t>(rest.count() / 1000000), static_cast<suseconds_t>(rest.count() % 1000000)};
  startTimerEvent(&tv);
}

void ClientSession::startTimerEvent(const timeval* after) {
  evtimer_add(timer_.get(), after);
  timerPending_ = true;
  timerFiresAt_ = timerDeadline_;
}

void ClientSession::handleTimer() {
  timerPending_ = false;
  if (timerRole_ == TimerRole::kNone) return;
  if (Clock::now() < timerDeadline_) {  // armed for an earlier deadline, since moved on
    armTimerUntil(timerRole_, timerDeadline_);
    return;
  }
  switch (timerRole_) {
    case TimerRole::kKeepAlive:
    case TimerRole::kHttpRequest:
      // A reply still going out (a large file, replies to pipelined requests) is not idleness:
      // the client's write timeout (timeout.client) bounds a client that stops reading.
      if (evbuffer_get_length(bufferevent_get_output(client_.get())) > 0) {
        armTimer(timerRole_, timerRole_ == TimerRole::kKeepAlive ? fe_->options.timeout.http_keep_alive
                                                                 : fe_->options.timeout.http_request);
        return;
      }
      // Nothing of a request yet: an idle keep-alive connection simply closes.
      if (!requestParser_.messageStarted() && evbuffer_get_length(bufferevent_get_input(client_.get())) == 0) {
        if (requestsServed_ == 0 && !fe_->options.dontlognull) failExchange(Failure::kRequestTimeout);
        else destroy();
        return;
      }
      failExchange(Failure::kRequestTimeout);
      return;
    case TimerRole::kHandshake:  // nothing to answer in: the client has no TLS session yet
      destroy();
      return;
    case TimerRole::kCacheWait:
      resumeAfterCollapse(nullptr);  // the leader is slow: ask the server ourselves
      return;
    case TimerRole::kLocalWait:  // an operation on every worker did not finish: a worker is stuck
      answerLocalWait({503, "text/plain; charset=utf-8", {}, "503 Service Unavailable: a worker did not answer.\n"});
      return;
    case TimerRole::kQueue:
      if (Clock::now() - queuedAt_ < backend_->options().timeout.queue) {
        recheckQueue();
        return;
      }
      leaveQueue();
      backend_->queue().stats().timedOut.fetch_add(1, std::memory_order_relaxed);
      failExchange(Failure::kQueueTimeout);
      return;
    case TimerRole::kServer:
      checkServerWait();
      return;
    case TimerRole::kTunnel: {
      const auto idle = Clock::now() - lastActivity_;
      if (idle >= fe_->options.timeout.tunnel) {
        termination_ = "cD";
        closeAfterFlush();
      } else {
        armTimerUntil(TimerRole::kTunnel, lastActivity_ + fe_->options.timeout.tunnel);
      }
      return;
    }
    case TimerRole::kLinger:
      destroy();
      return;
    case TimerRole::kNone:
      return;
  }
}

void ClientSession::logExchange() {
  if (logged_) return;
  logged_ = true;
  const auto now = Clock::now();
  countExchange(now);
  if (!ctx_->accessLog().enabled()) return;
  const http::RequestHead& req = requestParser_.request();
  log::AccessLogEntry e;
  e.client = peerText_;
  e.acceptDate = acceptDate_;
  e.frontend = fe_->name;
  e.backend = backend_ != nullptr ? std::string_view(backend_->name()) : std::string_view(fe_->name);
  e.server = server_ != nullptr ? std::string_view(server_->name()) : std::string_view();
  const bool haveRequest = requestParser_.headComplete();
  if (requestStart_ == Clock::time_point{}) requestStart_ = now;
  e.TR = haveRequest ? millisBetween(requestStart_, headDone_) : -1;
  e.Tw = haveRequest ? queueWaitMs_ : -1;
  e.Tc = connected_ != Clock::time_point{} ? millisBetween(connectStart_, connected_) : -1;
  e.Tr = responseHeadAt_ != Clock::time_point{} ? millisBetween(connected_, responseHeadAt_) : -1;
  e.Ta = millisBetween(requestStart_, now);
  e.status = status_;
  e.bytesRead = bytesOut_;
  e.termination = termination_;
  e.retries = retries_;
  e.serverConns = server_ != nullptr ? server_->active().load(std::memory_order_relaxed) : 0;
  e.queuedBehind = waiter_.ahead;
  e.badRequest = !haveRequest;
  e.method = req.method;
  e.target = req.target;
  e.versionMinor = req.versionMinor;
  e.tlsVersion = tlsVersion_;
  e.tlsCipher = tlsCipher_;
  e.sni = sni_;
  ctx_->accessLog().write(e);
}

}  // namespace weir::proxy

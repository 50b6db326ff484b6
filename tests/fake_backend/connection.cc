#include "connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <optional>
#include <vector>

#include "websocket_accept.h"
#include "worker.h"

namespace weir::fake {
namespace {

// How long a closing connection keeps reading (and discarding) after its FIN, so unread
// pipelined input does not turn the close into an RST that destroys the last response.
constexpr std::chrono::milliseconds kLingerTimeout{2000};
constexpr std::string_view kControlPrefix = "/__fake/";
constexpr std::string_view kStatsPath = "/__fake/stats";
constexpr std::string_view kRoutePath = "/__fake/route";
const ResponseScript kDefaultScript{};

bool hasNoBody(int status) { return status < 200 || status == 204 || status == 304; }

/// True if the kernel holds input that libevent has not read yet.
bool socketHasInput(evutil_socket_t fd) {
  char byte = 0;
  return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

/// Reads and drops whatever the kernel holds, so that close() sends a FIN and not the RST it
/// sends when unread input is left behind.
void discardSocketInput(evutil_socket_t fd) {
  char scratch[16384];
  while (recv(fd, scratch, sizeof scratch, MSG_DONTWAIT) > 0) {
  }
}

}  // namespace

Connection::Connection(Worker& worker, BackendShared& shared)
    : worker_(worker), shared_(shared), writer_(shared.name) {}

bool Connection::start(event_base* base, evutil_socket_t fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // best effort: latency only
  bev_.reset(bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE));
  if (!bev_) {
    evutil_closesocket(fd);
    return false;
  }
  bufferevent_setcb(bev_.get(), onRead, onWrite, onEvent, this);
  // EV_WRITE stays off until a direct write leaves bytes behind (see flushOutput()).
  if (bufferevent_disable(bev_.get(), EV_WRITE) != 0 || bufferevent_enable(bev_.get(), EV_READ) != 0) return false;
  shared_.stats.connectionAccepted();
  countedOpen_ = true;
  return true;
}

void Connection::handleRead() {
  cancelIdleTimer();  // the first byte of the next request
  dispatchRead();
  flushOutput();
}

void Connection::dispatchRead() {
  switch (state_) {
    case State::kReading:
      parseInput();
      break;
    case State::kStalled:
    case State::kLingering:
      drainInput();
      break;
    case State::kTunnel:
      pumpTunnel();
      break;
    case State::kDelaying:  // the next request waits in the input buffer
    case State::kDraining:
    case State::kHangingUp:
    case State::kClosed:
      break;
  }
}

// The bufferevent drained what flushOutput() could not write at once.
void Connection::handleWrite() {
  bufferevent_disable(bev_.get(), EV_WRITE);
  outputFlushed();
}

// Writes queued output straight to the socket at the end of each callback: a response then
// costs one writev and no epoll_ctl. Only a remainder waits for the bufferevent's EV_WRITE.
void Connection::flushOutput() {
  if (state_ == State::kClosed) return;
  evbuffer* out = output();
  if (evbuffer_get_length(out) > 0 && (bufferevent_get_enabled(bev_.get()) & EV_WRITE) == 0) {
    // A bufferevent keeps the front of its output frozen; thaw it for this write, as
    // libevent's own write callback does.
    evbuffer_unfreeze(out, 1);
    int written = evbuffer_write(out, bufferevent_getfd(bev_.get()));
    int error = EVUTIL_SOCKET_ERROR();
    evbuffer_freeze(out, 1);
    if (written < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR) {
      close();
      return;
    }
    if (evbuffer_get_length(out) > 0 && bufferevent_enable(bev_.get(), EV_WRITE) != 0) {
      close();
      return;
    }
  }
  if (evbuffer_get_length(out) == 0) outputFlushed();
}

// Everything queued so far has gone to the socket.
void Connection::outputFlushed() {
  switch (state_) {
    case State::kDraining:
      startLingering();
      break;
    case State::kHangingUp:
      hangUp();
      break;
    case State::kReading:
      startIdleTimerIfIdle();
      break;
    default:
      break;
  }
}

void Connection::handleEvent(short what) {
  if ((what & BEV_EVENT_ERROR) != 0) {
    close();
  } else if ((what & BEV_EVENT_EOF) != 0) {
    peerClosed_ = true;
    handlePeerClosed();
  }
  flushOutput();
}

void Connection::handlePeerClosed() {
  switch (state_) {
    case State::kReading:  // answer what is buffered, then close
      parseInput();
      break;
    case State::kStalled:
    case State::kLingering:
      close();
      break;
    case State::kTunnel:
      startDraining();
      break;
    case State::kDelaying:  // the delayed answer still goes out
    case State::kDraining:
    case State::kHangingUp:  // the hang-up follows once the output is written
    case State::kClosed:
      break;
  }
}

void Connection::handleTimer() {
  if (state_ == State::kDelaying) {
    answer();
    if (state_ == State::kReading) parseInput();
  } else if (state_ == State::kLingering) {
    close();
  } else if (state_ == State::kReading && idleTimerArmed_) {
    idleTimerArmed_ = false;
    handleIdleTimeout();
  }
  flushOutput();
}

// --idle-timeout: hang up like nginx's keepalive_timeout. Input already waiting in the kernel
// is the next request, which arrived in this same loop turn: its read callback follows and
// answers it, as if its first byte had cancelled the timer in time.
void Connection::handleIdleTimeout() {
  if (parser_.inMessage() || evbuffer_get_length(input()) > 0 || socketHasInput(bufferevent_getfd(bev_.get()))) {
    return;
  }
  shared_.stats.connectionIdleClosed();
  startHangingUp();
}

// Feeds buffered input to the parser until a request needs an answer that is not immediate,
// the connection closes, or the input runs out.
void Connection::parseInput() {
  evbuffer* in = input();
  while (state_ == State::kReading) {
    static constexpr char kNothing[1] = {};
    const char* data = kNothing;
    size_t length = 0;
    evbuffer_iovec chunk;
    if (evbuffer_peek(in, -1, nullptr, &chunk, 1) >= 1 && chunk.iov_len > 0) {
      data = static_cast<const char*>(chunk.iov_base);
      length = chunk.iov_len;
    } else if (!parser_.pausedAtHead()) {
      break;
    }
    RequestParser::Step step = parser_.feed(data, length);
    evbuffer_drain(in, step.consumed);
    switch (step.event) {
      case RequestParser::Event::kNeedMore:
        break;
      case RequestParser::Event::kHeadComplete:
        handleHead();
        break;
      case RequestParser::Event::kMessageComplete:
        handleMessage();
        break;
      case RequestParser::Event::kError:
        handleMalformed();
        return;
    }
  }
  if (state_ == State::kReading && peerClosed_ && evbuffer_get_length(in) == 0) startDraining();
}

void Connection::handleHead() {
  if (dropNext_) {
    startDroppedRequest();
    return;
  }
  std::string_view target = parser_.target();
  std::string_view path = targetPath(target);
  controlRequest_ = path.starts_with(kControlPrefix);
  if (!sawRequest_) {
    sawRequest_ = true;
    controlConnection_ = controlRequest_;
    if (controlRequest_ && countedOpen_) {  // a stats query must not count itself
      shared_.stats.connectionIsControl();
      countedOpen_ = false;
    }
  }
  if (controlRequest_) {
    script_ = &kDefaultScript;
    scriptError_.clear();
  } else {
    chooseScript(path, targetQuery(target));
  }
  tunnel_ = script_->upgrade && parser_.wantsWebSocket();
  if (!tunnel_) parser_.ignoreUpgrade();
  if (parser_.expectsContinue() && !parser_.isHttp10() && !script_->noResponse && !script_->reset &&
      !ResponseWriter::writeContinue(output())) {
    close();
  }
}

// The previous request said drop_next=1. This one, whatever it asks for, is read in full and
// recorded like any other, then handleMessage() hangs up without a byte of answer (not even
// 100 Continue): a server that closed the keep-alive connection just as the client reused it.
void Connection::startDroppedRequest() {
  dropNext_ = false;
  dropping_ = true;
  controlRequest_ = false;
  tunnel_ = false;
  parser_.ignoreUpgrade();
}

void Connection::chooseScript(std::string_view path, std::string_view query) {
  // A copy: a route replaced through /__fake/route meanwhile does not change this request.
  queryScript_ = shared_.routes.find(path).value_or(kDefaultScript);
  scriptError_.clear();
  if (!query.empty()) scriptError_ = applyScriptParams(query, UnknownKeys::kIgnore, queryScript_);
  script_ = &queryScript_;
}

void Connection::handleMessage() {
  if (controlRequest_) {
    answerControl();
    return;
  }
  ++requests_;
  shared_.stats.requestCompleted();
  if (shared_.recorder) {
    shared_.recorder->recordRequest(connectionId(), requests_, parser_.method(), parser_.target(), parser_.head(),
                                    parser_.body());
  }
  if (dropping_) {
    shared_.stats.requestDropped();
    startHangingUp();
  } else if (!scriptError_.empty()) {
    answerSimple(400, "text/plain", scriptError_ + "\n", parser_.keepAlive());
  } else if (script_->noResponse) {
    transitionTo(State::kStalled);
    drainInput();
  } else if (script_->delayMs > 0) {
    transitionTo(State::kDelaying);
    if (!armTimer(std::chrono::milliseconds(script_->delayMs))) close();
  } else {
    answer();
  }
}

void Connection::handleMalformed() {
  std::string reason(parser_.errorReason());
  if (shared_.recorder) shared_.recorder->recordMalformed(connectionId(), reason);
  answerSimple(400, "text/plain", "malformed request: " + reason + "\n", false);
}

void Connection::answer() {
  const ResponseScript& s = *script_;
  if (s.reset) {
    resetConnection();
    return;
  }
  if (tunnel_) {
    startTunnel();
    return;
  }
  if (s.bad) {
    finishAnswer(writer_.writeMalformed(output()), false);
    return;
  }
  bool keepAlive = parser_.keepAlive() && !s.close;
  BodySource body = scriptBody();
  bool noBody = hasNoBody(s.status);
  ResponseHead head;
  head.status = s.status;
  head.contentType = noBody ? "" : "text/plain";
  head.framing = noBody ? Framing::kNone : s.chunked ? Framing::kChunked : Framing::kContentLength;
  head.contentLength = body.size();
  head.connection = !keepAlive           ? ConnectionToken::kClose
                    : parser_.isHttp10() ? ConnectionToken::kKeepAlive
                                         : ConnectionToken::kNone;
  head.extraHeaders = s.headers;
  bool sendBody = !noBody && !parser_.isHeadMethod();
  uint64_t sendBytes = sendBody ? body.size() : 0;
  if (s.closeAfter) sendBytes = std::min(sendBytes, *s.closeAfter);
  if (s.stallAfter) sendBytes = std::min(sendBytes, *s.stallAfter);
  bool ok = writer_.writeHead(output(), head) &&
            (!sendBody || ResponseWriter::writeBody(output(), body, sendBytes, s.chunked));
  dropNext_ = s.dropNext;
  if (ok && s.stallAfter) {  // the rest never comes; the connection stays open
    transitionTo(State::kStalled);
    return;
  }
  finishAnswer(ok, keepAlive && !s.closeAfter);
}

BodySource Connection::scriptBody() {
  if (script_->echo) {
    echoBody_.assign(parser_.head());
    echoBody_.append(parser_.body());
    return BodySource::ofBytes(echoBody_);
  }
  if (script_->size) return BodySource::ofPattern(shared_.pattern, *script_->size);
  return BodySource::ofBytes(shared_.defaultBody);
}

void Connection::answerControl() {
  bool keepAlive = parser_.keepAlive();
  const std::string_view path = targetPath(parser_.target());
  if (path == kStatsPath) {
    answerSimple(200, "application/json", shared_.stats.toJson(), keepAlive);
  } else if (path == kRoutePath) {
    const std::string error = setRouteFromQuery(targetQuery(parser_.target()));
    if (error.empty()) {
      answerSimple(200, "text/plain", "ok\n", keepAlive);
    } else {
      answerSimple(400, "text/plain", error + "\n", keepAlive);
    }
  } else {
    answerSimple(404, "text/plain", "unknown fake-backend endpoint\n", keepAlive);
  }
}

// /__fake/route?path=/health&spec=status%3D503: replaces the route of `path`; an empty spec
// removes it.
std::string Connection::setRouteFromQuery(std::string_view query) {
  std::optional<std::string> path;
  std::string spec;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = percentDecode(pair.substr(0, eq));
    const std::string value = eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1));
    if (key == "path") path = value;
    if (key == "spec") spec = value;
  }
  if (!path) return "missing path=";
  const std::string error = shared_.routes.set(*path, spec);
  return error.empty() ? error : fmt::format("route {} spec '{}': {}", *path, spec, error);
}

void Connection::answerSimple(int status, std::string_view contentType, std::string_view body, bool keepOpen) {
  ResponseHead head;
  head.status = status;
  head.contentType = contentType;
  head.contentLength = body.size();
  head.connection = !keepOpen            ? ConnectionToken::kClose
                    : parser_.isHttp10() ? ConnectionToken::kKeepAlive
                                         : ConnectionToken::kNone;
  bool ok = writer_.writeHead(output(), head) &&
            ResponseWriter::writeBody(output(), BodySource::ofBytes(body), body.size(), false);
  finishAnswer(ok, keepOpen);
}

void Connection::finishAnswer(bool ok, bool keepOpen) {
  if (!ok) {
    close();
  } else if (keepOpen) {
    transitionTo(State::kReading);
    answeredKeepAlive_ = true;
  } else {
    startDraining();
  }
}

void Connection::startTunnel() {
  std::vector<ResponseHeader> headers = {{"Upgrade", "websocket"}};
  if (!parser_.webSocketKey().empty()) {
    headers.push_back({"Sec-WebSocket-Accept", webSocketAccept(parser_.webSocketKey())});
  }
  headers.insert(headers.end(), script_->headers.begin(), script_->headers.end());
  ResponseHead head;
  head.status = 101;
  head.framing = Framing::kNone;
  head.connection = ConnectionToken::kUpgrade;
  head.extraHeaders = headers;
  if (!writer_.writeHead(output(), head)) {
    close();
    return;
  }
  transitionTo(State::kTunnel);
  pumpTunnel();  // bytes that arrived right behind the request
}

void Connection::pumpTunnel() {
  if (evbuffer_add_buffer(output(), input()) != 0) {
    close();
  } else if (peerClosed_) {
    startDraining();
  }
}

void Connection::startDraining() {
  transitionTo(State::kDraining);
  bufferevent_disable(bev_.get(), EV_READ);  // flushOutput() goes on to kLingering
}

void Connection::startLingering() {
  transitionTo(State::kLingering);
  if (peerClosed_) {
    close();
    return;
  }
  shutdown(bufferevent_getfd(bev_.get()), SHUT_WR);
  drainInput();
  if (bufferevent_enable(bev_.get(), EV_READ) != 0 || !armTimer(kLingerTimeout)) close();
}

// Drop_next and --idle-timeout: no lingering, the socket closes right after the output.
void Connection::startHangingUp() {
  transitionTo(State::kHangingUp);
  bufferevent_disable(bev_.get(), EV_READ);  // flushOutput() goes on to hangUp()
}

// FIN now and close at once, like a server that really closed: a request sent after this
// gets an RST, not the silent discard of the lingering close.
void Connection::hangUp() {
  evutil_socket_t fd = bufferevent_getfd(bev_.get());
  shutdown(fd, SHUT_WR);  // the FIN leaves now, even if libevent closes the fd a little later
  discardSocketInput(fd);
  close();
}

void Connection::resetConnection() {
  linger abort{.l_onoff = 1, .l_linger = 0};  // close() then sends RST
  setsockopt(bufferevent_getfd(bev_.get()), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
  close();
}

void Connection::close() {
  if (state_ == State::kClosed) return;
  transitionTo(State::kClosed);
  timer_.reset();
  bev_.reset();  // safe inside a bufferevent callback: libevent defers the free
  if (countedOpen_) {
    shared_.stats.connectionClosed();
    countedOpen_ = false;
  }
  worker_.retire(this);
}

bool Connection::armTimer(std::chrono::milliseconds delay) {
  if (!timer_) timer_.reset(evtimer_new(bufferevent_get_base(bev_.get()), onTimer, this));
  if (!timer_) return false;
  timeval tv{.tv_sec = static_cast<time_t>(delay.count() / 1000),
             .tv_usec = static_cast<suseconds_t>(delay.count() % 1000 * 1000)};
  return evtimer_add(timer_.get(), &tv) == 0;
}

// Restarts the --idle-timeout once an answer that kept the connection open has been written
// and no next request has begun. Control connections (the tests' stats queries) never time out.
void Connection::startIdleTimerIfIdle() {
  if (!answeredKeepAlive_) return;
  answeredKeepAlive_ = false;
  if (shared_.idleTimeout.count() == 0 || controlConnection_) return;
  if (parser_.inMessage() || evbuffer_get_length(input()) > 0) return;  // the next request has begun
  if (!armTimer(shared_.idleTimeout)) {
    close();
    return;
  }
  idleTimerArmed_ = true;
}

void Connection::cancelIdleTimer() {
  if (!idleTimerArmed_) return;
  idleTimerArmed_ = false;
  evtimer_del(timer_.get());
}

void Connection::drainInput() { evbuffer_drain(input(), evbuffer_get_length(input())); }

uint64_t Connection::connectionId() {
  if (id_ == 0) id_ = shared_.stats.assignConnectionId();
  return id_;
}

}  // namespace weir::fake

#include "weir/upstream/server_check.h"

#include <event2/bufferevent_ssl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <netinet/tcp.h>

#include <cstring>

#include <fmt/format.h>

#include "weir/base/log.h"
#include "weir/base/time_util.h"
#include "weir/tls/client_tls.h"
#include "weir/upstream/backend.h"

namespace weir::upstream {

namespace {

constexpr size_t kBodyKept = 16 * 1024;  // enough for `expect: string` on a health page

std::chrono::milliseconds orInterval(const std::optional<std::chrono::milliseconds>& d, std::chrono::milliseconds interval) {
  return d.value_or(interval);
}

int64_t unixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string buildRequest(const config::HealthCheckConfig& cfg, const Server& server) {
  std::string r = fmt::format("{} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: weir-health-check\r\nConnection: close\r\n",
                              cfg.method, cfg.path, cfg.host.empty() ? server.address().toString() : cfg.host);
  for (const auto& [name, value] : cfg.headers) r += fmt::format("{}: {}\r\n", name, value);
  r += "\r\n";
  return r;
}

}  // namespace

void ServerCheck::BodyCollector::onBodyData(const char* data, size_t len) {
  body.append(data, std::min(len, kBodyKept - std::min(kBodyKept, body.size())));
}

ServerCheck::ServerCheck(event_base* base, Backend& backend, Server& server, std::chrono::milliseconds firstDelay)
    : base_(base),
      backend_(backend),
      server_(server),
      cfg_(backend.healthCheck()),
      // From where the server stands: init_state for a new one (Backend set checkDown), the
      // last verdict for one a reload kept.
      counter_(cfg_.rise, cfg_.fall, !server.shared().checkDown.load(std::memory_order_relaxed)),
      parser_(http::HttpParser::Kind::kResponse, http::ParserLimits{16 * 1024, 100, 8 * 1024}, &body_) {
  server_.health().setState(counter_.describe());
  timer_.reset(evtimer_new(base_, &ServerCheck::onTimer, this));
  schedule(firstDelay);
}

ServerCheck::~ServerCheck() = default;

void ServerCheck::onTimer(evutil_socket_t, short, void* self) {
  auto* check = static_cast<ServerCheck*>(self);
  if (!check->running_) {
    check->start();
    return;
  }
  check->finish({false, 0, -1, check->connected_ ? "Layer7 timeout" : "Layer4 timeout", ""});
}
void ServerCheck::onRead(bufferevent*, void* self) { static_cast<ServerCheck*>(self)->handleRead(); }
void ServerCheck::onEvent(bufferevent*, short what, void* self) { static_cast<ServerCheck*>(self)->handleEvent(what); }

void ServerCheck::schedule(std::chrono::milliseconds delay) {
  running_ = false;
  const timeval tv = toTimeval(delay);
  evtimer_add(timer_.get(), &tv);
}

void ServerCheck::start() {
  // An operator's maintenance needs no checks, nor does a server whose checks were turned off;
  // they resume when that ends.
  if (!server_.inUse() || server_.shared().admin.load(std::memory_order_relaxed) == AdminState::kMaint ||
      server_.shared().checksDisabled.load(std::memory_order_relaxed)) {
    paused_ = true;
    schedule(cfg_.interval);
    return;
  }
  // Back from a pause: the server's state may have changed meanwhile (checks off count as UP),
  // so the count starts again from where the server stands now.
  if (paused_) {
    paused_ = false;
    counter_ = HealthCounter(cfg_.rise, cfg_.fall, !server_.shared().checkDown.load(std::memory_order_relaxed));
  }
  // The address is read only here, once the slot is known to be in use (inUse() acquired it
  // above): a slot is filled by another thread (the runtime API, DNS) while this one may run.
  // A server that took the slot since the last check: its own address, and no history.
  const uint32_t generation = server_.shared().generation.load(std::memory_order_relaxed);
  if (!addressRead_ || generation != generation_) {
    const bool newServer = addressRead_;
    addressRead_ = true;
    generation_ = generation;
    target_ = server_.address();
    if (cfg_.port > 0) target_.setPort(static_cast<uint16_t>(cfg_.port));
    request_ = buildRequest(cfg_, server_);
    counter_ = HealthCounter(cfg_.rise, cfg_.fall,
                             newServer ? cfg_.initUp : !server_.shared().checkDown.load(std::memory_order_relaxed));
  }
  running_ = true;
  connected_ = false;
  startedAt_ = Clock::now();
  body_.body.clear();
  parser_.reset();
  parser_.setExpectNoBody(cfg_.method == "HEAD");
  const timeval tv = toTimeval(orInterval(cfg_.timeout, cfg_.interval));
  evtimer_add(timer_.get(), &tv);
  // A TLS server is checked over TLS (as HAProxy does with `ssl`): CONNECTED then means the
  // handshake, and the certificate's verification, passed.
  if (server_.tls() != nullptr) {
    SSL* ssl = server_.tls()->newSsl();
    if (ssl != nullptr) bev_.reset(bufferevent_openssl_socket_new(base_, -1, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE));
    if (bev_) bufferevent_openssl_set_allow_dirty_shutdown(bev_.get(), 1);
  } else {
    bev_.reset(bufferevent_socket_new(base_, -1, BEV_OPT_CLOSE_ON_FREE));
  }
  if (!bev_) {
    finish({false, 0, -1, "Layer4 connection problem", "cannot create a socket"});
    return;
  }
  bufferevent_setcb(bev_.get(), &ServerCheck::onRead, nullptr, &ServerCheck::onEvent, this);
  if (bufferevent_socket_connect(bev_.get(), const_cast<sockaddr*>(target_.sockaddrPtr()),
                                 static_cast<int>(target_.length())) < 0) {
    finish({false, 0, -1, "Layer4 connection problem", std::strerror(EVUTIL_SOCKET_ERROR())});
  }
}

void ServerCheck::handleEvent(short what) {
  if (what & BEV_EVENT_CONNECTED) {
    connected_ = true;
    if (cfg_.tcp) {
      finish({true, 0, -1, "Layer4 check passed", ""});
      return;
    }
    int one = 1;
    setsockopt(bufferevent_getfd(bev_.get()), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    bufferevent_write(bev_.get(), request_.data(), request_.size());
    bufferevent_enable(bev_.get(), EV_READ);
    return;
  }
  if (!connected_) {
    if (const unsigned long tlsError = tls::takeTlsError(bev_.get())) {
      char text[256];
      ERR_error_string_n(tlsError, text, sizeof(text));
      finish({false, 0, -1, "Layer6 invalid response", text});
      return;
    }
    finish({false, 0, -1, "Layer4 connection problem", std::strerror(EVUTIL_SOCKET_ERROR())});
    return;
  }
  // Closed by the server: a response without a length ends here.
  if ((what & BEV_EVENT_EOF) && parser_.headComplete() && parser_.finishAtEof() == http::HttpParser::Status::kComplete) {
    finish(judgeResponse());
    return;
  }
  finish({false, 0, -1, "Layer7 invalid response", "the connection closed before a complete response"});
}

void ServerCheck::handleRead() {
  evbuffer* in = bufferevent_get_input(bev_.get());
  while (evbuffer_get_length(in) > 0) {
    evbuffer_iovec vec{};
    evbuffer_peek(in, -1, nullptr, &vec, 1);
    const auto r = parser_.feed(static_cast<const char*>(vec.iov_base), vec.iov_len);
    evbuffer_drain(in, r.consumed);
    switch (r.status) {
      case http::HttpParser::Status::kNeedMore:
      case http::HttpParser::Status::kHead:
        break;
      case http::HttpParser::Status::kComplete:
        if (parser_.response().isInterim()) {  // 100 Continue and friends: the answer follows
          parser_.startNext();
          break;
        }
        finish(judgeResponse());
        return;
      case http::HttpParser::Status::kError:
        finish({false, 0, -1, "Layer7 invalid response", parser_.error().reason});
        return;
    }
  }
}

CheckResult ServerCheck::judgeResponse() const {
  const http::ResponseHead& resp = parser_.response();
  if (!cfg_.expectString.empty()) {
    const bool found = body_.body.find(cfg_.expectString) != std::string::npos;
    return {found, resp.status, -1, found ? "Layer7 check passed" : "Layer7 wrong response",
            found ? resp.reason : fmt::format("'{}' not found in the body", cfg_.expectString)};
  }
  const bool ok = resp.status >= cfg_.expectStatusLow && resp.status <= cfg_.expectStatusHigh;
  return {ok, resp.status, -1, ok ? "Layer7 check passed" : "Layer7 wrong status", resp.reason};
}

void ServerCheck::finish(CheckResult result) {
  result.durationMs = millisBetween(startedAt_, Clock::now());
  bev_.reset();  // frees the socket (libevent allows it inside the bufferevent's own callback)
  evtimer_del(timer_.get());
  // Checks turned off, or the server removed or replaced, while this one ran: its verdict no
  // longer counts.
  if (!server_.shared().checksDisabled.load(std::memory_order_relaxed) && server_.inUse() &&
      server_.shared().generation.load(std::memory_order_relaxed) == generation_)
    applyVerdict(result);
  const auto inter = cfg_.interval;
  schedule(counter_.nextDelay(inter, orInterval(cfg_.fastinter, inter), orInterval(cfg_.downinter, inter)));
}

void ServerCheck::applyVerdict(const CheckResult& result) {
  const HealthCounter::Change change = result.ok ? counter_.onSuccess() : counter_.onFailure();
  server_.health().recordCheck(result, counter_.describe());
  if (change == HealthCounter::Change::kNone) return;
  const bool up = change == HealthCounter::Change::kWentUp;
  const int64_t now = steadyNowMs();
  server_.setCheckedUp(up, now);  // every worker stops (or starts) choosing it from here on
  server_.health().recordTransition(up, result.reason, now, unixNowMs());
  logTransition(up, result);
}

void ServerCheck::logTransition(bool up, const CheckResult& result) const {
  const int64_t now = steadyNowMs();
  int active = 0;
  int backup = 0;
  for (const auto& s : backend_.servers())
    if (s->state(now) != Server::State::kDown) ++(s->backup() ? backup : active);
  const std::string code = result.code > 0 ? fmt::format(", code: {}", result.code) : "";
  const std::string info = result.info.empty() ? "" : fmt::format(", info: \"{}\"", result.info);
  if (up) {
    log::info("server {}/{} is UP, reason: {}{}{}, check duration: {}ms, {} active and {} backup servers online",
              backend_.name(), server_.name(), result.reason, code, info, result.durationMs, active, backup);
  } else {
    log::warning("server {}/{} is DOWN, reason: {}{}{}, check duration: {}ms, {} active and {} backup servers left",
                 backend_.name(), server_.name(), result.reason, code, info, result.durationMs, active, backup);
  }
}

}  // namespace weir::upstream

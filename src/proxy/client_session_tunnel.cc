// ClientSession, tunnel: after a 101 the connection carries opaque bytes both ways.
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/flow_control.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {


void ClientSession::startTunnel() {
  http::ResponseHead& resp = responseParser_.response();
  responseHeadAt_ = Clock::now();
  status_ = resp.status;
  scratch_.clear();
  writeResponseHead(resp, ClientFraming::kNone, ClientConnection::kUpgrade, 1, scratch_);
  bytesOut_ += scratch_.size();
  evbuffer_add(bufferevent_get_output(client_.get()), scratch_.data(), scratch_.size());
  responseHeadSent_ = true;
  transitionTo(State::kTunnel);
  // The server answered: a good probe. The slot stays taken while the tunnel lives, so that
  // maxconn and leastconn see long-lived WebSockets (as HAProxy counts them).
  server_->recordSuccess(steadyNowMs(), holdsProbe_);
  holdsProbe_ = false;
  // Bytes after the two heads already belong to the tunnel.
  bufferevent_set_timeouts(client_.get(), nullptr, nullptr);
  bufferevent_set_timeouts(upstream_->bev(), nullptr, nullptr);
  bufferevent_enable(client_.get(), EV_READ | EV_WRITE);
  bufferevent_enable(upstream_->bev(), EV_READ | EV_WRITE);
  lastActivity_ = Clock::now();
  armTimer(TimerRole::kTunnel, fe_->options.timeout.tunnel);
  pumpTunnel(upstream_->bev(), client_.get());
  pumpTunnel(client_.get(), upstream_->bev());
}

void ClientSession::pumpTunnel(bufferevent* from, bufferevent* to) {
  evbuffer* out = bufferevent_get_output(to);
  evbuffer* in = bufferevent_get_input(from);
  if (from == upstream_->bev()) bytesOut_ += evbuffer_get_length(in);
  evbuffer_add_buffer(out, in);
  if (evbuffer_get_length(out) > kOutputHighWater) bufferevent_disable(from, EV_READ);  // resumed by to's write cb
}

}  // namespace weir::proxy

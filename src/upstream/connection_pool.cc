#include "weir/upstream/connection_pool.h"

#include <algorithm>

#include <event2/event.h>

#include "weir/base/time_util.h"
#include "weir/upstream/server.h"

namespace weir::upstream {

ConnectionPool::~ConnectionPool() = default;

std::unique_ptr<UpstreamConnection> ConnectionPool::take(const Server& server) {
  auto& list = idle_[static_cast<size_t>(server.globalId())];
  if (list.empty()) return nullptr;
  if (!current(*list.back())) {  // another server took the slot: all of these were to the old one
    list.clear();
    return nullptr;
  }
  std::unique_ptr<UpstreamConnection> conn = std::move(list.back());
  list.pop_back();
  evtimer_del(conn->idleTimer_.get());  // also when it has fired and its callback is still due
  conn->pool_ = nullptr;
  bufferevent_setcb(conn->bev(), nullptr, nullptr, nullptr, nullptr);
  return conn;
}

void ConnectionPool::put(std::unique_ptr<UpstreamConnection> conn, int maxIdle, const timeval* idleTimeout,
                         const timeval* surplusTimeout) {
  const size_t id = static_cast<size_t>(conn->server().globalId());
  auto& list = idle_[id];
  if (maxIdle <= 0 || !current(*conn)) return;  // conn freed here
  // +1: the request this connection served has just given its slot back.
  const int32_t inFlight = conn->server().active().load(std::memory_order_relaxed) + 1;
  const int64_t now = steadyNowMs();
  Peak& peak = peaks_[id];
  if (inFlight >= peak.inFlight || now - peak.atMs > kPeakHoldMs) peak = {inFlight, now};
  const size_t room = static_cast<size_t>(std::max(maxIdle, peak.inFlight));
  // Least recently used goes first: the oldest idle connection is the nearest to the server's
  // own idle timeout.
  if (list.size() >= room) list.erase(list.begin());
  conn->pool_ = this;
  conn->markReused();
  const bool surplus = list.size() >= static_cast<size_t>(maxIdle);
  // The idle time is a timer of the connection's own, not a read timeout of its bufferevent:
  // a read timeout due just as a session took the connection reached that session (libevent
  // defers the bufferevent's callbacks and re-arms a persistent event's timeout by itself),
  // which cut the reused connection with a 504. evtimer_del withdraws this one for good.
  if (!conn->idleTimer_)
    conn->idleTimer_.reset(evtimer_new(bufferevent_get_base(conn->bev()), &ConnectionPool::onIdleTimeout, conn.get()));
  evtimer_add(conn->idleTimer_.get(), surplus ? surplusTimeout : idleTimeout);
  bufferevent_setcb(conn->bev(), &ConnectionPool::onIdleRead, nullptr, &ConnectionPool::onIdleEvent, conn.get());
  // Still enabled from the exchange, as a rule: enabling again would only re-add the event.
  if ((bufferevent_get_enabled(conn->bev()) & EV_READ) == 0) bufferevent_enable(conn->bev(), EV_READ);
  list.push_back(std::move(conn));
}

bool ConnectionPool::current(const UpstreamConnection& conn) {
  return conn.server().inUse() && conn.server().shared().generation.load(std::memory_order_relaxed) == conn.generation();
}

void ConnectionPool::closeIdle(const Server& server) { idle_[static_cast<size_t>(server.globalId())].clear(); }

// Bytes from an idle server are never part of any exchange: the connection is unusable.
void ConnectionPool::onIdleRead(bufferevent*, void* conn) { dropIdle(conn); }
void ConnectionPool::onIdleEvent(bufferevent*, short, void* conn) { dropIdle(conn); }
void ConnectionPool::onIdleTimeout(evutil_socket_t, short, void* conn) { dropIdle(conn); }

void ConnectionPool::dropIdle(void* conn) {
  auto* c = static_cast<UpstreamConnection*>(conn);
  c->pool_->drop(c);
}

void ConnectionPool::drop(UpstreamConnection* conn) {
  auto& list = idle_[static_cast<size_t>(conn->server().globalId())];
  auto it = std::find_if(list.begin(), list.end(), [&](const auto& p) { return p.get() == conn; });
  if (it != list.end()) list.erase(it);  // frees the bufferevent (libevent allows it in a callback)
}

}  // namespace weir::upstream

#pragma once
// Idle keep-alive connections to servers, per worker (owned by one worker, no locks).
// An idle connection that the server closes, or that receives unexpected bytes, or that stays
// idle past the idle timeout, is dropped at once, so take() hands out only live connections
// (a close racing with reuse remains possible and is retried by the session).

#include <chrono>
#include <memory>
#include <vector>

#include "weir/upstream/upstream_connection.h"

namespace weir::upstream {

class ConnectionPool {
 public:
  explicit ConnectionPool(size_t serverCount) : idle_(serverCount), peaks_(serverCount) {}
  ~ConnectionPool();

  /// The most recently idled connection to `server`, or nullptr.
  std::unique_ptr<UpstreamConnection> take(const Server& server);
  /// Keeps `conn` idle; maxIdle 0 frees it. A server keeps `maxIdle` idle connections, or as
  /// many as it had requests in flight (all workers) at its busiest in the last second, when
  /// that is more: a burst of responses then leaves the connections the next burst of requests
  /// needs, instead of closing them to connect again (HAProxy keeps its idle connections too).
  /// Past that, the least recently used is closed. Those past `maxIdle` wait `surplusTimeout`
  /// (short: the surplus goes soon once the load falls), the others `idleTimeout`; both may be
  /// libevent common timeouts.
  void put(std::unique_ptr<UpstreamConnection> conn, int maxIdle, const timeval* idleTimeout,
           const timeval* surplusTimeout);
  /// Closes every idle connection to `server` (it left its slot).
  void closeIdle(const Server& server);

 private:
  static void onIdleRead(bufferevent* bev, void* conn);
  static void onIdleEvent(bufferevent* bev, short what, void* conn);
  static void onIdleTimeout(evutil_socket_t, short, void* conn);
  static void dropIdle(void* conn);
  void drop(UpstreamConnection* conn);
  /// Still to the server that occupies its slot.
  static bool current(const UpstreamConnection& conn);

  /// The most requests in flight a server had lately, and when that was seen.
  struct Peak {
    int32_t inFlight = 0;
    int64_t atMs = 0;
  };
  static constexpr int64_t kPeakHoldMs = 1000;

  std::vector<std::vector<std::unique_ptr<UpstreamConnection>>> idle_;  // by Server::globalId
  std::vector<Peak> peaks_;                                             // by Server::globalId
};

}  // namespace weir::upstream

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
  explicit ConnectionPool(size_t serverCount) : idle_(serverCount) {}
  ~ConnectionPool();

  /// The most recently idled connection to `server`, or nullptr.
  std::unique_ptr<UpstreamConnection> take(const Server& server);
  /// Keeps `conn` idle, closing the server's least recently used idle connection when it
  /// already has `maxIdle`; maxIdle 0 frees conn.
  /// `idleTimeout` may be a libevent common timeout.
  void put(std::unique_ptr<UpstreamConnection> conn, int maxIdle, const timeval* idleTimeout);
  /// Closes every idle connection to `server` (it left its slot).
  void closeIdle(const Server& server);

 private:
  static void onIdleRead(bufferevent* bev, void* conn);
  static void onIdleEvent(bufferevent* bev, short what, void* conn);
  void drop(UpstreamConnection* conn);
  /// Still to the server that occupies its slot.
  static bool current(const UpstreamConnection& conn);

  std::vector<std::vector<std::unique_ptr<UpstreamConnection>>> idle_;  // by Server::globalId
};

}  // namespace weir::upstream

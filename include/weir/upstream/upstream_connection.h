#pragma once
// One TCP connection to a server. Owned by one worker: by a client session while it carries an
// exchange, or by the worker's ConnectionPool while idle.

#include <cstdint>

#include "weir/base/c_handle.h"

namespace weir::upstream {

class Server;
class ConnectionPool;

class UpstreamConnection {
 public:
  /// `generation`: of the server in its slot when connecting (Server::Shared::generation).
  UpstreamConnection(BufferEventPtr bev, Server& server, uint32_t generation)
      : bev_(std::move(bev)), server_(&server), generation_(generation) {}

  bufferevent* bev() const { return bev_.get(); }
  Server& server() const { return *server_; }
  /// True once the connection has carried an exchange: a failure on it before any response
  /// byte may be a keep-alive race, not the server's fault, and is safe to retry.
  bool reused() const { return reused_; }
  void markReused() { reused_ = true; }
  /// A connection to a server since removed from its slot (runtime API) is never reused for
  /// the slot's next server.
  uint32_t generation() const { return generation_; }

 private:
  friend class ConnectionPool;
  BufferEventPtr bev_;
  Server* server_;
  uint32_t generation_;
  ConnectionPool* pool_ = nullptr;  // set while idle in a pool
  EventPtr idleTimer_;               // the pool's, made at the first put
  bool reused_ = false;
};

}  // namespace weir::upstream

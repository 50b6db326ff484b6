#pragma once
// One TCP connection to a server. Owned by one worker: by a client session while it carries an
// exchange, or by the worker's ConnectionPool while idle.

#include "weir/base/c_handle.h"

namespace weir::upstream {

class Server;
class ConnectionPool;

class UpstreamConnection {
 public:
  UpstreamConnection(BufferEventPtr bev, Server& server) : bev_(std::move(bev)), server_(&server) {}

  bufferevent* bev() const { return bev_.get(); }
  Server& server() const { return *server_; }
  /// True once the connection has carried an exchange: a failure on it before any response
  /// byte may be a keep-alive race, not the server's fault, and is safe to retry.
  bool reused() const { return reused_; }
  void markReused() { reused_ = true; }

 private:
  friend class ConnectionPool;
  BufferEventPtr bev_;
  Server* server_;
  ConnectionPool* pool_ = nullptr;  // set while idle in a pool
  bool reused_ = false;
};

}  // namespace weir::upstream

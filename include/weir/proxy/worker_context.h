#pragma once
// Everything one worker owns: its listeners, client sessions, idle upstream connections,
// round-robin cursors and access-log buffer. Owned by one worker; other threads reach it only
// through the worker's post().

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "weir/base/c_handle.h"
#include "weir/event/worker.h"
#include "weir/log/access_log.h"
#include "weir/proxy/runtime.h"
#include "weir/upstream/connection_pool.h"

namespace weir::proxy {

class ClientSession;

class WorkerContext {
 public:
  WorkerContext(event::Worker& worker, Runtime& runtime);
  ~WorkerContext();

  /// Opens this worker's SO_REUSEPORT listener for frontend `fe` on `addr`; when addr's port is
  /// 0 the chosen port is written back into `addr`. Call before the worker runs.
  bool listen(const FrontendRuntime& fe, net::Address& addr, std::string* error);

  event_base* base() const { return worker_.base(); }
  int index() const { return worker_.index(); }
  Runtime& runtime() { return runtime_; }
  upstream::ConnectionPool& pool() { return pool_; }
  upstream::RoundRobinPolicy& policy(const upstream::Backend& b) { return policies_[static_cast<size_t>(b.index())]; }
  log::AccessLog& accessLog() { return accessLog_; }

  /// A libevent "common timeout" for `d`: every event of this worker with the same duration
  /// shares one queue, so arming and re-arming it is O(1) instead of a heap operation.
  const timeval* timeout(std::chrono::milliseconds d);

  /// Frees the session after the current callback returns (deferred delete).
  void closeSession(ClientSession* session);

 private:
  struct Listener {
    ListenerPtr handle;
    const FrontendRuntime* frontend;
    WorkerContext* context;
  };
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len, void* listener);
  static void onReap(evutil_socket_t, short, void* self);
  void accept(const FrontendRuntime& fe, evutil_socket_t fd, sockaddr* sa, int len);
  void setAccepting(bool on);
  void broadcastAccepting(bool on);
  void warnMaxconnReached();

  event::Worker& worker_;
  Runtime& runtime_;
  upstream::ConnectionPool pool_;
  std::vector<upstream::RoundRobinPolicy> policies_;  // by backend index
  log::AccessLog accessLog_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<ClientSession*, std::unique_ptr<ClientSession>> sessions_;
  std::vector<std::unique_ptr<ClientSession>> graveyard_;
  EventPtr reaper_;
  std::vector<std::pair<std::chrono::milliseconds, const timeval*>> commonTimeouts_;
  bool accepting_ = true;
};

}  // namespace weir::proxy

#pragma once
// One event loop of the fake backend.

#include <event2/util.h>
#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "backend_shared.h"
#include "c_handles.h"

namespace weir::fake {

class Connection;

/// An event loop on its own thread with its own listener (SO_REUSEPORT siblings share one
/// port), owning the connections it accepted. Everything runs on the worker's thread except
/// start() and join(), which the main thread calls. No libevent locking is needed: the only
/// cross-thread signal is the stop pipe becoming readable.
class Worker {
 public:
  /// Creates the loop and binds a listener to `address`; null and `error` set on failure.
  static std::unique_ptr<Worker> create(BackendShared& shared, const sockaddr* address, int length, bool reusePort,
                                        std::string& error);
  explicit Worker(BackendShared& shared);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// The bound address: the actual port when port 0 was asked for.
  bool boundAddress(sockaddr_storage& address, socklen_t& length) const;
  /// Runs the loop on a new thread until `stopFd` becomes readable (its writer closed).
  bool start(int stopFd);
  /// Waits for the thread started by start() to finish.
  void join();
  /// Called by a closed connection; the worker destroys it once the callback has returned.
  void retire(Connection* connection);

 private:
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr*, int, void* self) {
    static_cast<Worker*>(self)->handleAccept(fd);
  }
  static void onAcceptError(evconnlistener*, void* self) { static_cast<Worker*>(self)->handleAcceptError(); }
  static void onReap(evutil_socket_t, short, void* self) { static_cast<Worker*>(self)->reap(); }
  static void onStop(evutil_socket_t, short, void* self) { static_cast<Worker*>(self)->breakLoop(); }

  std::string init(const sockaddr* address, int length, bool reusePort);
  void handleAccept(evutil_socket_t fd);
  void handleAcceptError();
  void reap();
  void breakLoop();

  BackendShared& shared_;
  EventBasePtr base_;
  ListenerPtr listener_;
  EventPtr reapEvent_;
  EventPtr stopEvent_;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> retired_;
  std::chrono::steady_clock::time_point lastAcceptErrorLog_{};
  std::thread thread_;
};

}  // namespace weir::fake

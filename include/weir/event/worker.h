#pragma once
// A worker thread: one libevent event_base (epoll on Linux) and a queue of functions posted
// from other threads. Everything a worker owns is touched only from its own thread; other
// threads reach it only through post(), which wakes the loop through an eventfd. libevent's
// own locking is therefore not needed and stays off: no mutex on the request path.

#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "weir/base/c_handle.h"

namespace weir::event {

class Worker {
 public:
  explicit Worker(int index);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  int index() const { return index_; }
  event_base* base() const { return base_.get(); }
  const char* method() const;

  /// Runs fn on this worker's thread. Thread-safe.
  void post(std::function<void()> fn);
  /// Starts the thread running the loop until stop(). `init` runs first, on the thread.
  void start(std::function<void()> init);
  /// Asks the loop to exit. Thread-safe.
  void stop();
  void join();

 private:
  static void onPosted(evutil_socket_t, short, void* self);
  void runPosted();

  int index_;
  EventBasePtr base_;
  int wakeFd_ = -1;  // eventfd
  EventPtr postEvent_;
  std::mutex postMutex_;  // guards posted_: cross-thread work only, never the request path
  std::vector<std::function<void()>> posted_;
  std::thread thread_;
};


}  // namespace weir::event

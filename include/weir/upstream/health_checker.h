#pragma once
// Runs the active health checks of every backend that has them, on a thread of its own with
// its own event loop. Why not on the workers' loops: a check's connect, timers and parsing then
// never add latency to a request, the number of checks does not depend on the number of
// workers (each server is checked once, not once per worker), and the verdict reaches all
// workers the same way whatever thread computed it: through the server's atomics.

#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "weir/event/worker.h"
#include "weir/upstream/backend.h"
#include "weir/upstream/server_check.h"

namespace weir::upstream {

class HealthChecker {
 public:
  explicit HealthChecker(const std::vector<std::unique_ptr<Backend>>& backends);
  ~HealthChecker();
  HealthChecker(const HealthChecker&) = delete;
  HealthChecker& operator=(const HealthChecker&) = delete;

  /// Starts the checker's thread; the first checks of the servers are spread over one interval.
  void start();
  /// Stops and joins the thread. Idempotent.
  void stop();
  /// Runs `fn` on the checks' thread between two of its callbacks (at once without checks, or
  /// once stopped). Any thread; waits while stop() joins.
  void post(std::function<void()> fn);

 private:
  const std::vector<std::unique_ptr<Backend>>& backends_;
  std::mutex loopMutex_;  // post() against stop(): a reload stops a checker others may post to
  std::unique_ptr<event::Worker> loop_;
  std::vector<std::unique_ptr<ServerCheck>> checks_;  // touched only on loop_'s thread while it runs
};

}  // namespace weir::upstream

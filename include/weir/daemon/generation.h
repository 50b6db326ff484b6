#pragma once
// A config in force: its runtime, one context per worker, its health checks. SIGHUP (or the
// runtime API) builds the next generation from the file and hands the workers over to it; the
// previous one lives on, retired, while requests and tunnels begun under it finish.

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "weir/event/worker.h"
#include "weir/proxy/runtime.h"
#include "weir/proxy/worker_context.h"
#include "weir/upstream/health_checker.h"

namespace weir::daemon {

struct Generation {
  std::unique_ptr<proxy::Runtime> rt;
  std::vector<std::unique_ptr<proxy::WorkerContext>> contexts;  // by worker
  std::unique_ptr<upstream::HealthChecker> checker;
  // Retired: since when no connection has been left (zero: there still are).
  std::chrono::steady_clock::time_point emptySince{};
};

using Workers = std::vector<std::unique_ptr<event::Worker>>;

/// Runs fn(i) on worker i's thread, one worker after the other, each finished before the next.
void onEachWorker(Workers& workers, const std::function<void(size_t)>& fn);

/// Reads the config file of `current` again. Invalid (or its rules do not compile): logged,
/// and `current` stays in force. Valid: the next generation takes over on every worker (kept
/// listeners keep their sockets, servers in both configs their state and counters), `current`
/// becomes that, and the previous one joins `retired`.
bool reloadConfig(Generation& current, std::vector<Generation>& retired, Workers& workers);

/// Frees the retired generations whose last connection has ended.
void releaseRetired(std::vector<Generation>& retired, Workers& workers);

}  // namespace weir::daemon

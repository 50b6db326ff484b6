#pragma once
// Collapsed forwarding: while one request for a cache key is on its way to a server (the
// leader), later misses on the same key wait for its response instead of sending their own
// (RFC 9211 "collapsed"). One table per cache shared by all workers, so 50 concurrent misses
// make one server request however the kernel spread their connections. Its mutex is taken
// only on a cacheable miss and when its leader's response is done, never on a hit: those
// paths go to a server anyway, which costs a thousand times more than an uncontended lock.

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace weir::cache {

/// Names one waiting request: the worker that owns its session, the session, and which of the
/// session's requests (a session that gave up waiting may be waiting again for a later one).
struct CollapseWaiter {
  int worker = 0;
  uint64_t session = 0;
  uint64_t request = 0;
  bool operator==(const CollapseWaiter&) const = default;
};

class MissCollapser {
 public:
  /// True when no request for `key` is in flight: the caller leads and must call finish().
  /// Otherwise `waiter` is queued behind the leader.
  bool lead(const std::string& key, const CollapseWaiter& waiter);
  /// `waiter` stops waiting (timed out, or its client left).
  void leave(const std::string& key, const CollapseWaiter& waiter);
  /// The leader is done: returns who waited, and the next miss on `key` leads again.
  std::vector<CollapseWaiter> finish(const std::string& key);

  size_t inFlight();

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, std::vector<CollapseWaiter>> waiting_;  // by key in flight
};

}  // namespace weir::cache

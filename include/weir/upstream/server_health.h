#pragma once
// What a server's health has been, for people: the last check, counts, downtime and the recent
// transitions with their reasons. Written by the health checker (and admin actions), read by the
// stats renderers through snapshot(). Not on the request path: that reads Server's atomics only,
// so a small mutex here costs nothing where it matters.

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

namespace weir::upstream {

struct CheckResult {
  bool ok = false;
  int code = 0;             // HTTP status, 0 when there was none
  int64_t durationMs = -1;  // -1: never checked
  std::string reason;       // HAProxy's words: "Layer7 wrong status", "Layer4 timeout", ...
  std::string info;         // detail: "Connection refused", the status line's reason, ...
};

struct HealthTransition {
  int64_t atUnixMs = 0;
  std::string to;      // "UP", "DOWN"
  std::string reason;  // the check result that caused it
};

struct HealthSnapshot {
  std::string state = "UP";  // HealthCounter::describe(), or MAINT / DRAIN
  CheckResult last;
  uint64_t checks = 0;
  uint64_t checkFailures = 0;
  uint64_t downTransitions = 0;
  int64_t lastChangeUnixMs = 0;  // 0: never changed
  int64_t downtimeMs = 0;        // total time spent DOWN by active checks, up to now
  std::deque<HealthTransition> history;  // newest last
};

class ServerHealth {
 public:
  static constexpr size_t kHistory = 8;

  /// One finished check; `state` is the counter's description after it.
  void recordCheck(const CheckResult& result, const std::string& state);
  /// An UP/DOWN transition at `steadyMs` (for downtime) / `unixMs` (for people).
  void recordTransition(bool up, const std::string& reason, int64_t steadyMs, int64_t unixMs);
  /// The state text, also for admin states (MAINT, DRAIN).
  void setState(const std::string& state);
  /// Forgets everything: a new server took the slot.
  void reset(const std::string& state);
  /// Takes over `other`'s record (a reload: the same server in the new config).
  void inherit(const ServerHealth& other);

  HealthSnapshot snapshot(int64_t steadyNowMs) const;

 private:
  mutable std::mutex mutex_;
  HealthSnapshot data_;
  int64_t downSinceSteadyMs_ = -1;  // -1: not down
};

}  // namespace weir::upstream

#include "weir/upstream/server_health.h"

namespace weir::upstream {

void ServerHealth::recordCheck(const CheckResult& result, const std::string& state) {
  std::lock_guard lock(mutex_);
  data_.last = result;
  data_.state = state;
  ++data_.checks;
  if (!result.ok) ++data_.checkFailures;
}

void ServerHealth::recordTransition(bool up, const std::string& reason, int64_t steadyMs, int64_t unixMs) {
  std::lock_guard lock(mutex_);
  data_.lastChangeUnixMs = unixMs;
  if (up) {
    if (downSinceSteadyMs_ >= 0) data_.downtimeMs += steadyMs - downSinceSteadyMs_;
    downSinceSteadyMs_ = -1;
  } else {
    ++data_.downTransitions;
    if (downSinceSteadyMs_ < 0) downSinceSteadyMs_ = steadyMs;
  }
  data_.history.push_back({unixMs, up ? "UP" : "DOWN", reason});
  if (data_.history.size() > kHistory) data_.history.pop_front();
}

void ServerHealth::setState(const std::string& state) {
  std::lock_guard lock(mutex_);
  data_.state = state;
}

void ServerHealth::reset(const std::string& state) {
  std::lock_guard lock(mutex_);
  data_ = HealthSnapshot{};
  data_.state = state;
  downSinceSteadyMs_ = -1;
}

void ServerHealth::inherit(const ServerHealth& other) {
  if (&other == this) return;
  std::scoped_lock lock(mutex_, other.mutex_);
  data_ = other.data_;
  downSinceSteadyMs_ = other.downSinceSteadyMs_;
}

HealthSnapshot ServerHealth::snapshot(int64_t steadyNowMs) const {
  std::lock_guard lock(mutex_);
  HealthSnapshot copy = data_;
  if (downSinceSteadyMs_ >= 0) copy.downtimeMs += steadyNowMs - downSinceSteadyMs_;
  return copy;
}

}  // namespace weir::upstream

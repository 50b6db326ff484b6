#include "weir/upstream/server.h"

#include <algorithm>

namespace weir::upstream {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
}  // namespace

Server::Server(const config::ServerConfig& cfg, int index, int globalId)
    : name_(cfg.name),
      address_(cfg.address),
      weight_(cfg.weight),
      maxconn_(cfg.maxconn),
      backup_(cfg.backup),
      slowstartMs_(cfg.slowstart.value_or(config::Millis(0)).count()),
      index_(index),
      globalId_(globalId) {}

Server::State Server::state(int64_t nowMs) const {
  if (shared_.downUntilMs.load(kRelaxed) > nowMs) return State::kDown;
  return shared_.probeNeeded.load(kRelaxed) ? State::kProbe : State::kUp;
}

bool Server::hasFreeSlot() const { return maxconn_ == 0 || shared_.active.load(kRelaxed) < maxconn_; }

int64_t Server::effectiveWeight(int64_t nowMs) const {
  const int64_t full = weight_ * kWeightScale;
  const int64_t since = shared_.upSinceMs.load(kRelaxed);
  if (slowstartMs_ <= 0 || since == 0 || nowMs - since >= slowstartMs_) return full;
  return std::max<int64_t>(1, full * std::max<int64_t>(0, nowMs - since) / slowstartMs_);
}

bool Server::tryAcquire(bool probe) {
  if (maxconn_ == 0) {
    shared_.active.fetch_add(1, kRelaxed);
  } else {
    // A compare-exchange, not add-then-check: workers racing for the last slot never overshoot.
    int32_t n = shared_.active.load(kRelaxed);
    do {
      if (n >= maxconn_) return false;
    } while (!shared_.active.compare_exchange_weak(n, n + 1, kRelaxed));
  }
  if (probe) {
    bool expected = false;
    if (!shared_.probeInFlight.compare_exchange_strong(expected, true, kRelaxed)) {
      shared_.active.fetch_sub(1, kRelaxed);
      return false;
    }
  }
  return true;
}

void Server::release(bool probe) {
  shared_.active.fetch_sub(1, kRelaxed);
  // A probe that ended without a verdict (the client left) lets the next request probe.
  if (probe) shared_.probeInFlight.store(false, kRelaxed);
}

void Server::recordFailure(ServerFailure kind, int64_t nowMs, int maxFails, int64_t failTimeoutMs) {
  shared_.failures[static_cast<size_t>(kind)].fetch_add(1, kRelaxed);
  if (maxFails <= 0) return;
  bool takeOut = shared_.probeNeeded.load(kRelaxed);  // a failed probe: out again at once
  if (!takeOut) {
    const int64_t windowStart = shared_.failWindowStartMs.load(kRelaxed);
    if (nowMs - windowStart > failTimeoutMs) {
      shared_.failWindowStartMs.store(nowMs, kRelaxed);
      shared_.fails.store(0, kRelaxed);
    }
    takeOut = shared_.fails.fetch_add(1, kRelaxed) + 1 >= maxFails;
  }
  if (!takeOut) return;
  shared_.downUntilMs.store(nowMs + failTimeoutMs, kRelaxed);
  shared_.fails.store(0, kRelaxed);
  shared_.upSinceMs.store(0, kRelaxed);
  shared_.probeInFlight.store(false, kRelaxed);
  if (!shared_.probeNeeded.exchange(true, kRelaxed)) shared_.downTransitions.fetch_add(1, kRelaxed);
}

void Server::recordSuccess(int64_t nowMs, bool probe) {
  // Read first: on the hot path the counter is almost always 0 and a store would bounce the line.
  if (shared_.fails.load(kRelaxed) != 0) shared_.fails.store(0, kRelaxed);
  if (probe && shared_.probeNeeded.exchange(false, kRelaxed)) {
    shared_.probeInFlight.store(false, kRelaxed);
    shared_.upSinceMs.store(std::max<int64_t>(nowMs, 1), kRelaxed);  // slow start begins
  }
}

}  // namespace weir::upstream

#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace weir::test {

/// The timeout tests use when they have no reason to pick another: long enough for a loaded CI
/// machine, short enough that a hang fails the test instead of the CI run.
inline constexpr std::chrono::milliseconds kDefaultTimeout{5000};

/// Polls `condition` until it holds or `timeout` has passed; returns its last value. The poll
/// interval starts at 1ms and backs off to 20ms, so a quick condition is seen quickly and a slow
/// one does not spin. This is how tests wait: never a bare sleep.
inline bool waitFor(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto interval = std::chrono::milliseconds(1);
  while (!condition()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      return condition();
    }
    const auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    std::this_thread::sleep_for(std::min({interval, remaining, std::chrono::milliseconds(20)}));
    interval = std::min(interval * 2, std::chrono::milliseconds(20));
  }
  return true;
}

/// Milliseconds left until `deadline`, never negative.
inline std::chrono::milliseconds remainingUntil(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return std::max(left, std::chrono::milliseconds(0));
}

}  // namespace weir::test

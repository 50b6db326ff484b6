#pragma once
// What every worker of one fake backend shares.

#include <chrono>
#include <memory>
#include <string>

#include "backend_stats.h"
#include "body_pattern.h"
#include "request_recorder.h"
#include "response_script.h"

namespace weir::fake {

/// Built by main before the workers start and destroyed after they stopped.
/// Immutable while they run, except `stats` (thread-safe: atomics only), `recorder` and
/// `routes` (thread-safe: their own mutexes).
struct BackendShared {
  std::string name;
  std::string defaultBody;  // "NAME\n"
  std::chrono::milliseconds idleTimeout{0};  // --idle-timeout; 0: off
  RouteTable routes;
  BodyPattern pattern;
  std::unique_ptr<RequestRecorder> recorder;  // null without --record
  BackendStats stats;
};

}  // namespace weir::fake

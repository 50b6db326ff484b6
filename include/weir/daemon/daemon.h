#pragma once
// The process: builds the runtime from a loaded config, opens listeners, runs the workers and
// waits for a signal to stop.

#include <memory>

#include "weir/config/config.h"

namespace weir::daemon {

class Daemon {
 public:
  explicit Daemon(std::shared_ptr<const config::Config> config) : config_(std::move(config)) {}
  /// Blocks until SIGINT or SIGTERM. Returns the process exit code.
  int run();

 private:
  std::shared_ptr<const config::Config> config_;
};

}  // namespace weir::daemon

#pragma once
// The process: builds the runtime from a loaded config, opens listeners, runs the workers and
// waits for a signal to stop (gracefully on SIGTERM/SIGQUIT, at once on SIGINT).

#include <memory>
#include <string>

#include "weir/config/config.h"

namespace weir::daemon {

class Daemon {
 public:
  /// `pidFile`: where to write the PID ("" = nowhere).
  explicit Daemon(std::shared_ptr<const config::Config> config, std::string pidFile = "")
      : config_(std::move(config)), pidFile_(std::move(pidFile)) {}
  /// Runs until SIGINT (at once) or SIGTERM/SIGQUIT (after draining connections for at most
  /// global.grace). SIGHUP reloads the certificates. Returns the process exit code.
  int run();

 private:
  std::shared_ptr<const config::Config> config_;
  std::string pidFile_;
};

}  // namespace weir::daemon

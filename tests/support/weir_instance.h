#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/process.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"

namespace weir::test {

/// What `weir -c -f FILE` said about a config.
struct WeirCheck {
  int exitCode = -1;
  std::string output;  // stdout then stderr
};

/// Where weir said a frontend listens ("listening frontend=NAME address=HOST:PORT").
struct FrontendAddress {
  std::string frontend;
  std::string host;
  std::uint16_t port = 0;
  bool tls = false;  // "... tls" at the end of the line
};

/// A running weir (WEIR_BINARY -f CONFIG) with a config written to a temp dir as weir.yaml.
/// The constructor returns once every frontend named in the config has logged its listening
/// line on stderr (tests bind "127.0.0.1:0" and learn the port from it); it throws
/// std::runtime_error with weir's stderr when that does not happen within 10s. If the test has
/// failed by the time the instance dies, the tail of weir's log is printed to help. Owned by one
/// test thread.
class WeirInstance {
 public:
  explicit WeirInstance(std::string yaml, const Environment& extraEnv = {},
                        std::vector<std::string> extraArgs = {});
  ~WeirInstance();
  WeirInstance(const WeirInstance&) = delete;
  WeirInstance& operator=(const WeirInstance&) = delete;

  /// The port of the first bind of `frontend`, or of the first frontend when empty. Records a
  /// test failure and returns 0 when there is no such frontend.
  std::uint16_t port(std::string_view frontend = "") const;
  /// The port of the first TLS bind of `frontend` (0 and a test failure when it has none).
  std::uint16_t tlsPort(std::string_view frontend = "") const;
  const std::vector<FrontendAddress>& listeners() const { return listeners_; }

  /// The access log (global.log: stdout) and weir's own log (stderr).
  std::string accessLog() const { return process_->stdoutText(); }
  std::string log() const { return process_->stderrText(); }
  std::size_t accessLogSize() const { return process_->outputSize(Stream::Stdout); }
  std::size_t logSize() const { return process_->outputSize(Stream::Stderr); }
  /// Waits for a line of the log (stderr) containing `substring`, from byte `from` on.
  std::optional<std::string> waitForLog(std::string_view substring,
                                        std::chrono::milliseconds timeout = kDefaultTimeout,
                                        std::size_t from = 0);
  /// Waits for an access-log line (stdout) containing `substring`, from byte `from` on.
  std::optional<std::string> waitForAccessLog(std::string_view substring,
                                              std::chrono::milliseconds timeout = kDefaultTimeout,
                                              std::size_t from = 0);

  pid_t pid() const { return process_->pid(); }
  /// Resident memory (VmRSS) in KiB; 0 when it cannot be read.
  std::size_t rssKiB() const;
  const std::filesystem::path& configPath() const { return configPath_; }
  /// Replaces the config file's content (then signal(SIGHUP) for a reload).
  void rewriteConfig(std::string_view yaml);

  bool signal(int signo) { return process_->signal(signo); }
  std::optional<int> waitExit(std::chrono::milliseconds timeout = kDefaultTimeout) {
    return process_->waitExit(timeout);
  }
  /// SIGTERM and wait; the exit code, or nullopt when weir had to be killed after `timeout`.
  std::optional<int> stop(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Process& process() { return *process_; }

  /// Runs `weir -c -f weir.yaml` on `yaml` (in a temp dir of its own).
  static WeirCheck check(std::string_view yaml, const Environment& extraEnv = {});

 private:
  void waitUntilListening(const std::string& yaml);
  void printLogTail() const;

  TempDir dir_;
  std::filesystem::path configPath_;
  std::unique_ptr<Process> process_;
  std::vector<FrontendAddress> listeners_;
};

/// The frontend names of a block-style YAML config (the keys under top-level `frontends:`),
/// then the stats listener's ("stats") when the config has a top-level `stats:`.
std::vector<std::string> frontendNames(std::string_view yaml);

}  // namespace weir::test

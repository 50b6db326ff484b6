#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/process.h"
#include "support/recorded_request.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"

namespace weir::test {

struct FakeBackendOptions {
  std::vector<std::string> routes;  // "PATH=SPEC", each passed as --route PATH=SPEC
  int threads = 0;                  // --threads N when > 0
  std::uint16_t port = 0;           // 0: the backend picks a free port
  std::string host = "127.0.0.1";   // another loopback address: servers told apart by IP (DNS tests)
  int idleTimeoutMs = 0;            // --idle-timeout MS when > 0: closes idle keep-alive connections
};

/// What GET /__fake/stats reports.
struct FakeBackendStats {
  std::uint64_t connections = 0;  // accepted since start
  std::uint64_t requests = 0;     // complete requests since start
  std::uint64_t open = 0;         // connections open now
};

/// A running weir-fake-backend on 127.0.0.1 (tests/fake_backend/): answers with
/// `X-Server: NAME`, scripted by query parameters or routes, and records every request it
/// receives in a file of its own. The constructor returns once it is listening (throws
/// std::runtime_error, with its stderr, when it does not within 10s). stop()/kill() take it
/// down to simulate a dead server; start() brings it back on the same port. Movable, so a
/// test can keep several in a std::vector. Owned by one test thread.
class FakeBackend {
 public:
  explicit FakeBackend(std::string name, FakeBackendOptions options = {});
  ~FakeBackend();
  FakeBackend(FakeBackend&&) noexcept;
  FakeBackend& operator=(FakeBackend&&) noexcept;
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  const std::string& name() const { return name_; }
  std::uint16_t port() const { return port_; }
  /// "127.0.0.1:PORT", as a server address in a weir config.
  std::string address() const;

  /// Every request recorded so far, over every start() of this backend, in order. (Connection
  /// numbers start again from 1 after a restart.)
  std::vector<RecordedRequest> records() const;
  /// How many recorded requests have a target starting with `prefix`.
  std::size_t countTarget(std::string_view prefix) const;
  /// Waits until at least `count` records are there.
  bool waitForRecords(std::size_t count, std::chrono::milliseconds timeout = kDefaultTimeout);
  /// Asks the backend itself (GET /__fake/stats on a connection of its own). Records a test
  /// failure and returns zeros when it cannot.
  FakeBackendStats stats(std::chrono::milliseconds timeout = kDefaultTimeout) const;

  /// Replaces the script of `path` while the backend runs (GET /__fake/route); "" restores
  /// the default answer. Records a test failure when the backend refuses it.
  void setRoute(const std::string& path, const std::string& spec);

  /// SIGTERM, then reaps: the port refuses connections afterwards.
  void stop();
  /// SIGKILL, then reaps: open connections are cut without a goodbye.
  void kill();
  /// Starts again (after stop()/kill()) on the same port.
  void start();
  bool isRunning() const { return process_ != nullptr && process_->isRunning(); }
  /// The running process (its stdout/stderr), for what this class does not wrap.
  Process& process() { return *process_; }

 private:
  std::vector<std::string> commandLine(std::uint16_t port, const std::string& recordFile) const;

  std::string name_;
  FakeBackendOptions options_;
  TempDir dir_;
  std::uint16_t port_ = 0;
  int starts_ = 0;
  std::unique_ptr<Process> process_;
};

/// The address() of each backend, in order: the servers of simpleConfig().
std::vector<std::string> addressesOf(const std::vector<FakeBackend>& backends);

}  // namespace weir::test

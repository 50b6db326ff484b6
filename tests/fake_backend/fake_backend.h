#pragma once
// The whole fake backend: shared state plus N workers listening on one port.

#include <memory>
#include <string>
#include <vector>

#include "backend_shared.h"
#include "c_handles.h"
#include "worker.h"

namespace weir::fake {

struct FakeBackendOptions {
  std::string name;
  std::string listen = "127.0.0.1:0";
  std::string recordPath;  // empty: no record file
  int threads = 1;
  int idleTimeoutMs = 0;            // 0: keep-alive connections never time out
  std::vector<std::string> routes;  // PATH=SPEC
};

/// Owned by main and driven from the main thread: start(), then stop() (or destruction).
/// stop() closes the write end of a pipe whose read end every worker watches.
/// With more than one thread the first listener binds the asked-for address and the others
/// bind the port it got, all with SO_REUSEPORT, so the kernel spreads connections over them.
class FakeBackend {
 public:
  FakeBackend() = default;
  ~FakeBackend() { stop(); }
  FakeBackend(const FakeBackend&) = delete;
  FakeBackend& operator=(const FakeBackend&) = delete;

  /// Binds and starts every worker; returns an error message or an empty string.
  std::string start(const FakeBackendOptions& options);
  /// "127.0.0.1:PORT" of the bound listeners (valid after a successful start()).
  const std::string& address() const { return address_; }
  void stop();

 private:
  std::string configure(const FakeBackendOptions& options);
  std::string bindWorkers(const FakeBackendOptions& options);

  BackendShared shared_;
  FileDescriptor stopReader_;
  FileDescriptor stopWriter_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::string address_;
};

}  // namespace weir::fake

// weir-fake-backend: the scriptable HTTP/1.1 backend used by weir's integration tests, the demo
// and the bench. Prints `listening HOST:PORT` once bound, runs until SIGTERM or SIGINT.

#include <fmt/format.h>
#include <pthread.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>

#include "fake_backend.h"

namespace {

void addOptions(CLI::App& app, weir::fake::FakeBackendOptions& options) {
  app.add_option("--name", options.name, "Sent as X-Server and as the default body")->required();
  app.add_option("--listen", options.listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
  app.add_option("--record", options.recordPath, "Append every request received to FILE");
  app.add_option("--threads", options.threads, "Event loops sharing the port (SO_REUSEPORT)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  app.add_option("--idle-timeout", options.idleTimeoutMs,
                 "MS: close a keep-alive connection idle between requests this long, with a FIN (0: never)")
      ->check(CLI::Range(0, 24 * 3600 * 1000))
      ->capture_default_str();
  app.add_option("--route", options.routes, "PATH=SPEC: script for an exact path in query-string syntax (repeatable)")
      ->allow_extra_args(false);
}

/// Blocks SIGINT and SIGTERM in every thread (the workers inherit the mask) so that the main
/// thread can wait for them with sigwait(); a closed client must not kill us with SIGPIPE.
sigset_t blockStopSignals() {
  std::signal(SIGPIPE, SIG_IGN);
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  return stopSignals;
}

/// Runs the backend until SIGINT or SIGTERM; returns the exit code.
int run(const weir::fake::FakeBackendOptions& options, const sigset_t& stopSignals) {
  weir::fake::FakeBackend backend;
  std::string error = backend.start(options);
  if (!error.empty()) {
    fmt::print(stderr, "weir-fake-backend: {}\n", error);
    return 1;
  }
  fmt::print("listening {}\n", backend.address());
  std::fflush(stdout);

  int signal = 0;
  sigwait(&stopSignals, &signal);
  backend.stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    sigset_t stopSignals = blockStopSignals();
    CLI::App app{"weir-fake-backend: a scriptable HTTP/1.1 backend for weir's tests"};
    weir::fake::FakeBackendOptions options;
    addOptions(app, options);
    CLI11_PARSE(app, argc, argv);
    return run(options, stopSignals);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weir-fake-backend: %s\n", e.what());
    return 1;
  }
}

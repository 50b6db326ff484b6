#include "weir/daemon/daemon.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "weir/base/log.h"
#include "weir/event/worker.h"
#include "weir/proxy/runtime.h"
#include "weir/proxy/worker_context.h"
#include "weir/proxy/certificate_reload.h"
#include "weir/upstream/health_checker.h"

namespace weir::daemon {

namespace {

int openAccessLog(const std::string& target) {
  if (target == "stdout") return STDOUT_FILENO;
  if (target == "stderr") return STDERR_FILENO;
  if (target == "none") return -1;
  int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) log::error("cannot open access log {}: {}", target, strerror(errno));
  return fd;
}

int workerCount(const config::Config& cfg) {
  if (cfg.global.threads > 0) return cfg.global.threads;
  unsigned n = std::thread::hardware_concurrency();
  return n > 0 ? static_cast<int>(n) : 1;
}

/// Every worker binds its own SO_REUSEPORT socket; the first fixes the port when ":0" was asked.
bool openListeners(proxy::Runtime& rt, std::vector<std::unique_ptr<proxy::WorkerContext>>& contexts) {
  for (auto& fe : rt.frontends) {
    for (auto& bind : fe.binds) {
      for (auto& ctx : contexts) {
        std::string error;
        if (!ctx->listen(fe, bind, &error)) {
          log::error("frontend {}: {}", fe.name, error);
          return false;
        }
      }
      log::info("listening frontend={} address={}{}", fe.name, bind.address.toString(), bind.tls ? " tls" : "");
    }
  }
  return true;
}

const char* signalName(int sig) {
  switch (sig) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGQUIT: return "SIGQUIT";
    default: return "signal";
  }
}

/// `--pidfile`: written once weir listens, removed when it exits (unless another process
/// has written its own PID there meanwhile).
class PidFile {
 public:
  explicit PidFile(std::string path) : path_(std::move(path)) {
    if (path_.empty()) return;
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ok_ = f != nullptr && std::fprintf(f, "%d\n", static_cast<int>(::getpid())) > 0;
    if (f != nullptr && std::fclose(f) != 0) ok_ = false;
    if (!ok_) log::error("cannot write the pid file {}: {}", path_, strerror(errno));
  }
  ~PidFile() {
    if (path_.empty() || !ok_) return;
    std::FILE* f = std::fopen(path_.c_str(), "r");
    int pid = 0;
    const bool ours = f != nullptr && std::fscanf(f, "%d", &pid) == 1 && pid == static_cast<int>(::getpid());
    if (f != nullptr) std::fclose(f);
    if (ours) ::unlink(path_.c_str());
  }
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  bool ok() const { return ok_; }

 private:
  std::string path_;
  bool ok_ = true;
};

/// Graceful stop (SIGTERM, SIGQUIT): every worker closes its listeners and idle connections,
/// the others close after their current response; weir waits until none is left, the grace
/// period is over, or SIGINT asks to stop now.
void drainConnections(proxy::Runtime& rt, const sigset_t& signals, int sig) {
  using Clock = std::chrono::steady_clock;
  const auto grace = rt.config->global.grace;
  const int open = rt.connections.load(std::memory_order_relaxed);
  log::info("{}: graceful stop: no new connections; {} open, waiting up to {} ms for them", signalName(sig), open,
            grace.count());
  for (proxy::WorkerContext* w : rt.workers) w->post([w] { w->beginDrain(); });
  const auto start = Clock::now();
  const auto deadline = start + grace;
  while (rt.connections.load(std::memory_order_relaxed) > 0) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      log::warning("graceful stop: the grace period ({} ms) is over: closing {} connection(s)", grace.count(),
                   rt.connections.load(std::memory_order_relaxed));
      return;
    }
    // The count is polled; a signal meanwhile (SIGINT: now) is taken at once.
    const auto wait = std::min<Clock::duration>(left, std::chrono::milliseconds(50));
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const int got = sigtimedwait(&signals, nullptr, &ts);
    if (got == SIGINT) {
      log::info("SIGINT during the graceful stop: closing {} connection(s) now",
                rt.connections.load(std::memory_order_relaxed));
      return;
    }
  }
  log::info("graceful stop: every connection finished after {} ms",
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

}  // namespace

int Daemon::run() {
  // Signals are taken synchronously by this thread only; workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGQUIT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto rt = proxy::buildRuntime(config_);
  if (!rt) return 1;
  rt->logFd = openAccessLog(config_->global.log);
  const int threads = workerCount(*config_);
  rt->threads = threads;
  std::vector<std::unique_ptr<event::Worker>> workers;
  std::vector<std::unique_ptr<proxy::WorkerContext>> contexts;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<event::Worker>(i));
    contexts.push_back(std::make_unique<proxy::WorkerContext>(*workers.back(), *rt));
    rt->workers.push_back(contexts.back().get());
  }
  if (!openListeners(*rt, contexts)) return 1;
  PidFile pidFile(pidFile_);
  if (!pidFile.ok()) return 1;
  log::info("started version={} workers={} event_method={} maxconn={}", WEIR_VERSION, threads, workers[0]->method(),
            rt->maxconn);
  upstream::HealthChecker checker(rt->backends);
  rt->checker = &checker;  // before the workers run: their runtime API may post to it at once
  checker.start();
  for (auto& w : workers) w->start(nullptr);
  // systemd (Type=notify): started once every worker listens. A no-op without NOTIFY_SOCKET.
  sd_notifyf(0, "READY=1\nSTATUS=%d worker(s), %zu frontend(s)\nMAINPID=%d", threads, rt->frontends.size(),
             static_cast<int>(::getpid()));

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld", static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
    // The config itself is not reloaded yet: SIGHUP reads the certificate files again.
    const proxy::CertificateReload report = proxy::reloadCertificates(*rt);
    log::info("SIGHUP: {} TLS bind(s) reloaded their certificates, {} kept the old ones", report.reloaded,
              report.errors.size());
    sd_notify(0, "READY=1");
  }
  sd_notifyf(0, "STOPPING=1\nSTATUS=stopping (%s)", signalName(sig));
  if (sig == SIGTERM || sig == SIGQUIT) {
    drainConnections(*rt, signals, sig);
  } else {
    log::info("{}: stopping now", signalName(sig));
  }
  for (auto& w : workers) w->stop();
  for (auto& w : workers) w->join();
  checker.stop();  // after the workers: the runtime API may post to it
  contexts.clear();  // sessions and pools go before their event bases
  workers.clear();
  if (rt->logFd > STDERR_FILENO) ::close(rt->logFd);
  return 0;
}

}  // namespace weir::daemon

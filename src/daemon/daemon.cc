#include "weir/daemon/daemon.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "weir/base/log.h"
#include "weir/daemon/file_limit.h"
#include "weir/daemon/generation.h"
#include "weir/event/worker.h"
#include "weir/proxy/runtime.h"
#include "weir/proxy/worker_context.h"
#include "weir/upstream/health_checker.h"

namespace weir::daemon {

namespace {

log::LogTarget openAccessLog(const std::string& target) {
  std::string error;
  log::LogTarget opened = log::openLogTarget(target, &error);
  if (!error.empty()) log::error("cannot open access log {}: {}", target, error);
  return opened;
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

/// `--pidfile`: written just before weir listens, removed when it exits (unless another process
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
/// period is over, or SIGINT asks to stop now. Retired generations drain alike.
void drainConnections(Generation& current, std::vector<Generation>& retired, const sigset_t& signals, int sig) {
  using Clock = std::chrono::steady_clock;
  proxy::Runtime& rt = *current.rt;
  const auto grace = rt.config->global.grace;
  const int open = rt.connections->load(std::memory_order_relaxed);
  log::info("{}: graceful stop: no new connections; {} open, waiting up to {} ms for them", signalName(sig), open,
            grace.count());
  for (proxy::WorkerContext* w : rt.workers) w->post([w] { w->beginDrain(); });
  for (Generation& g : retired)
    for (auto& ctx : g.contexts) ctx->post([w = ctx.get()] { w->beginDrain(); });
  const auto start = Clock::now();
  const auto deadline = start + grace;
  while (rt.connections->load(std::memory_order_relaxed) > 0) {
    const auto left = deadline - Clock::now();
    if (left <= Clock::duration::zero()) {
      log::warning("graceful stop: the grace period ({} ms) is over: closing {} connection(s)", grace.count(),
                   rt.connections->load(std::memory_order_relaxed));
      return;
    }
    // The count is polled; a signal meanwhile (SIGINT: now) is taken at once.
    const auto wait = std::min<Clock::duration>(left, std::chrono::milliseconds(50));
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec ts{static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
    const int got = sigtimedwait(&signals, nullptr, &ts);
    if (got == SIGINT) {
      log::info("SIGINT during the graceful stop: closing {} connection(s) now",
                rt.connections->load(std::memory_order_relaxed));
      return;
    }
  }
  log::info("graceful stop: every connection finished after {} ms",
            std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count());
}

/// SIGHUP: the config file again, certificates included.
void reload(Generation& current, std::vector<Generation>& retired, Workers& workers) {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%lld", static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
  log::info("SIGHUP: reloading {}", current.rt->config->source_file);
  reloadConfig(current, retired, workers);
  sd_notify(0, "READY=1");
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

  Generation current;
  current.rt = proxy::buildRuntime(config_);
  if (!current.rt) return 1;
  proxy::Runtime& first = *current.rt;
  raiseDescriptorLimit(first.maxconn);
  first.logTarget = openAccessLog(config_->global.log);
  log::LogTarget logTarget = first.logTarget;
  const int threads = workerCount(*config_);
  first.threads = threads;
  Workers workers;
  for (int i = 0; i < threads; ++i) {
    workers.push_back(std::make_unique<event::Worker>(i));
    current.contexts.push_back(std::make_unique<proxy::WorkerContext>(*workers.back(), first));
    first.workers.push_back(current.contexts.back().get());
  }
  // Before the listeners: whoever sees a port listening (a script, a test) finds the pid file.
  PidFile pidFile(pidFile_);
  if (!pidFile.ok()) return 1;
  if (!openListeners(first, current.contexts)) return 1;
  log::info("started version={} workers={} event_method={} maxconn={}", WEIR_VERSION, threads, workers[0]->method(),
            first.maxconn);
  current.checker = std::make_unique<upstream::HealthChecker>(first.backends);
  first.checker = current.checker.get();  // before the workers run: their runtime API may post to it at once
  current.checker->start();
  for (auto& ctx : current.contexts) ctx->post([c = ctx.get()] { c->makeCurrent(); });
  for (auto& w : workers) w->start(nullptr);
  // systemd (Type=notify): started once every worker listens. A no-op without NOTIFY_SOCKET.
  sd_notifyf(0, "READY=1\nSTATUS=%d worker(s), %zu frontend(s)\nMAINPID=%d", threads, first.frontends.size(),
             static_cast<int>(::getpid()));

  std::vector<Generation> retired;
  int sig = 0;
  while (true) {
    // Retired generations are looked at once a second; signals are taken at once.
    const timespec second{1, 0};
    sig = sigtimedwait(&signals, nullptr, &second);
    if (sig == SIGHUP) reload(current, retired, workers);
    else if (sig > 0) break;
    releaseRetired(retired, workers);
  }
  sd_notifyf(0, "STOPPING=1\nSTATUS=stopping (%s)", signalName(sig));
  if (sig == SIGTERM || sig == SIGQUIT) {
    drainConnections(current, retired, signals, sig);
  } else {
    log::info("{}: stopping now", signalName(sig));
  }
  // DNS lookups in flight answer before the loops stop (their callbacks need them).
  std::promise<void> dnsIdle;
  current.contexts[0]->post([ctx = current.contexts[0].get(), &dnsIdle] {
    ctx->stopDiscovery([&dnsIdle] { dnsIdle.set_value(); });
  });
  if (dnsIdle.get_future().wait_for(std::chrono::seconds(2)) != std::future_status::ready)
    log::warning("DNS lookups still in flight at exit: abandoned");
  for (auto& w : workers) w->stop();
  for (auto& w : workers) w->join();
  current.checker->stop();  // after the workers: the runtime API may post to it
  // Sessions and pools go before their event bases, contexts before their runtimes.
  current.contexts.clear();
  for (Generation& g : retired) g.contexts.clear();
  retired.clear();
  workers.clear();
  log::closeLogTarget(logTarget);
  return 0;
}

}  // namespace weir::daemon

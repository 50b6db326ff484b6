#include "weir/daemon/daemon.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

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

}  // namespace

int Daemon::run() {
  // Signals are taken synchronously by this thread only; workers never see them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
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
  log::info("started version={} workers={} event_method={} maxconn={}", WEIR_VERSION, threads, workers[0]->method(),
            rt->maxconn);
  upstream::HealthChecker checker(rt->backends);
  rt->checker = &checker;  // before the workers run: their runtime API may post to it at once
  checker.start();
  for (auto& w : workers) w->start(nullptr);

  int sig = 0;
  while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
    // The config itself is not reloaded yet: SIGHUP reads the certificate files again.
    const proxy::CertificateReload report = proxy::reloadCertificates(*rt);
    log::info("SIGHUP: {} TLS bind(s) reloaded their certificates, {} kept the old ones", report.reloaded,
              report.errors.size());
  }
  log::info("signal {} received, stopping", sig);
  for (auto& w : workers) w->stop();
  for (auto& w : workers) w->join();
  checker.stop();  // after the workers: the runtime API may post to it
  contexts.clear();  // sessions and pools go before their event bases
  workers.clear();
  if (rt->logFd > STDERR_FILENO) ::close(rt->logFd);
  return 0;
}

}  // namespace weir::daemon

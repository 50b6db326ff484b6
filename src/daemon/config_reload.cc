#include <future>
#include <string>

#include "weir/base/log.h"
#include "weir/config/config_diff.h"
#include "weir/config/config_loader.h"
#include "weir/daemon/file_limit.h"
#include "weir/daemon/generation.h"

namespace weir::daemon {

namespace {

/// Binds kept from the old config listen on the same sockets: ":0" keeps the port it got.
void keepBoundAddresses(proxy::Runtime& next, proxy::Runtime& old) {
  for (proxy::FrontendRuntime& fe : next.frontends)
    if (const proxy::FrontendRuntime* was = old.frontendNamed(fe.name))
      for (proxy::BindRuntime& bind : fe.binds)
        for (const proxy::BindRuntime& before : was->binds)
          if (proxy::sameBind(before, bind)) bind.address = before.address;
}

/// What a reload cannot change in a running process.
void warnAboutRestartOnlySettings(const config::GlobalConfig& now, const config::GlobalConfig& next) {
  if (now.threads != next.threads) log::warning("reload: global.threads changes at the next restart");
  if (now.log != next.log) log::warning("reload: global.log changes at the next restart");
}

// A retired generation's contexts may still receive what one of its workers posted just
// before its last connection ended (a fan-out's last step, a queue grant): counted from the
// moment none is left, this leaves those posts time to run.
constexpr auto kRetiredLinger = std::chrono::seconds(2);

}  // namespace

void onEachWorker(Workers& workers, const std::function<void(size_t)>& fn) {
  for (size_t i = 0; i < workers.size(); ++i) {
    std::promise<void> done;
    workers[i]->post([&fn, &done, i] {
      fn(i);
      done.set_value();
    });
    done.get_future().wait();
  }
}

bool reloadConfig(Generation& current, std::vector<Generation>& retired, Workers& workers) {
  const std::string path = current.rt->config->source_file;
  config::LoadResult loaded = config::loadConfigFile(path);
  for (const std::string& w : loaded.warnings) log::warning("reload: {}", w);
  if (!loaded.ok) {
    for (const std::string& e : loaded.errors) log::error("reload: {}", e);
    log::error("reload: {} is invalid ({} error(s)): the running config stays", path, loaded.errors.size());
    return false;
  }
  auto config = std::make_shared<const config::Config>(std::move(loaded.config));
  Generation next;
  next.rt = proxy::buildRuntime(config, current.rt.get());
  if (!next.rt) {
    log::error("reload: {} could not be put in force: the running config stays", path);
    return false;
  }
  warnAboutRestartOnlySettings(current.rt->config->global, config->global);
  raiseDescriptorLimit(next.rt->maxconn);
  const std::vector<std::string> changes = config::diffConfigs(*current.rt->config, *config);
  keepBoundAddresses(*next.rt, *current.rt);
  // Each context is made on its own worker: its timers belong to that worker's loop.
  next.contexts.resize(workers.size());
  onEachWorker(workers, [&](size_t i) {
    next.contexts[i] = std::make_unique<proxy::WorkerContext>(*workers[i], *next.rt, current.contexts[i].get());
  });
  for (auto& ctx : next.contexts) next.rt->workers.push_back(ctx.get());
  next.checker = std::make_unique<upstream::HealthChecker>(next.rt->backends);
  next.rt->checker = next.checker.get();
  next.checker->start();
  // Worker 0 first: it gives the new ":0" binds their port, which the others then share.
  onEachWorker(workers, [&](size_t i) { next.contexts[i]->activate(*current.contexts[i]); });
  // While the workers switched one by one, a connection closed on one still under the old
  // maxconn sent no resume for the new one: with every worker on the new config, settle again.
  onEachWorker(workers, [&](size_t i) { next.contexts[i]->settleAccepting(); });
  // The old servers serve only the requests already under way: no more checks for them.
  current.checker->stop();
  retired.push_back(std::move(current));
  current = std::move(next);
  log::info("reload: {} in force, {} change(s)", path, changes.size());
  for (const std::string& line : changes) log::info("reload:   {}", line);
  return true;
}

void releaseRetired(std::vector<Generation>& retired, Workers& workers) {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = retired.begin(); it != retired.end();) {
    if (it->rt->liveSessions.load(std::memory_order_acquire) > 0) {
      it->emptySince = {};
      ++it;
      continue;
    }
    if (it->emptySince == std::chrono::steady_clock::time_point{}) it->emptySince = now;
    if (now - it->emptySince < kRetiredLinger) {
      ++it;
      continue;
    }
    // Freed on their own workers: their events belong to those loops.
    onEachWorker(workers, [&](size_t i) { it->contexts[i].reset(); });
    log::info("reload: the previous config's last connection has ended: released");
    it = retired.erase(it);
  }
}

}  // namespace weir::daemon

#include "weir/upstream/health_checker.h"

namespace weir::upstream {

HealthChecker::HealthChecker(const std::vector<std::unique_ptr<Backend>>& backends) : backends_(backends) {}

HealthChecker::~HealthChecker() { stop(); }

void HealthChecker::start() {
  std::vector<std::pair<Backend*, Server*>> checked;
  for (const auto& b : backends_)
    if (b->healthCheck().enabled)
      for (const auto& s : b->servers()) checked.emplace_back(b.get(), s.get());
  if (checked.empty()) return;
  std::lock_guard lock(loopMutex_);
  loop_ = std::make_unique<event::Worker>(-1);
  loop_->start([this, checked] {
    // Spread the first round: server i of n starts i/n of its backend's interval in (the
    // first one at once), so a restart does not hit every server in the same millisecond.
    const auto n = static_cast<int64_t>(checked.size());
    for (int64_t i = 0; i < n; ++i) {
      auto [backend, server] = checked[static_cast<size_t>(i)];
      const auto offset = backend->healthCheck().interval * i / n;
      checks_.push_back(std::make_unique<ServerCheck>(loop_->base(), *backend, *server, offset));
    }
  });
}

void HealthChecker::post(std::function<void()> fn) {
  std::unique_lock lock(loopMutex_);
  if (loop_) {
    loop_->post(std::move(fn));
    return;
  }
  lock.unlock();
  fn();
}

void HealthChecker::stop() {
  std::lock_guard lock(loopMutex_);
  if (!loop_) return;
  loop_->stop();
  loop_->join();
  checks_.clear();  // the loop no longer runs: its events can go from this thread
  loop_.reset();
}

}  // namespace weir::upstream

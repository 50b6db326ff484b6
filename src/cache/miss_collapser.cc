#include "weir/cache/miss_collapser.h"

#include <algorithm>

namespace weir::cache {

bool MissCollapser::lead(const std::string& key, const CollapseWaiter& waiter) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = waiting_.try_emplace(key);
  if (!inserted) it->second.push_back(waiter);
  return inserted;
}

void MissCollapser::leave(const std::string& key, const CollapseWaiter& waiter) {
  std::lock_guard lock(mutex_);
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return;
  std::erase(it->second, waiter);
}

std::vector<CollapseWaiter> MissCollapser::finish(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = waiting_.find(key);
  if (it == waiting_.end()) return {};
  std::vector<CollapseWaiter> waiters = std::move(it->second);
  waiting_.erase(it);
  return waiters;
}

size_t MissCollapser::inFlight() {
  std::lock_guard lock(mutex_);
  return waiting_.size();
}

}  // namespace weir::cache

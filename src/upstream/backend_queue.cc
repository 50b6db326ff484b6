#include "weir/upstream/backend_queue.h"

#include <algorithm>

namespace weir::upstream {

bool BackendQueue::push(QueueWaiter& waiter) {
  std::lock_guard lock(mutex_);
  if (maxLength_ > 0 && static_cast<int>(waiters_.size()) >= maxLength_) {
    stats_.rejected.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  waiter.ticket = nextTicket_++;
  waiter.ahead = static_cast<int>(waiters_.size());
  waiters_.push_back(waiter);
  const int n = length_.fetch_add(1, std::memory_order_seq_cst) + 1;
  stats_.queued.fetch_add(1, std::memory_order_relaxed);
  if (n > stats_.maxLength.load(std::memory_order_relaxed)) stats_.maxLength.store(n, std::memory_order_relaxed);
  return true;
}

bool BackendQueue::remove(uint64_t ticket) {
  std::lock_guard lock(mutex_);
  auto it = std::find_if(waiters_.begin(), waiters_.end(), [&](const QueueWaiter& w) { return w.ticket == ticket; });
  if (it == waiters_.end()) return false;
  waiters_.erase(it);
  length_.fetch_sub(1, std::memory_order_seq_cst);
  return true;
}

std::optional<QueueWaiter> BackendQueue::takeFirstFor(int serverIndex) {
  auto it = std::find_if(waiters_.begin(), waiters_.end(), [&](const QueueWaiter& w) { return w.accepts(serverIndex); });
  if (it == waiters_.end()) return std::nullopt;
  QueueWaiter w = *it;
  waiters_.erase(it);
  length_.fetch_sub(1, std::memory_order_seq_cst);
  return w;
}

}  // namespace weir::upstream

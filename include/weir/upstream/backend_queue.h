#pragma once
// The requests of one backend that wait for a server slot (every usable server at maxconn),
// shared by all workers, oldest first (HAProxy: the backend queue; nginx has none in its free
// version and fails at once).
//
// A waiter is a ticket, not a session: the queue knows which worker holds it. A slot freed
// while requests wait is not given back: the releaser hands it to the oldest waiter that can
// use that server, and the waiter's worker is told which server it now holds, so no newcomer
// can take it in between. The mutex is taken only while requests queue or a slot frees with
// waiters present: the request path of a backend with free slots never touches it.

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>

namespace weir::upstream {

struct QueueWaiter {
  uint64_t ticket = 0;      // FIFO order across workers
  int worker = -1;          // whose session waits
  uint64_t session = 0;     // the session's id within its worker
  int server = -1;          // the only server it can use (source hashing), or -1 for any
  int ahead = 0;            // requests already waiting when it came (HAProxy's backend_queue)
  uint64_t avoid = 0;       // servers (bit = index, first 64) it already tried and must not get

  bool accepts(int serverIndex) const {
    if (server >= 0) return server == serverIndex;
    return serverIndex >= 64 || (avoid & (uint64_t{1} << serverIndex)) == 0;
  }
};

/// Counters for stats (cross-thread, relaxed).
struct QueueStats {
  std::atomic<uint64_t> queued{0};     // requests that had to wait
  std::atomic<uint64_t> rejected{0};   // turned away: the queue was at maxqueue
  std::atomic<uint64_t> timedOut{0};   // waited timeout.queue for nothing
  std::atomic<uint64_t> waitMsTotal{0};  // summed over requests that left the queue with a slot
  std::atomic<int32_t> maxLength{0};
};

class BackendQueue {
 public:
  explicit BackendQueue(int maxLength) : maxLength_(maxLength) {}
  /// maxqueue; 0 = unbounded.
  int limit() const { return maxLength_; }

  /// Waiting requests right now. Sequentially consistent with the releasers' slot counts: a
  /// slot freed just as a request queues is seen by one side or the other.
  int length() const { return length_.load(std::memory_order_seq_cst); }

  /// Appends a new waiter (ticket and `ahead` assigned here); false when the queue is at maxqueue.
  bool push(QueueWaiter& waiter);
  /// Removes the waiter with `ticket`; false when it was already handed a slot.
  bool remove(uint64_t ticket);
  /// Takes the oldest waiter that can use server `serverIndex`; with none, runs `whenNone`
  /// (the slot's release) before letting go of the lock, so that a request queueing right
  /// after finds the slot free when it looks again.
  template <typename WhenNone>
  std::optional<QueueWaiter> popForOr(int serverIndex, WhenNone&& whenNone) {
    std::lock_guard lock(mutex_);
    std::optional<QueueWaiter> w = takeFirstFor(serverIndex);
    if (!w) whenNone();
    return w;
  }
  std::optional<QueueWaiter> popFor(int serverIndex) {
    return popForOr(serverIndex, [] {});
  }

  QueueStats& stats() { return stats_; }
  const QueueStats& stats() const { return stats_; }

 private:
  std::optional<QueueWaiter> takeFirstFor(int serverIndex);  // with mutex_ held

  const int maxLength_;  // 0 = unbounded
  std::mutex mutex_;
  std::deque<QueueWaiter> waiters_;  // by ticket
  uint64_t nextTicket_ = 1;
  std::atomic<int> length_{0};
  QueueStats stats_;
};

}  // namespace weir::upstream

#pragma once
// The requests of one backend that wait for a server slot (every usable server at maxconn),
// shared by all workers, oldest first (HAProxy: the backend queue; nginx has none in its free
// version and fails at once).
//
// A waiter is a ticket, not a session: the queue knows which worker holds it and wakes that
// worker when a slot frees. The woken request picks a server again like a new one; if the slot
// was taken meanwhile, it goes back to its place (by ticket) and waits for the next one. The
// mutex is taken only while requests queue or a slot frees with waiters present: the request
// path of a backend with free slots never touches it.

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

  /// Waiting requests right now. Sequentially consistent with the releasers' slot counts: a
  /// slot freed just as a request queues is seen by one side or the other.
  int length() const { return length_.load(std::memory_order_seq_cst); }

  /// Appends a new waiter (ticket assigned here); false when the queue is at maxqueue.
  bool push(QueueWaiter& waiter);
  /// Puts a woken waiter whose slot was taken back at its place (ahead of later tickets).
  void requeue(const QueueWaiter& waiter);
  /// Removes the waiter with `ticket`; false when it was already woken.
  bool remove(uint64_t ticket);
  /// Takes the oldest waiter that can use server `serverIndex`.
  std::optional<QueueWaiter> popFor(int serverIndex);

  QueueStats& stats() { return stats_; }
  const QueueStats& stats() const { return stats_; }

 private:
  const int maxLength_;  // 0 = unbounded
  std::mutex mutex_;
  std::deque<QueueWaiter> waiters_;  // by ticket
  uint64_t nextTicket_ = 1;
  std::atomic<int> length_{0};
  QueueStats stats_;
};

}  // namespace weir::upstream

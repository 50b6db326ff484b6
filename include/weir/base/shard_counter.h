#pragma once
// A counter one thread writes and any thread reads: the owner adds with a relaxed load and
// store (a plain add, no locked instruction, no cache line bouncing as long as each thread's
// counters live on lines of their own), readers load it relaxed at any time. Counters that
// belong to a worker are shards of a total; the total is the sum of the shards on read.

#include <atomic>
#include <cstdint>

namespace weir {

class ShardCounter {
 public:
  ShardCounter() = default;
  ShardCounter(const ShardCounter&) = delete;
  ShardCounter& operator=(const ShardCounter&) = delete;

  /// Only from the owning thread.
  void add(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  /// Only from the owning thread: for a gauge (what is open now on this thread).
  void sub(uint64_t n = 1) { value_.store(value_.load(std::memory_order_relaxed) - n, std::memory_order_relaxed); }
  /// Only from the owning thread (or before any thread uses it).
  void set(uint64_t v) { value_.store(v, std::memory_order_relaxed); }
  /// From any thread.
  uint64_t get() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace weir

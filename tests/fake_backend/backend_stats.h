#pragma once
// The counters served by GET /__fake/stats, shared by every worker of one fake backend.

#include <atomic>
#include <cstdint>
#include <string>

namespace weir::fake {

/// Thread-safe: atomics only. Writers use release and readers acquire, so a test that has
/// received a response and then asks for the stats sees that response's request counted.
/// A connection whose first request is /__fake/* is a control connection: it is taken out
/// of `connections` and `open` again, so querying the stats does not change them.
struct BackendStats {
  std::atomic<uint64_t> connections{0};       // accepted, minus control connections
  std::atomic<uint64_t> requests{0};          // complete requests, excluding /__fake/*
  std::atomic<int64_t> open{0};               // currently open, minus control connections
  std::atomic<uint64_t> dropped{0};           // requests read and hung up on (drop_next=1)
  std::atomic<uint64_t> idleClosed{0};        // connections closed by --idle-timeout
  std::atomic<uint64_t> nextConnectionId{1};  // conn=C of the record file

  void connectionAccepted() {
    connections.fetch_add(1, std::memory_order_release);
    open.fetch_add(1, std::memory_order_release);
  }
  void connectionClosed() { open.fetch_sub(1, std::memory_order_release); }
  void connectionIsControl() {
    connections.fetch_sub(1, std::memory_order_release);
    open.fetch_sub(1, std::memory_order_release);
  }
  void requestCompleted() { requests.fetch_add(1, std::memory_order_release); }
  void requestDropped() { dropped.fetch_add(1, std::memory_order_release); }
  void connectionIdleClosed() { idleClosed.fetch_add(1, std::memory_order_release); }
  uint64_t assignConnectionId() { return nextConnectionId.fetch_add(1, std::memory_order_relaxed); }

  /// `{"connections":C,"requests":R,"open":O,"dropped":D,"idle_closed":I}`
  std::string toJson() const;
};

}  // namespace weir::fake

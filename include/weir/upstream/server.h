#pragma once
// One upstream server of a backend, shared by every worker.
// Thread-safe: the mutable part is `Shared`, atomics only; the rest is immutable after start.

#include <atomic>
#include <cstdint>
#include <string>

#include "weir/config/config.h"
#include "weir/net/address.h"

namespace weir::upstream {

class Server {
 public:
  /// Cross-thread state. Relaxed ordering throughout: each field is an independent counter or
  /// deadline, read for decisions that tolerate a momentarily stale value.
  struct Shared {
    std::atomic<int32_t> active{0};            // requests in flight on this server (all workers)
    std::atomic<int32_t> fails{0};             // passive: failures in the current window
    std::atomic<int64_t> failWindowStartMs{0};  // passive: when the window began
    std::atomic<int64_t> downUntilMs{0};        // passive: unusable until this time
  };

  Server(const config::ServerConfig& cfg, int index, int globalId);

  const std::string& name() const { return name_; }
  const net::Address& address() const { return address_; }
  int weight() const { return weight_; }
  int maxconn() const { return maxconn_; }
  bool backup() const { return backup_; }
  int index() const { return index_; }        // position in its backend
  int globalId() const { return globalId_; }  // position among all servers of all backends

  /// Usable for new requests: not taken out by passive health at `nowMs`.
  bool usable(int64_t nowMs) const { return shared_.downUntilMs.load(std::memory_order_relaxed) <= nowMs; }
  /// nginx semantics: `maxFails` failures within `failTimeoutMs` take the server out for
  /// `failTimeoutMs`. maxFails == 0 disables passive health.
  void recordFailure(int64_t nowMs, int maxFails, int64_t failTimeoutMs);
  void recordSuccess();

  Shared& shared() { return shared_; }

 private:
  std::string name_;
  net::Address address_;
  int weight_;
  int maxconn_;
  bool backup_;
  int index_;
  int globalId_;
  Shared shared_;
};

}  // namespace weir::upstream

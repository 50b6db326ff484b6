#pragma once
// A backend: a named pool of servers with its options, and the choice of a server for one
// attempt. Immutable after start except for the servers' Shared atomics and the queue, so every
// worker reads it without locks.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weir/config/config.h"
#include "weir/upstream/backend_queue.h"
#include "weir/upstream/hash_ring.h"
#include "weir/upstream/least_conn_policy.h"
#include "weir/upstream/round_robin_policy.h"
#include "weir/upstream/server.h"

namespace weir::upstream {

/// Primary or backup servers: the two halves of a backend, balanced separately.
struct ServerGroup {
  std::vector<Server*> servers;
  std::unique_ptr<HashRing> ring;  // balance: source only
};

/// A server entry found by DNS (`resolve: true`, `template`) and the slots its answer fills.
struct Discovery {
  const config::ServerConfig* config;
  std::vector<Server*> slots;
};

class Backend {
 public:
  /// `nextGlobalId` numbers servers across all backends (index of per-worker pools).
  Backend(const config::BackendConfig& cfg, int index, int& nextGlobalId);

  const std::string& name() const { return name_; }
  int index() const { return index_; }  // position among the config's backends
  config::BalanceAlgorithm balance() const { return balance_; }
  bool allBackups() const { return allBackups_; }
  const config::ProxyOptions& options() const { return options_; }
  int keepalive() const { return keepalive_; }
  int maxFails() const { return maxFails_; }
  int64_t failTimeoutMs() const { return failTimeoutMs_; }
  const std::vector<std::unique_ptr<Server>>& servers() const { return servers_; }
  Server& server(int index) { return *servers_[static_cast<size_t>(index)]; }
  const std::vector<Discovery>& discoveries() const { return discoveries_; }
  const ServerGroup& primaries() const { return primaries_; }
  const ServerGroup& backups() const { return backups_; }
  BackendQueue& queue() { return queue_; }
  const config::HealthCheckConfig& healthCheck() const { return health_; }

  void recordFailure(Server& s, ServerFailure kind, int64_t nowMs, bool probe = false) {
    s.recordFailure(kind, nowMs, maxFails_, failTimeoutMs_, probe);
  }

 private:
  std::string name_;
  int index_;
  config::BalanceAlgorithm balance_;
  bool allBackups_;
  config::ProxyOptions options_;
  int keepalive_;
  int maxFails_;
  int64_t failTimeoutMs_;
  std::vector<std::unique_ptr<Server>> servers_;
  std::vector<Discovery> discoveries_;
  ServerGroup primaries_;
  ServerGroup backups_;
  BackendQueue queue_;
  config::HealthCheckConfig health_;
};

/// The outcome of choosing a server for one attempt.
struct Pick {
  enum class Outcome {
    kAcquired,   // `server` is chosen and one of its slots is held (release it with probe)
    kSaturated,  // usable servers exist but are at maxconn: wait in the queue
    kNone,       // no usable server
  };
  Outcome outcome = Outcome::kNone;
  Server* server = nullptr;  // kAcquired; kSaturated with source hashing: the server to wait for
  bool probe = false;        // the slot is also this server's probe request (passive health)
};

/// One worker's balancing state for one backend (round-robin positions, leastconn cursors).
class ServerPicker {
 public:
  ServerPicker(const Backend& backend, int workerIndex);

  /// Chooses among the primaries by the backend's algorithm, skipping servers that are down,
  /// at maxconn, or in `excluded` (backend indices already tried); with no primary usable, the
  /// first usable backup (or, with allbackups, the backups by the same algorithm).
  /// `clientHash` is hashClientIp() of the client, used by balance: source.
  Pick pick(Backend& backend, uint64_t clientHash, std::span<const int> excluded, int64_t nowMs);

 private:
  struct GroupState {
    RoundRobinPolicy roundRobin;
    LeastConnPolicy leastConn;
  };
  Pick pickIn(const Backend& backend, const ServerGroup& group, GroupState* state, bool firstOnly,
              uint64_t clientHash, std::span<const int> excluded, int64_t nowMs);

  GroupState primaries_;
  GroupState backups_;
};

}  // namespace weir::upstream

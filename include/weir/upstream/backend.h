#pragma once
// A backend: a named pool of servers with its options. Immutable after start except for the
// servers' Shared atomics, so every worker reads it without locks.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "weir/config/config.h"
#include "weir/upstream/round_robin_policy.h"
#include "weir/upstream/server.h"

namespace weir::upstream {

class Backend {
 public:
  /// `nextGlobalId` numbers servers across all backends (index of per-worker pools).
  Backend(const config::BackendConfig& cfg, int index, int& nextGlobalId);

  const std::string& name() const { return name_; }
  int index() const { return index_; }  // position among the config's backends
  const config::ProxyOptions& options() const { return options_; }
  int keepalive() const { return keepalive_; }
  int maxFails() const { return maxFails_; }
  int64_t failTimeoutMs() const { return failTimeoutMs_; }
  const std::vector<std::unique_ptr<Server>>& servers() const { return servers_; }
  Server& server(int index) { return *servers_[static_cast<size_t>(index)]; }

  /// A fresh per-worker round-robin policy over this backend's servers.
  RoundRobinPolicy makePolicy(int workerIndex) const;

 private:
  std::string name_;
  int index_;
  config::ProxyOptions options_;
  int keepalive_;
  int maxFails_;
  int64_t failTimeoutMs_;
  std::vector<std::unique_ptr<Server>> servers_;
};

/// Chooses the server for one attempt: a primary through the policy, skipping servers that
/// are out (passive health), at maxconn, or in `excluded` (already tried); when no primary is
/// left, the first such usable backup. Returns nullptr when nothing is usable.
Server* chooseServer(Backend& backend, RoundRobinPolicy& policy, std::span<const int> excluded, int64_t nowMs);

}  // namespace weir::upstream

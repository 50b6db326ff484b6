#include "weir/upstream/backend.h"

#include <algorithm>

namespace weir::upstream {

Backend::Backend(const config::BackendConfig& cfg, int index, int& nextGlobalId)
    : name_(cfg.name),
      index_(index),
      options_(cfg.options),
      keepalive_(cfg.keepalive),
      maxFails_(cfg.max_fails),
      failTimeoutMs_(cfg.fail_timeout.count()) {
  for (size_t i = 0; i < cfg.servers.size(); ++i)
    servers_.push_back(std::make_unique<Server>(cfg.servers[i], static_cast<int>(i), nextGlobalId++));
}

RoundRobinPolicy Backend::makePolicy(int workerIndex) const {
  std::vector<int> weights;
  weights.reserve(servers_.size());
  for (const auto& s : servers_) weights.push_back(s->weight());
  return RoundRobinPolicy(std::move(weights), workerIndex);
}

namespace {

bool available(Server& s, std::span<const int> excluded, int64_t nowMs) {
  if (std::find(excluded.begin(), excluded.end(), s.index()) != excluded.end()) return false;
  if (!s.usable(nowMs)) return false;
  return s.maxconn() == 0 || s.shared().active.load(std::memory_order_relaxed) < s.maxconn();
}

}  // namespace

Server* chooseServer(Backend& backend, RoundRobinPolicy& policy, std::span<const int> excluded, int64_t nowMs) {
  const auto& servers = backend.servers();
  int picked = policy.pick([&](int i) {
    Server& s = *servers[static_cast<size_t>(i)];
    return !s.backup() && available(s, excluded, nowMs);
  });
  if (picked >= 0) return servers[static_cast<size_t>(picked)].get();
  for (const auto& s : servers)
    if (s->backup() && available(*s, excluded, nowMs)) return s.get();
  return nullptr;
}

}  // namespace weir::upstream

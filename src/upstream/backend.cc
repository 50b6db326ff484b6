#include "weir/upstream/backend.h"

#include <algorithm>

namespace weir::upstream {

namespace {

std::unique_ptr<HashRing> buildRing(const std::vector<Server*>& servers) {
  std::vector<HashRing::Member> members;
  members.reserve(servers.size());
  // Empty runtime-API slots stay off the ring (see the loader); DNS slots have their names
  // from the start, so the ring need not change as the answer does.
  for (size_t i = 0; i < servers.size(); ++i)
    if (servers[i]->inUse() || servers[i]->discovered()) members.push_back({servers[i]->name(), servers[i]->weight(), static_cast<int>(i)});
  return std::make_unique<HashRing>(members);
}

bool contains(std::span<const int> list, int value) { return std::find(list.begin(), list.end(), value) != list.end(); }

}  // namespace

Backend::Backend(const config::BackendConfig& cfg, int index, int& nextGlobalId)
    : name_(cfg.name),
      index_(index),
      balance_(cfg.balance),
      allBackups_(cfg.allbackups),
      options_(cfg.options),
      keepalive_(cfg.keepalive),
      maxFails_(cfg.max_fails),
      failTimeoutMs_(cfg.fail_timeout.count()),
      queue_(cfg.maxqueue),
      health_(cfg.health) {
  for (const config::ServerConfig& sc : cfg.servers) {
    if (sc.resolve) {
      Discovery& d = discoveries_.emplace_back(Discovery{&sc, {}});
      for (int slot = 0; slot < sc.slots; ++slot) {
        servers_.push_back(Server::discoveredSlot(sc, slot, static_cast<int>(servers_.size()), nextGlobalId++));
        d.slots.push_back(servers_.back().get());
        (sc.backup ? backups_ : primaries_).servers.push_back(servers_.back().get());
      }
      continue;
    }
    servers_.push_back(std::make_unique<Server>(sc, static_cast<int>(servers_.size()), nextGlobalId++));
    (servers_.back()->backup() ? backups_ : primaries_).servers.push_back(servers_.back().get());
    // init_state: down: no traffic until the checks have seen the server rise.
    if (health_.enabled && !health_.initUp) servers_.back()->shared().checkDown.store(true, std::memory_order_relaxed);
  }
  // Room for servers added at run time: empty slots among the primaries, never picked while empty.
  for (int i = 0; i < cfg.spare_servers; ++i) {
    servers_.push_back(Server::spareSlot(static_cast<int>(servers_.size()), nextGlobalId++));
    primaries_.servers.push_back(servers_.back().get());
  }
  if (balance_ == config::BalanceAlgorithm::kSource) {
    primaries_.ring = buildRing(primaries_.servers);
    backups_.ring = buildRing(backups_.servers);
  }
}

ServerPicker::ServerPicker(const Backend& backend, int workerIndex)
    : primaries_{RoundRobinPolicy(backend.primaries().servers.size(), workerIndex),
                 LeastConnPolicy(backend.primaries().servers.size(), workerIndex)},
      backups_{RoundRobinPolicy(backend.backups().servers.size(), workerIndex),
               LeastConnPolicy(backend.backups().servers.size(), workerIndex)} {}

Pick ServerPicker::pick(Backend& backend, uint64_t clientHash, std::span<const int> excluded, int64_t nowMs) {
  Pick p = pickIn(backend, backend.primaries(), &primaries_, false, clientHash, excluded, nowMs);
  // Primaries that are only full make the request wait for them: backups stand in for servers
  // that are down, not for busy ones (HAProxy does the same).
  if (p.outcome != Pick::Outcome::kNone) return p;
  return pickIn(backend, backend.backups(), &backups_, !backend.allBackups(), clientHash, excluded, nowMs);
}

Pick ServerPicker::pickIn(const Backend& backend, const ServerGroup& group, GroupState* state, bool firstOnly,
                          uint64_t clientHash, std::span<const int> excluded, int64_t nowMs) {
  const std::vector<Server*>& servers = group.servers;
  std::vector<int> lost;  // lost a race for their last slot or their probe during this pick
  bool saturated = false;
  // Usable for this request, maxconn aside.
  auto candidate = [&](int i) {
    const Server& s = *servers[static_cast<size_t>(i)];
    if (contains(excluded, s.index()) || contains(lost, i)) return false;
    switch (s.state(nowMs)) {
      case Server::State::kDown:
        return false;
      case Server::State::kProbe:
        return !s.shared().probeInFlight.load(std::memory_order_relaxed);
      case Server::State::kUp:
        return true;
    }
    return false;
  };
  // Usable and below maxconn; notes the full ones.
  auto open = [&](int i) {
    if (!candidate(i)) return false;
    if (servers[static_cast<size_t>(i)]->hasFreeSlot()) return true;
    saturated = true;
    return false;
  };
  const bool hashed = backend.balance() == config::BalanceAlgorithm::kSource && !firstOnly;
  for (size_t attempt = 0; attempt <= servers.size(); ++attempt) {
    int i = -1;
    if (hashed) {
      i = group.ring->lookup(clientHash, candidate);
      // The client's server is busy: waiting for it keeps the affinity that source promises.
      if (i >= 0 && !servers[static_cast<size_t>(i)]->hasFreeSlot())
        return {Pick::Outcome::kSaturated, servers[static_cast<size_t>(i)], false};
    } else if (firstOnly) {
      for (size_t j = 0; j < servers.size() && i < 0; ++j) {
        if (!candidate(static_cast<int>(j))) continue;
        if (!servers[j]->hasFreeSlot()) return {Pick::Outcome::kSaturated, nullptr, false};
        i = static_cast<int>(j);
      }
    } else if (backend.balance() == config::BalanceAlgorithm::kLeastConn) {
      i = state->leastConn.pick([&](int j) -> ServerLoad {
        if (!open(j)) return {0, 0};
        const Server& s = *servers[static_cast<size_t>(j)];
        return {s.active().load(std::memory_order_relaxed), s.effectiveWeight(nowMs)};
      });
    } else {
      i = state->roundRobin.pick([&](int j) -> int64_t { return open(j) ? servers[static_cast<size_t>(j)]->effectiveWeight(nowMs) : 0; });
    }
    if (i < 0) break;
    Server& s = *servers[static_cast<size_t>(i)];
    const bool probe = s.state(nowMs) == Server::State::kProbe;
    if (s.tryAcquire(probe)) return {Pick::Outcome::kAcquired, &s, probe};
    if (!s.hasFreeSlot()) {
      if (hashed) return {Pick::Outcome::kSaturated, &s, false};
      saturated = true;
    }
    lost.push_back(i);
  }
  return {saturated ? Pick::Outcome::kSaturated : Pick::Outcome::kNone, nullptr, false};
}

}  // namespace weir::upstream

#include "weir/stats/counters.h"

#include <initializer_list>

namespace weir::stats {
namespace {

void zero(std::initializer_list<ShardCounter*> counters) {
  for (ShardCounter* c : counters) c->set(0);
}

}  // namespace

void FrontendShard::clear() {
  zero({&connections, &requests, &bytesIn, &bytesOut, &denied, &deniedConnections, &requestErrors, &intercepted, &cacheLookups, &cacheHits});
  for (ShardCounter& r : responses) r.set(0);
}

void ExchangeShard::clear() {
  zero({&requests, &bytesIn, &bytesOut, &retries, &redispatches, &clientAborts, &serverAborts, &lastRequestMs, &queueMicros,
        &connectMicros, &connects});
  for (ShardCounter& r : responses) r.set(0);
  responseTime.clear();
  totalTime.clear();
}

void ServerShard::clear() {
  exchange.clear();
  selected.set(0);
}

void BackendShard::clear() {
  exchange.clear();
  zero({&cacheLookups, &cacheHits});
}

namespace {

template <class Shard>
std::vector<std::shared_ptr<Shard>> freshShards(size_t n) {
  std::vector<std::shared_ptr<Shard>> shards;
  shards.reserve(n);
  for (size_t i = 0; i < n; ++i) shards.push_back(std::make_shared<Shard>());
  return shards;
}

template <class Shard>
void shareShards(std::vector<std::shared_ptr<Shard>>& mine, const std::vector<std::shared_ptr<Shard>>& old,
                 const std::vector<int>& same) {
  for (size_t i = 0; i < mine.size() && i < same.size(); ++i)
    if (same[i] >= 0 && static_cast<size_t>(same[i]) < old.size()) mine[i] = old[static_cast<size_t>(same[i])];
}

}  // namespace

WorkerCounters::WorkerCounters(size_t frontends, size_t backends, size_t servers)
    : frontends_(freshShards<FrontendShard>(frontends)),
      backends_(freshShards<BackendShard>(backends)),
      servers_(freshShards<ServerShard>(servers)) {}

void WorkerCounters::share(WorkerCounters& old, const SameAs& same) {
  shareShards(frontends_, old.frontends_, same.frontends);
  shareShards(backends_, old.backends_, same.backends);
  shareShards(servers_, old.servers_, same.servers);
  connections_ = old.connections_;
}

void WorkerCounters::clear() {
  for (auto& f : frontends_) f->clear();
  for (auto& b : backends_) b->clear();
  for (auto& s : servers_) s->clear();
}

}  // namespace weir::stats

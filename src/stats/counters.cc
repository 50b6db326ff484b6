#include "weir/stats/counters.h"

#include <initializer_list>

namespace weir::stats {
namespace {

void zero(std::initializer_list<ShardCounter*> counters) {
  for (ShardCounter* c : counters) c->set(0);
}

}  // namespace

void FrontendShard::clear() {
  zero({&connections, &requests, &bytesIn, &bytesOut, &denied, &requestErrors, &intercepted, &cacheLookups, &cacheHits});
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

void WorkerCounters::clear() {
  for (FrontendShard& f : frontends_) f.clear();
  for (BackendShard& b : backends_) b.clear();
  for (ServerShard& s : servers_) s.clear();
}

}  // namespace weir::stats

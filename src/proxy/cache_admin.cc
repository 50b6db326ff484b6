#include "weir/proxy/cache_admin.h"

#include "weir/proxy/worker_fanout.h"

namespace weir::proxy {

void purgeCache(Runtime& runtime, WorkerContext& origin, PurgeRequest request, std::function<void(size_t removed)> done) {
  gatherFromWorkers<size_t>(
      runtime, origin,
      [request = std::move(request)](WorkerContext& w) {
        return w.responseCache(request.cache).purge(request.host, request.target, request.prefix);
      },
      [done = std::move(done)](std::vector<size_t> removed) {
        size_t total = 0;
        for (size_t n : removed) total += n;
        done(total);
      });
}

CacheUsage& CacheUsage::operator+=(const CacheUsage& o) {
  counters.lookups += o.counters.lookups;
  counters.hits += o.counters.hits;
  counters.misses += o.counters.misses;
  counters.stores += o.counters.stores;
  counters.evictions += o.counters.evictions;
  counters.purged += o.counters.purged;
  counters.collapsed += o.counters.collapsed;
  bytes += o.bytes;
  entries += o.entries;
  return *this;
}

void collectCacheReport(Runtime& runtime, WorkerContext& origin, std::function<void(CacheReport)> done) {
  const size_t caches = runtime.config->caches.size();
  const size_t frontends = runtime.frontends.size();
  gatherFromWorkers<CacheReport>(
      runtime, origin,
      [&runtime, caches](WorkerContext& w) {
        CacheReport part;
        for (size_t i = 0; i < caches; ++i) {
          const cache::ResponseCache& c = w.responseCache(static_cast<int>(i));
          part.caches.push_back({c.counters(), c.bytes(), c.entries()});
        }
        for (const FrontendRuntime& fe : runtime.frontends) part.frontends.push_back(w.frontendCounters(fe));
        return part;
      },
      [caches, frontends, done = std::move(done)](std::vector<CacheReport> parts) {
        CacheReport total;
        total.caches.resize(caches);
        total.frontends.resize(frontends);
        for (const CacheReport& p : parts) {
          for (size_t i = 0; i < caches; ++i) total.caches[i] += p.caches[i];
          for (size_t i = 0; i < frontends; ++i) total.frontends[i] += p.frontends[i];
        }
        done(std::move(total));
      });
}

}  // namespace weir::proxy

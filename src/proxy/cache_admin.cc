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

cache::CacheCounters cacheTotals(const Runtime& runtime, int index) {
  cache::CacheCounters total;
  for (WorkerContext* w : runtime.workers) total += w->responseCache(index).counters();
  return total;
}

}  // namespace weir::proxy

#pragma once
// What the runtime API does with the response caches: purge a URL or a prefix from every
// worker's share (posted to each worker, as only a worker touches its cache), and add up the
// workers' counters (shards, readable from any thread).

#include <cstdint>
#include <functional>
#include <string>

#include "weir/cache/response_cache.h"
#include "weir/proxy/runtime.h"

namespace weir::proxy {

class WorkerContext;

struct PurgeRequest {
  int cache = 0;       // config.caches index
  std::string host;    // "" = every host
  std::string target;  // path and query, as forwarded
  bool prefix = false;
};

/// `done` runs on `origin`'s thread with the number of entries removed from all workers.
void purgeCache(Runtime& runtime, WorkerContext& origin, PurgeRequest request, std::function<void(size_t removed)> done);

/// Cache `index`'s counters summed over the workers. From any thread.
cache::CacheCounters cacheTotals(const Runtime& runtime, int index);

}  // namespace weir::proxy

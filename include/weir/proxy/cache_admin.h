#pragma once
// What the runtime API does with the response caches: purge a URL or a prefix from every
// worker's share, and add up every worker's counters (per cache and per frontend). Each runs
// asynchronously through gatherFromWorkers; `done` is called on `origin`'s thread.

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "weir/cache/response_cache.h"
#include "weir/proxy/frontend_counters.h"
#include "weir/proxy/runtime.h"

namespace weir::proxy {

class WorkerContext;

struct PurgeRequest {
  int cache = 0;      // config.caches index
  std::string host;   // "" = every host
  std::string target; // path and query, as forwarded
  bool prefix = false;
};

void purgeCache(Runtime& runtime, WorkerContext& origin, PurgeRequest request, std::function<void(size_t removed)> done);

struct CacheUsage {
  cache::CacheCounters counters;
  uint64_t bytes = 0;
  uint64_t entries = 0;

  CacheUsage& operator+=(const CacheUsage& o);
};

struct CacheReport {
  std::vector<CacheUsage> caches;            // by config.caches index
  std::vector<FrontendCounters> frontends;   // by frontend index
};

void collectCacheReport(Runtime& runtime, WorkerContext& origin, std::function<void(CacheReport)> done);

}  // namespace weir::proxy

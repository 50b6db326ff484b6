#pragma once
// A frontend's counters on one worker. Only that worker's thread writes them and other threads
// read them through a snapshot posted to the worker (see worker_fanout.h), so they are plain
// integers: nothing is shared between cores on the request path.

#include <cstdint>

namespace weir::proxy {

struct FrontendCounters {
  uint64_t cacheLookups = 0;  // requests a cache rule sent to a cache
  uint64_t cacheHits = 0;     // of those, answered from it

  FrontendCounters& operator+=(const FrontendCounters& o) {
    cacheLookups += o.cacheLookups;
    cacheHits += o.cacheHits;
    return *this;
  }
};

}  // namespace weir::proxy

#pragma once
// Rates and maxima over time, which shards of running totals cannot give: once a second one
// worker records every row's totals; the deltas are the current rates (HAProxy's rate,
// req_rate, conn_rate), their maxima rate_max etc., the highest scur seen is smax, and the
// last five minutes of requests per second feed the dashboard's sparklines. Rows are matched
// by proxy and server name, so a server added or removed at run time leaves the others'
// history alone. Touched once a second and on stats requests only: a mutex is fine.

#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

#include "weir/stats/snapshot.h"

namespace weir::stats {

class RateHistory {
 public:
  static constexpr size_t kSeconds = 300;

  /// Records `snap` (taken at steady time `nowMs`).
  void record(const Snapshot& snap, int64_t nowMs);
  /// Fills the rates, maxima and sparklines of `snap`'s rows.
  void apply(Snapshot& snap) const;
  /// Forgets everything (the runtime API's counter clearing).
  void clear();

 private:
  struct Series {
    uint64_t sessions = 0, requests = 0, connections = 0;  // totals at the last sample
    uint64_t rate = 0, reqRate = 0, connRate = 0;
    uint64_t rateMax = 0, reqRateMax = 0, connRateMax = 0, smax = 0;
    std::deque<uint32_t> requestsPerSecond;
  };

  static std::string keyOf(const Row& row) { return row.pxname + '/' + row.svname; }

  mutable std::mutex mutex_;
  std::unordered_map<std::string, Series> series_;  // by keyOf
  int64_t lastMs_ = -1;
};

}  // namespace weir::stats

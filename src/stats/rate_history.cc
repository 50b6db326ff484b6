#include "weir/stats/rate_history.h"

#include <algorithm>

namespace weir::stats {
namespace {

uint64_t sessionsOf(const Row& r) { return r.type == RowType::kFrontend ? r.connTot : r.stot; }

}  // namespace

void RateHistory::record(const Snapshot& snap, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  const int64_t elapsed = lastMs_ >= 0 ? std::max<int64_t>(nowMs - lastMs_, 1) : 1000;
  // Per second, whatever the timer's jitter.
  const auto perSecond = [elapsed](uint64_t now, uint64_t before) {
    return now >= before ? (now - before) * 1000 / static_cast<uint64_t>(elapsed) : 0;
  };
  std::unordered_map<std::string, Series> next;
  next.reserve(snap.rows.size());
  for (const Row& row : snap.rows) {
    const std::string key = keyOf(row);
    auto old = series_.find(key);
    const bool primed = old != series_.end();
    Series s = primed ? std::move(old->second) : Series{};
    if (primed) {
      s.rate = perSecond(sessionsOf(row), s.sessions);
      s.reqRate = perSecond(row.reqTot, s.requests);
      s.connRate = perSecond(row.connTot, s.connections);
      s.rateMax = std::max(s.rateMax, s.rate);
      s.reqRateMax = std::max(s.reqRateMax, s.reqRate);
      s.connRateMax = std::max(s.connRateMax, s.connRate);
      s.requestsPerSecond.push_back(static_cast<uint32_t>(std::min<uint64_t>(s.reqRate, UINT32_MAX)));
      if (s.requestsPerSecond.size() > kSeconds) s.requestsPerSecond.pop_front();
    }
    s.sessions = sessionsOf(row);
    s.requests = row.reqTot;
    s.connections = row.connTot;
    s.smax = std::max(s.smax, row.scur);
    next.emplace(key, std::move(s));
  }
  series_ = std::move(next);  // rows gone from the snapshot (a removed server) are forgotten
  lastMs_ = nowMs;
}

void RateHistory::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
  lastMs_ = -1;
}

void RateHistory::apply(Snapshot& snap) const {
  std::lock_guard lock(mutex_);
  for (Row& row : snap.rows) {
    const auto found = series_.find(keyOf(row));
    if (found == series_.end()) continue;
    const Series& s = found->second;
    row.rate = s.rate;
    row.reqRate = s.reqRate;
    row.connRate = s.connRate;
    row.rateMax = s.rateMax;
    row.reqRateMax = s.reqRateMax;
    row.connRateMax = s.connRateMax;
    row.smax = std::max(s.smax, row.scur);
    row.requestsPerSecond.assign(s.requestsPerSecond.begin(), s.requestsPerSecond.end());
  }
}

}  // namespace weir::stats

#include "weir/stats/rate_history.h"

#include <algorithm>

namespace weir::stats {
namespace {

uint64_t sessionsOf(const Row& r) { return r.type == RowType::kFrontend ? r.connTot : r.stot; }

}  // namespace

void RateHistory::record(const Snapshot& snap, int64_t nowMs) {
  std::lock_guard lock(mutex_);
  const bool primed = lastMs_ >= 0 && series_.size() == snap.rows.size();
  const int64_t elapsed = primed ? std::max<int64_t>(nowMs - lastMs_, 1) : 1000;
  if (!primed) series_.assign(snap.rows.size(), Series{});
  // Per second, whatever the timer's jitter.
  const auto perSecond = [elapsed](uint64_t now, uint64_t before) {
    return now >= before ? (now - before) * 1000 / static_cast<uint64_t>(elapsed) : 0;
  };
  for (size_t i = 0; i < snap.rows.size(); ++i) {
    const Row& row = snap.rows[i];
    Series& s = series_[i];
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
  }
  lastMs_ = nowMs;
}

void RateHistory::clear() {
  std::lock_guard lock(mutex_);
  series_.clear();
  lastMs_ = -1;
}

void RateHistory::apply(Snapshot& snap) const {
  std::lock_guard lock(mutex_);
  if (series_.size() != snap.rows.size()) return;
  for (size_t i = 0; i < snap.rows.size(); ++i) {
    Row& row = snap.rows[i];
    const Series& s = series_[i];
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

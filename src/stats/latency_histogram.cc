#include "weir/stats/latency_histogram.h"

#include <algorithm>

namespace weir::stats {
namespace {

constexpr std::array<uint64_t, 10> kMantissas{10, 15, 20, 25, 30, 40, 50, 60, 70, 80};  // × 10^k / 10

constexpr std::array<uint64_t, LatencyHistogram::kBounds> makeBounds() {
  std::array<uint64_t, LatencyHistogram::kBounds> bounds{};
  uint64_t decade = 10;  // 100 µs = 10 × 10 µs
  size_t i = 0;
  while (i < bounds.size()) {
    for (uint64_t m : kMantissas) {
      if (i == bounds.size()) break;
      bounds[i++] = m * decade;
    }
    decade *= 10;
  }
  return bounds;
}

constexpr std::array<uint64_t, LatencyHistogram::kBounds> kBoundsMicros = makeBounds();
static_assert(kBoundsMicros.front() == 100 && kBoundsMicros.back() == 100'000'000);

}  // namespace

uint64_t LatencyHistogram::boundMicros(size_t i) { return i < kBounds ? kBoundsMicros[i] : UINT64_MAX; }

void LatencyHistogram::record(uint64_t micros) {
  const size_t i = static_cast<size_t>(std::lower_bound(kBoundsMicros.begin(), kBoundsMicros.end(), micros) -
                                       kBoundsMicros.begin());
  buckets_[i].add();
  count_.add();
  sumMicros_.add(micros);
}

void LatencyHistogram::addTo(Totals& totals) const {
  for (size_t i = 0; i < buckets_.size(); ++i) totals.buckets[i] += buckets_[i].get();
  totals.count += count_.get();
  totals.sumMicros += sumMicros_.get();
}

void LatencyHistogram::clear() {
  for (ShardCounter& b : buckets_) b.set(0);
  count_.set(0);
  sumMicros_.set(0);
}

LatencyHistogram::Totals& LatencyHistogram::Totals::operator+=(const Totals& o) {
  for (size_t i = 0; i < buckets.size(); ++i) buckets[i] += o.buckets[i];
  count += o.count;
  sumMicros += o.sumMicros;
  return *this;
}

double LatencyHistogram::Totals::quantileMicros(double q) const {
  uint64_t total = 0;
  for (uint64_t b : buckets) total += b;  // the buckets, not count: read at slightly different moments
  if (total == 0) return 0;
  const double rank = std::clamp(q, 0.0, 1.0) * static_cast<double>(total);
  uint64_t below = 0;
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i] == 0) continue;
    if (static_cast<double>(below + buckets[i]) >= rank) {
      const double lower = i == 0 ? 0.0 : static_cast<double>(kBoundsMicros[i - 1]);
      const double upper = i < kBounds ? static_cast<double>(kBoundsMicros[i]) : lower * 2;
      const double within = (rank - static_cast<double>(below)) / static_cast<double>(buckets[i]);
      return lower + (upper - lower) * std::clamp(within, 0.0, 1.0);
    }
    below += buckets[i];
  }
  return static_cast<double>(kBoundsMicros.back());
}

uint64_t LatencyHistogram::Totals::countAtMost(uint64_t micros) const {
  uint64_t n = 0;
  for (size_t i = 0; i < kBounds && kBoundsMicros[i] <= micros; ++i) n += buckets[i];
  return n;
}

}  // namespace weir::stats

#pragma once
// Response times as a histogram with ten buckets per decade from 0.1 ms to 100 s (1, 1.5, 2,
// 2.5, 3, 4, 5, 6, 7, 8 × 10^k: every Prometheus default bound is one of them), so percentiles
// come out within a bucket's width (≤ 25%) instead of from an average. One thread records
// (the shard's worker); any thread reads. Totals are the sum of the shards' buckets.

#include <array>
#include <cstdint>

#include "weir/base/shard_counter.h"

namespace weir::stats {

class LatencyHistogram {
 public:
  static constexpr size_t kBounds = 61;  // 0.1 ms .. 100 s; one more bucket above the last
  /// Upper bound of bucket i in microseconds (bucket kBounds: everything above).
  static uint64_t boundMicros(size_t i);

  /// Only from the owning thread.
  void record(uint64_t micros);

  struct Totals {
    std::array<uint64_t, kBounds + 1> buckets{};
    uint64_t count = 0;
    uint64_t sumMicros = 0;

    Totals& operator+=(const Totals& o);
    /// The q-quantile (0..1) in microseconds, interpolated inside its bucket; 0 when empty.
    double quantileMicros(double q) const;
    /// How many observations were at most `micros` (a bucket bound).
    uint64_t countAtMost(uint64_t micros) const;
  };
  /// From any thread.
  void addTo(Totals& totals) const;
  /// Only from the owning thread.
  void clear();

 private:
  std::array<ShardCounter, kBounds + 1> buckets_;
  ShardCounter count_;
  ShardCounter sumMicros_;
};

}  // namespace weir::stats

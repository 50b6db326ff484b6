#include "weir/stats/latency_histogram.h"

#include <gtest/gtest.h>

namespace weir::stats {
namespace {

LatencyHistogram::Totals totalsOf(const LatencyHistogram& h) {
  LatencyHistogram::Totals t;
  h.addTo(t);
  return t;
}

TEST(LatencyHistogram, BoundsRunFromATenthOfAMillisecondToAHundredSeconds) {
  EXPECT_EQ(LatencyHistogram::boundMicros(0), 100u);
  EXPECT_EQ(LatencyHistogram::boundMicros(LatencyHistogram::kBounds - 1), 100'000'000u);
  for (size_t i = 1; i < LatencyHistogram::kBounds; ++i)
    EXPECT_LT(LatencyHistogram::boundMicros(i - 1), LatencyHistogram::boundMicros(i));
  // Every default Prometheus bound from 0.5 ms on is a bucket bound (no interpolation there).
  for (uint64_t le : {500u, 1000u, 2500u, 5000u, 10000u, 25000u, 50000u, 100000u, 250000u, 500000u, 1000000u}) {
    bool found = false;
    for (size_t i = 0; i < LatencyHistogram::kBounds; ++i) found = found || LatencyHistogram::boundMicros(i) == le;
    EXPECT_TRUE(found) << le;
  }
}

TEST(LatencyHistogram, PercentilesComeOutWithinABucket) {
  LatencyHistogram h;
  for (int i = 1; i <= 1000; ++i) h.record(static_cast<uint64_t>(i) * 100);  // 0.1 ms .. 100 ms, uniform
  const LatencyHistogram::Totals t = totalsOf(h);
  EXPECT_EQ(t.count, 1000u);
  EXPECT_NEAR(t.quantileMicros(0.50), 50'000, 50'000 * 0.25);
  EXPECT_NEAR(t.quantileMicros(0.95), 95'000, 95'000 * 0.25);
  EXPECT_NEAR(t.quantileMicros(0.99), 99'000, 99'000 * 0.25);
  EXPECT_LE(t.quantileMicros(0.50), t.quantileMicros(0.95));
  EXPECT_LE(t.quantileMicros(0.95), t.quantileMicros(0.99));
}

TEST(LatencyHistogram, ASlowTailShowsInP99ButNotInP50) {
  LatencyHistogram h;
  for (int i = 0; i < 980; ++i) h.record(2'000);   // 2 ms
  for (int i = 0; i < 20; ++i) h.record(800'000);  // 800 ms
  const LatencyHistogram::Totals t = totalsOf(h);
  EXPECT_LE(t.quantileMicros(0.50), 2'000);
  EXPECT_GT(t.quantileMicros(0.99), 500'000) << "an average (17.9 ms) would hide it";
}

TEST(LatencyHistogram, CountAtMostIsCumulativeAndTotalsAdd) {
  LatencyHistogram a, b;
  a.record(50);         // bucket 0.1 ms
  a.record(1'000);      // exactly 1 ms: counted at le=0.001
  b.record(3'000);
  b.record(200'000'000);  // above the last bound
  LatencyHistogram::Totals t = totalsOf(a);
  t += totalsOf(b);
  EXPECT_EQ(t.count, 4u);
  EXPECT_EQ(t.countAtMost(100), 1u);
  EXPECT_EQ(t.countAtMost(1'000), 2u);
  EXPECT_EQ(t.countAtMost(5'000), 3u);
  EXPECT_EQ(t.countAtMost(100'000'000), 3u) << "+Inf only";
  EXPECT_EQ(t.sumMicros, 50u + 1'000 + 3'000 + 200'000'000);
  EXPECT_EQ(LatencyHistogram::Totals{}.quantileMicros(0.5), 0.0);
}

}  // namespace
}  // namespace weir::stats

#include "weir/upstream/round_robin_policy.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace weir::upstream {
namespace {

/// `n` picks with fixed weights (0 = not eligible); servers as letters, '-' for no pick.
std::string sequence(RoundRobinPolicy& p, int n, std::vector<int64_t> weights) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    const int k = p.pick([&](int j) { return weights[static_cast<size_t>(j)]; });
    out += k < 0 ? '-' : static_cast<char>('a' + k);
  }
  return out;
}

TEST(RoundRobinPolicy, EqualWeightsCycleInOrder) {
  RoundRobinPolicy p(3, 0);
  EXPECT_EQ(p.size(), 3u);
  EXPECT_EQ(sequence(p, 6, {1, 1, 1}), "abcabc");
}

TEST(RoundRobinPolicy, SmoothWeightedSequenceMatchesNginx) {
  // nginx's documented example: weights 5,1,1 give a a b a c a a (no burst of five).
  RoundRobinPolicy p(3, 0);
  EXPECT_EQ(sequence(p, 7, {5, 1, 1}), "aabacaa");
  EXPECT_EQ(sequence(p, 7, {5, 1, 1}), "aabacaa");  // and again, the cycle closes exactly
}

TEST(RoundRobinPolicy, ScaledWeightsGiveTheSameSequence) {
  // The picker scales weights by kWeightScale: that must not change the order.
  RoundRobinPolicy p(3, 0);
  EXPECT_EQ(sequence(p, 7, {5 * 16, 16, 16}), "aabacaa");
}

TEST(RoundRobinPolicy, HonoursWeightsExactlyOverEachCycle) {
  RoundRobinPolicy p(4, 0);
  const std::vector<int64_t> weights{3, 7, 1, 256};
  const int cycle = 3 + 7 + 1 + 256;
  for (int round = 0; round < 3; ++round) {
    std::map<char, int> counts;
    for (char c : sequence(p, cycle, weights)) counts[c]++;
    EXPECT_EQ(counts['a'], 3) << "round " << round;
    EXPECT_EQ(counts['b'], 7) << "round " << round;
    EXPECT_EQ(counts['c'], 1) << "round " << round;
    EXPECT_EQ(counts['d'], 256) << "round " << round;
    EXPECT_EQ(counts['-'], 0) << "round " << round;
  }
}

TEST(RoundRobinPolicy, SkipsIneligibleServers) {
  RoundRobinPolicy p(3, 0);
  EXPECT_EQ(sequence(p, 4, {1, 0, 1}), "acac");
  EXPECT_EQ(sequence(p, 2, {0, 0, 0}), "--");
  // Back to all eligible: every server is picked once per cycle again.
  std::map<char, int> counts;
  for (char c : sequence(p, 3, {1, 1, 1})) counts[c]++;
  EXPECT_EQ(counts['a'], 1);
  EXPECT_EQ(counts['b'], 1);
  EXPECT_EQ(counts['c'], 1);
}

TEST(RoundRobinPolicy, NegativeWeightIsNotEligible) {
  RoundRobinPolicy p(2, 0);
  EXPECT_EQ(sequence(p, 3, {-5, 1}), "bbb");
}

TEST(RoundRobinPolicy, EmptyPolicyPicksNothing) {
  RoundRobinPolicy p(0, 3);
  EXPECT_EQ(p.size(), 0u);
  EXPECT_EQ(p.pick([](int) { return int64_t{1}; }), -1);
}

TEST(RoundRobinPolicy, EachWorkerStartsAtADifferentServer) {
  RoundRobinPolicy w0(3, 0), w1(3, 1), w2(3, 2), w3(3, 3);
  EXPECT_EQ(sequence(w0, 6, {1, 1, 1}), "abcabc");
  EXPECT_EQ(sequence(w1, 6, {1, 1, 1}), "bcabca");
  EXPECT_EQ(sequence(w2, 6, {1, 1, 1}), "cabcab");
  EXPECT_EQ(sequence(w3, 6, {1, 1, 1}), "abcabc");  // the offset wraps around the size
}

TEST(RoundRobinPolicy, StartOffsetsAlsoHoldForScaledEqualWeights) {
  RoundRobinPolicy w0(3, 0), w1(3, 1), w2(3, 2);
  EXPECT_EQ(sequence(w0, 6, {16, 16, 16}), "abcabc");
  EXPECT_EQ(sequence(w1, 6, {16, 16, 16}), "bcabca");
  EXPECT_EQ(sequence(w2, 6, {16, 16, 16}), "cabcab");
}

TEST(RoundRobinPolicy, RampingWeightIsPickedProportionally) {
  // Server b comes back with slow start: its weight ramps from 1 to 16 while a stays at 16.
  RoundRobinPolicy p(2, 0);
  const int rampPicks = 1500;
  double expectedB = 0;
  int pickedB = 0;
  int64_t wb = 1;
  int runOfB = 0, longestRunOfB = 0;
  for (int t = 0; t < rampPicks; ++t) {
    wb = 1 + 15 * t / (rampPicks - 1);
    expectedB += static_cast<double>(wb) / static_cast<double>(16 + wb);
    const int k = p.pick([&](int j) { return j == 0 ? int64_t{16} : wb; });
    ASSERT_GE(k, 0);
    if (k == 1) {
      ++pickedB;
      longestRunOfB = std::max(longestRunOfB, ++runOfB);
    } else {
      runOfB = 0;
    }
  }
  ASSERT_EQ(wb, 16);
  EXPECT_NEAR(pickedB, expectedB, 0.01 * rampPicks) << "expected about " << expectedB;
  // Smooth: b's weight never exceeds a's, so b is never picked twice in a row.
  EXPECT_EQ(longestRunOfB, 1);

  // Early in the ramp b gets a small share; once at full weight the two strictly alternate.
  RoundRobinPolicy q(2, 0);
  int early = 0;
  for (int t = 0; t < 170; ++t)
    early += q.pick([](int j) { return j == 0 ? int64_t{16} : int64_t{1}; }) == 1;
  EXPECT_EQ(early, 10);  // exactly 1/17 of 170
  std::string after;
  for (int t = 0; t < 20; ++t) after += static_cast<char>('a' + q.pick([](int) { return int64_t{16}; }));
  int a = 0;
  for (char c : after) a += c == 'a';
  EXPECT_EQ(a, 10);
  for (size_t i = 1; i < after.size(); ++i) EXPECT_NE(after[i], after[i - 1]) << after;
}

}  // namespace
}  // namespace weir::upstream

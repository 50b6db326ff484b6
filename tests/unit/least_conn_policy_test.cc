#include "weir/upstream/least_conn_policy.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace weir::upstream {
namespace {

int pickWith(LeastConnPolicy& p, const std::vector<int64_t>& active, const std::vector<int64_t>& weights) {
  return p.pick([&](int i) { return ServerLoad{active[static_cast<size_t>(i)], weights[static_cast<size_t>(i)]}; });
}

/// `n` picks of idle servers with equal weights; servers as letters.
std::string idleSequence(LeastConnPolicy& p, size_t size, int n) {
  std::string out;
  const std::vector<int64_t> active(size, 0), weights(size, 16);
  for (int i = 0; i < n; ++i) {
    const int k = pickWith(p, active, weights);
    out += k < 0 ? '-' : static_cast<char>('a' + k);
  }
  return out;
}

TEST(LeastConnPolicy, PicksFewestActiveWithEqualWeights) {
  LeastConnPolicy p(3, 0);
  EXPECT_EQ(pickWith(p, {3, 1, 2}, {1, 1, 1}), 1);
  EXPECT_EQ(pickWith(p, {3, 1, 2}, {16, 16, 16}), 1);
  EXPECT_EQ(pickWith(p, {0, 5, 7}, {16, 16, 16}), 0);
  EXPECT_EQ(pickWith(p, {9, 5, 2}, {16, 16, 16}), 2);
}

TEST(LeastConnPolicy, ComparesActiveRelativeToWeight) {
  LeastConnPolicy p(2, 0);
  // 4/4 = 1 < 3/1 = 3: the heavier server is less loaded despite more requests.
  EXPECT_EQ(pickWith(p, {4, 3}, {4, 1}), 0);
  LeastConnPolicy q(2, 0);
  // 5/4 > 1/1: the lighter server wins.
  EXPECT_EQ(pickWith(q, {5, 1}, {4, 1}), 1);
  LeastConnPolicy r(2, 0);
  // 7/3 vs 2/1: 7*1 = 7 > 2*3 = 6, so b (no rounding of the division into a tie).
  EXPECT_EQ(pickWith(r, {7, 2}, {3, 1}), 1);
}

TEST(LeastConnPolicy, TiesRotateRoundRobin) {
  LeastConnPolicy p(3, 0);
  EXPECT_EQ(idleSequence(p, 3, 7), "abcabca");
}

TEST(LeastConnPolicy, EqualRelativeLoadsAreTies) {
  // 2/2 and 1/1 are the same load: rotation, not the first index.
  LeastConnPolicy p(2, 0);
  EXPECT_EQ(pickWith(p, {2, 1}, {2, 1}), 0);
  EXPECT_EQ(pickWith(p, {2, 1}, {2, 1}), 1);
  EXPECT_EQ(pickWith(p, {2, 1}, {2, 1}), 0);
}

TEST(LeastConnPolicy, TieRotationContinuesAfterTheLastWinner) {
  LeastConnPolicy p(4, 0);
  EXPECT_EQ(pickWith(p, {5, 5, 0, 5}, {1, 1, 1, 1}), 2);
  // All tied now: the cursor is past the last winner.
  EXPECT_EQ(pickWith(p, {1, 1, 1, 1}, {1, 1, 1, 1}), 3);
  EXPECT_EQ(pickWith(p, {1, 1, 1, 1}, {1, 1, 1, 1}), 0);
}

TEST(LeastConnPolicy, SkipsIneligibleServers) {
  LeastConnPolicy p(3, 0);
  // The idle server is not eligible: the least loaded eligible one wins.
  EXPECT_EQ(pickWith(p, {0, 4, 2}, {0, 1, 1}), 2);
  std::string seq;
  for (int i = 0; i < 4; ++i) seq += static_cast<char>('a' + pickWith(p, {0, 0, 0}, {1, 0, 1}));
  EXPECT_EQ(seq, "acac");
}

TEST(LeastConnPolicy, NoneEligibleGivesMinusOne) {
  LeastConnPolicy p(3, 0);
  EXPECT_EQ(pickWith(p, {0, 0, 0}, {0, 0, 0}), -1);
  LeastConnPolicy empty(0, 2);
  EXPECT_EQ(empty.pick([](int) { return ServerLoad{0, 1}; }), -1);
}

TEST(LeastConnPolicy, EachWorkerStartsAtADifferentServer) {
  LeastConnPolicy w0(3, 0), w1(3, 1), w2(3, 2), w3(3, 3);
  EXPECT_EQ(idleSequence(w0, 3, 4), "abca");
  EXPECT_EQ(idleSequence(w1, 3, 4), "bcab");
  EXPECT_EQ(idleSequence(w2, 3, 4), "cabc");
  EXPECT_EQ(idleSequence(w3, 3, 4), "abca");
}

}  // namespace
}  // namespace weir::upstream

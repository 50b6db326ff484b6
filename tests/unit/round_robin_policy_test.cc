#include "weir/upstream/round_robin_policy.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <string>

#include "weir/upstream/backend.h"

namespace weir::upstream {
namespace {

std::string sequence(RoundRobinPolicy& p, int n, std::function<bool(int)> eligible = [](int) { return true; }) {
  std::string out;
  for (int i = 0; i < n; ++i) {
    int k = p.pick(eligible);
    out += k < 0 ? '-' : static_cast<char>('a' + k);
  }
  return out;
}

TEST(RoundRobinPolicy, EqualWeightsCycleInOrder) {
  RoundRobinPolicy p({1, 1, 1}, 0);
  EXPECT_EQ(sequence(p, 6), "abcabc");
}

TEST(RoundRobinPolicy, SmoothWeightedSequenceMatchesNginx) {
  // nginx's documented example: weights 5,1,1 give a a b a c a a (no burst of five).
  RoundRobinPolicy p({5, 1, 1}, 0);
  EXPECT_EQ(sequence(p, 7), "aabacaa");
}

TEST(RoundRobinPolicy, HonoursWeightsExactlyOverEachCycle) {
  RoundRobinPolicy p({3, 7, 1, 256}, 0);
  const int cycle = 3 + 7 + 1 + 256;
  for (int round = 0; round < 3; ++round) {
    std::map<char, int> counts;
    for (char c : sequence(p, cycle)) counts[c]++;
    EXPECT_EQ(counts['a'], 3);
    EXPECT_EQ(counts['b'], 7);
    EXPECT_EQ(counts['c'], 1);
    EXPECT_EQ(counts['d'], 256);
  }
}

TEST(RoundRobinPolicy, SkipsIneligibleServers) {
  RoundRobinPolicy p({1, 1, 1}, 0);
  EXPECT_EQ(sequence(p, 4, [](int i) { return i != 1; }), "acac");
  EXPECT_EQ(sequence(p, 2, [](int) { return false; }), "--");
}

TEST(RoundRobinPolicy, EachWorkerStartsAtADifferentServer) {
  RoundRobinPolicy w0({1, 1, 1}, 0), w1({1, 1, 1}, 1), w2({1, 1, 1}, 2);
  EXPECT_EQ(sequence(w0, 3), "abc");
  EXPECT_EQ(sequence(w1, 3), "bca");
  EXPECT_EQ(sequence(w2, 3), "cab");
}

config::BackendConfig backendWith(std::vector<std::pair<int, bool>> weightsAndBackup) {
  config::BackendConfig cfg;
  cfg.name = "be";
  int i = 0;
  for (auto [w, backup] : weightsAndBackup) {
    config::ServerConfig s;
    s.name = "s" + std::to_string(++i);
    s.weight = w;
    s.backup = backup;
    cfg.servers.push_back(s);
  }
  return cfg;
}

TEST(ChooseServer, UsesBackupOnlyWhenNoPrimaryIsLeft) {
  int ids = 0;
  Backend be(backendWith({{1, false}, {1, false}, {1, true}, {1, true}}), 0, ids);
  RoundRobinPolicy p = be.makePolicy(0);
  std::vector<int> tried;
  EXPECT_EQ(chooseServer(be, p, tried, 0)->name(), "s1");
  EXPECT_EQ(chooseServer(be, p, tried, 0)->name(), "s2");
  tried = {0, 1};
  EXPECT_EQ(chooseServer(be, p, tried, 0)->name(), "s3");  // the first backup first
  tried = {0, 1, 2};
  EXPECT_EQ(chooseServer(be, p, tried, 0)->name(), "s4");
  tried = {0, 1, 2, 3};
  EXPECT_EQ(chooseServer(be, p, tried, 0), nullptr);
}

TEST(ChooseServer, SkipsServerInFailTimeout) {
  int ids = 0;
  Backend be(backendWith({{1, false}, {1, false}}), 0, ids);
  RoundRobinPolicy p = be.makePolicy(0);
  be.server(0).recordFailure(1000, 1, 10000);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(chooseServer(be, p, {}, 2000)->name(), "s2");
  EXPECT_EQ(chooseServer(be, p, {}, 11001)->name(), "s1");  // back after fail_timeout
}

TEST(ChooseServer, MaxFailsCountsWithinWindow) {
  int ids = 0;
  Backend be(backendWith({{1, false}}), 0, ids);
  Server& s = be.server(0);
  s.recordFailure(0, 3, 1000);
  s.recordFailure(100, 3, 1000);
  EXPECT_TRUE(s.usable(200));
  s.recordFailure(2000, 3, 1000);  // a new window: the count starts again
  EXPECT_TRUE(s.usable(2100));
  s.recordFailure(2200, 3, 1000);
  s.recordFailure(2300, 3, 1000);
  EXPECT_FALSE(s.usable(2400));
}

TEST(ChooseServer, SkipsServerAtMaxconn) {
  int ids = 0;
  auto cfg = backendWith({{1, false}, {1, false}});
  cfg.servers[0].maxconn = 1;
  Backend be(cfg, 0, ids);
  RoundRobinPolicy p = be.makePolicy(0);
  be.server(0).shared().active = 1;
  EXPECT_EQ(chooseServer(be, p, {}, 0)->name(), "s2");
  EXPECT_EQ(chooseServer(be, p, {}, 0)->name(), "s2");
}

}  // namespace
}  // namespace weir::upstream

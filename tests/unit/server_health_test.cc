#include "weir/upstream/server_health.h"

#include <gtest/gtest.h>

namespace weir::upstream {
namespace {

TEST(ServerHealth, KeepsTheLastCheckAndCountsFailures) {
  ServerHealth h;
  h.recordCheck({true, 200, 3, "Layer7 check passed", "OK"}, "UP");
  h.recordCheck({false, 503, 4, "Layer7 wrong status", "Service Unavailable"}, "UP, going down 1/3");
  const HealthSnapshot s = h.snapshot(0);
  EXPECT_EQ(s.checks, 2u);
  EXPECT_EQ(s.checkFailures, 1u);
  EXPECT_EQ(s.last.code, 503);
  EXPECT_EQ(s.last.durationMs, 4);
  EXPECT_EQ(s.last.reason, "Layer7 wrong status");
  EXPECT_EQ(s.state, "UP, going down 1/3");
}

TEST(ServerHealth, AddsUpDowntimeIncludingTheCurrentOutage) {
  ServerHealth h;
  h.recordTransition(false, "Layer4 timeout", 1000, 5000);
  h.recordTransition(true, "Layer7 check passed", 3000, 7000);
  EXPECT_EQ(h.snapshot(3500).downtimeMs, 2000);
  h.recordTransition(false, "Layer7 wrong status", 4000, 8000);
  const HealthSnapshot s = h.snapshot(4500);
  EXPECT_EQ(s.downtimeMs, 2500);  // 2000 before + 500 of the outage still going on
  EXPECT_EQ(s.downTransitions, 2u);
  EXPECT_EQ(s.lastChangeUnixMs, 8000);
  ASSERT_EQ(s.history.size(), 3u);
  EXPECT_EQ(s.history.back().to, "DOWN");
  EXPECT_EQ(s.history.back().reason, "Layer7 wrong status");
}

TEST(ServerHealth, KeepsOnlyTheLastTransitions) {
  ServerHealth h;
  for (int i = 0; i < 20; ++i) h.recordTransition(i % 2 == 1, "r" + std::to_string(i), i * 10, i * 10);
  const HealthSnapshot s = h.snapshot(1000);
  ASSERT_EQ(s.history.size(), ServerHealth::kHistory);
  EXPECT_EQ(s.history.front().reason, "r12");
  EXPECT_EQ(s.history.back().reason, "r19");
}

}  // namespace
}  // namespace weir::upstream

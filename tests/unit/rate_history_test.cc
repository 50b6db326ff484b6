// Rates from once-a-second samples, matched by proxy and server name: a server added or
// removed at run time changes the snapshot's rows without disturbing the others' history.

#include "weir/stats/rate_history.h"

#include <gtest/gtest.h>

namespace weir::stats {
namespace {

Row server(const std::string& name, uint64_t requests) {
  Row r;
  r.type = RowType::kServer;
  r.pxname = "app";
  r.svname = name;
  r.reqTot = requests;
  r.stot = requests;
  return r;
}

Snapshot snapshot(std::vector<Row> rows) {
  Snapshot s;
  s.rows = std::move(rows);
  return s;
}

TEST(RateHistory, RatesArePerSecondDeltas) {
  RateHistory h;
  h.record(snapshot({server("s1", 0)}), 0);
  h.record(snapshot({server("s1", 10)}), 1000);
  h.record(snapshot({server("s1", 40)}), 2000);
  Snapshot now = snapshot({server("s1", 40)});
  h.apply(now);
  EXPECT_EQ(now.rows[0].reqRate, 30u);
  EXPECT_EQ(now.rows[0].reqRateMax, 30u);
  EXPECT_EQ(now.rows[0].requestsPerSecond, (std::vector<uint32_t>{10, 30}));
}

TEST(RateHistory, AServerAddedOrRemovedLeavesTheOthersHistory) {
  RateHistory h;
  h.record(snapshot({server("s1", 0), server("s2", 0)}), 0);
  h.record(snapshot({server("s1", 10), server("s2", 100)}), 1000);
  // s1 removed, s3 added in its place: s2 keeps its series, s3 starts one.
  h.record(snapshot({server("s3", 5), server("s2", 300)}), 2000);
  h.record(snapshot({server("s3", 7), server("s2", 400)}), 3000);
  Snapshot now = snapshot({server("s3", 7), server("s2", 400)});
  h.apply(now);
  EXPECT_EQ(now.rows[1].reqRate, 100u);
  EXPECT_EQ(now.rows[1].reqRateMax, 200u);
  EXPECT_EQ(now.rows[1].requestsPerSecond, (std::vector<uint32_t>{100, 200, 100}));
  EXPECT_EQ(now.rows[0].reqRate, 2u);
  EXPECT_EQ(now.rows[0].requestsPerSecond, (std::vector<uint32_t>{2})) << "s3 is new, not s1's successor";
}

}  // namespace
}  // namespace weir::stats

// The field table and its renderings: every field is in the CSV header in order, and every
// field with a value reaches every format (CSV, JSON, HTML, and Prometheus where it has a name).

#include <gtest/gtest.h>

#include <set>
#include <sstream>

#include "weir/stats/exports.h"
#include "weir/stats/schema.h"

namespace weir::stats {
namespace {

Snapshot sample() {
  Snapshot snap;
  snap.process.version = "test";
  snap.process.threads = 2;
  Row fe;
  fe.type = RowType::kFrontend;
  fe.pxname = "web";
  fe.svname = "FRONTEND";
  fe.iid = 1;
  fe.status = "OPEN";
  fe.reqTot = 7;
  fe.hrsp = {1, 2, 3, 4, 5, 6};
  Row sv;
  sv.type = RowType::kServer;
  sv.pxname = "app";
  sv.svname = "s1";
  sv.iid = 2;
  sv.sid = 1;
  sv.status = "UP 1/3";
  sv.checked = true;
  sv.checkStatus = "L7STS";
  sv.checkCode = 500;
  sv.checkDuration = 3;
  sv.checkDesc = "Layer7 wrong status, \"oops\"";  // a comma and quotes: CSV quoting, JSON escaping
  sv.weight = 1;
  sv.act = 1;
  sv.bck = 0;
  sv.chkfail = 2;
  sv.chkdown = 1;
  sv.lastchg = 5;
  sv.downtime = 0;
  sv.stot = 9;
  sv.addr = "127.0.0.1:8001";
  sv.responseTime.buckets[3] = 9;
  sv.responseTime.count = 9;
  Row be;
  be.type = RowType::kBackend;
  be.pxname = "app";
  be.svname = "BACKEND";
  be.iid = 2;
  be.status = "UP";
  be.algo = "roundrobin";
  snap.rows = {fe, sv, be};
  return snap;
}

TEST(StatsSchema, FieldNamesAreUniqueAndStartWithHaproxysKeys) {
  std::set<std::string_view> names;
  for (const Field& f : fields()) EXPECT_TRUE(names.insert(f.name).second) << f.name;
  ASSERT_GE(fields().size(), 100u);
  EXPECT_EQ(fields()[0].name, "pxname");
  EXPECT_EQ(fields()[17].name, "status");
  EXPECT_EQ(fields()[32].name, "type");
  EXPECT_EQ(fields()[39].name, "hrsp_1xx");
  EXPECT_EQ(fields()[73].name, "addr");
  EXPECT_EQ(fields()[87].name, "cache_hits");
}

TEST(StatsSchema, AFieldIsEmptyOnRowsItDoesNotApplyTo) {
  const Snapshot snap = sample();
  for (const Field& f : fields()) {
    if (f.name != "ereq") continue;  // frontends only
    EXPECT_FALSE(std::holds_alternative<std::monostate>(fieldValue(f, snap.rows[0])));
    EXPECT_TRUE(std::holds_alternative<std::monostate>(fieldValue(f, snap.rows[1])));
  }
}

TEST(StatsExports, EveryFieldWithAValueIsInEveryFormat) {
  const Snapshot snap = sample();
  const std::string csv = renderCsv(snap, {});
  const std::string json = renderJson(snap, {});
  const std::string html = renderHtml(snap, {false, 0, "/stats", "/metrics", ""});
  const std::string prom = renderPrometheus(snap);
  std::istringstream lines(csv);
  std::string header;
  std::getline(lines, header);
  size_t pos = 0;
  for (const Field& f : fields()) {
    const std::string column = std::string(f.name) + ",";
    pos = header.find(column, pos);
    ASSERT_NE(pos, std::string::npos) << f.name << " is missing from the CSV header, or out of order";
    bool hasValue = false;
    for (const Row& row : snap.rows) hasValue = hasValue || !std::holds_alternative<std::monostate>(fieldValue(f, row));
    if (!hasValue) continue;
    EXPECT_NE(json.find("\"name\":\"" + std::string(f.name) + "\""), std::string::npos) << f.name << " not in JSON";
    EXPECT_NE(html.find(">" + std::string(f.name) + "</dt>"), std::string::npos) << f.name << " not in the HTML";
    if (!f.prom.name.empty()) {
      bool inProm = false;
      for (std::string_view scope : {"frontend", "backend", "server"})
        inProm = inProm || prom.find("haproxy_" + std::string(scope) + "_" + std::string(f.prom.name) + "{") != std::string::npos;
      EXPECT_TRUE(inProm) << f.name << " not in Prometheus";
    }
  }
}

TEST(StatsExports, CsvQuotesCellsWithCommasAndEndsLinesWithAComma) {
  const std::string csv = renderCsv(sample(), {});
  EXPECT_NE(csv.find(",\"Layer7 wrong status, \"\"oops\"\"\","), std::string::npos);
  EXPECT_NE(csv.find("app,s1,"), std::string::npos);
  EXPECT_NE(csv.find(",UP 1/3,"), std::string::npos);
  std::istringstream lines(csv);
  std::string line;
  while (std::getline(lines, line)) EXPECT_EQ(line.back(), ',');
}

TEST(StatsExports, UpOnlyLeavesOutServersThatAreNotUp) {
  Snapshot snap = sample();
  snap.rows[1].status = "DOWN";
  EXPECT_EQ(renderCsv(snap, {true}).find("app,s1,"), std::string::npos);
  EXPECT_NE(renderCsv(snap, {true}).find("app,BACKEND,"), std::string::npos);
  EXPECT_NE(renderCsv(snap, {false}).find("app,s1,"), std::string::npos);
}

TEST(StatsExports, PrometheusGroupsAFamilyAndLabelsTheCodes) {
  const std::string prom = renderPrometheus(sample());
  const size_t type = prom.find("# TYPE haproxy_frontend_http_responses_total counter\n");
  ASSERT_NE(type, std::string::npos);
  EXPECT_EQ(prom.find("# TYPE haproxy_frontend_http_responses_total", type + 1), std::string::npos) << "one TYPE per family";
  EXPECT_NE(prom.find("haproxy_frontend_http_responses_total{proxy=\"web\",code=\"5xx\"} 5\n"), std::string::npos);
  EXPECT_NE(prom.find("haproxy_server_status{proxy=\"app\",server=\"s1\",state=\"UP\"} 1\n"), std::string::npos)
      << "UP 1/3 is still UP";
  EXPECT_NE(prom.find("haproxy_server_check_duration_seconds{proxy=\"app\",server=\"s1\"} 0.003\n"), std::string::npos);
  EXPECT_NE(prom.find("weir_server_response_time_seconds_count{proxy=\"app\",server=\"s1\"} 9\n"), std::string::npos);
}

TEST(StatsExports, HtmlEscapesAndMarksStates) {
  Snapshot snap = sample();
  snap.rows[1].svname = "<script>";
  const std::string html = renderHtml(snap, {false, 5, "/stats", "/metrics", ""});
  EXPECT_EQ(html.find("<script>"), std::string::npos);
  EXPECT_NE(html.find("&lt;script&gt;"), std::string::npos);
  EXPECT_NE(html.find("<meta http-equiv=\"refresh\" content=\"5\">"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"goingdown\">"), std::string::npos) << "UP 1/3";
  EXPECT_EQ(renderHtml(snap, {false, 0, "/stats", "/metrics", ""}).find("http-equiv=\"refresh\""), std::string::npos);
}

}  // namespace
}  // namespace weir::stats

// Issue 7, the stats listener with the real binary: counts that match the traffic sent, HTTP
// Basic auth and the allow list, HAProxy's CSV and typed JSON, `;up`, nginx's stub_status,
// Prometheus checked by promtool, and the dashboard rendered by headless Chromium.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/simple_config.h"
#include "support/stats_csv.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

const std::string kAuth = "Authorization: Basic YWRtaW46czNjcmV0";  // admin:s3cret

class StatsTest : public ::testing::Test {
 protected:
  FakeBackend a1_{"a1"};
  FakeBackend a2_{"a2"};
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    http_request:
      - deny if {{ path_beg /forbidden }}
    default_backend: app
backends:
  app:
    health_check: {{ http: GET /, interval: 200ms, rise: 1, fall: 1 }}
    servers:
      - {{ name: s1, address: "{}" }}
      - {{ name: s2, address: "{}" }}
      - {{ name: gone, address: "127.0.0.1:1" }}
stats:
  bind: "127.0.0.1:0"
  refresh: 5s
  auth: {{ user: admin, password: s3cret }}
)",
                                 a1_.address(), a2_.address())};

  std::uint16_t statsPort() const { return weir_.port("stats"); }
  HttpResponse stats(const std::string& target) { return httpGet(statsPort(), target, {kAuth}); }

  /// Waits until the CSV shows `server` of `app` with `status` (the checks run every 200 ms).
  bool waitForStatus(const std::string& server, const std::string& status) {
    return waitFor([&] { return parseStatsCsv(stats("/stats;csv").body)["app/" + server]["status"] == status; }, kDefaultTimeout);
  }
};

TEST_F(StatsTest, CountsMatchTheTrafficSent) {
  // The checks take the dead server out first, so no request is retried.
  ASSERT_TRUE(waitForStatus("gone", "DOWN"));
  uint64_t bodyBytes = 0;
  for (int i = 0; i < 100; ++i) {
    const HttpResponse r = httpGet(weir_.port("web"), "/page?size=100");
    ASSERT_EQ(r.status, 200);
    bodyBytes += r.body.size();
  }
  EXPECT_EQ(httpGet(weir_.port("web"), "/forbidden").status, 403);
  {
    TcpClient garbage(weir_.port("web"));
    ASSERT_TRUE(garbage.send("NOT HTTP\r\n\r\n"));
    EXPECT_EQ(garbage.readResponse().status, 400);
  }
  auto rows = parseStatsCsv(stats("/stats;csv").body);
  auto& fe = rows["web/FRONTEND"];
  EXPECT_EQ(fe["ereq"], "1");
  EXPECT_EQ(fe["req_tot"], "101");
  EXPECT_EQ(fe["stot"], "102") << "a connection per request, and the malformed one";
  EXPECT_EQ(fe["hrsp_2xx"], "100");
  EXPECT_EQ(fe["hrsp_4xx"], "2");
  EXPECT_EQ(fe["dreq"], "1");
  EXPECT_EQ(fe["status"], "OPEN");
  EXPECT_EQ(fe["type"], "0");
  EXPECT_GT(std::stoull(fe["bout"]), bodyBytes);
  EXPECT_GT(std::stoull(fe["bin"]), 100u * 20);
  auto& be = rows["app/BACKEND"];
  EXPECT_EQ(be["stot"], "100");
  EXPECT_EQ(be["hrsp_2xx"], "100");
  EXPECT_EQ(std::stoull(be["bout"]), std::stoull(rows["app/s1"]["bout"]) + std::stoull(rows["app/s2"]["bout"]));
  EXPECT_LT(std::stoull(be["bout"]), std::stoull(fe["bout"])) << "the 403 went out through the frontend only";
  EXPECT_EQ(be["status"], "UP");
  EXPECT_EQ(be["act"], "2");
  EXPECT_EQ(be["type"], "1");
  EXPECT_EQ(be["algo"], "roundrobin");
  EXPECT_EQ(std::stoull(rows["app/s1"]["stot"]) + std::stoull(rows["app/s2"]["stot"]), 100u);
  EXPECT_EQ(rows["app/s1"]["stot"], "50") << "round-robin over two servers";
  EXPECT_EQ(rows["app/s1"]["lbtot"], "50");
  EXPECT_EQ(rows["app/s1"]["status"], "UP");
  EXPECT_EQ(rows["app/s1"]["check_status"], "L7OK");
  EXPECT_EQ(rows["app/s1"]["check_code"], "200");
  EXPECT_EQ(rows["app/s1"]["type"], "2");
  EXPECT_EQ(rows["app/s1"]["addr"], a1_.address());
  EXPECT_EQ(rows["app/gone"]["status"], "DOWN");
  EXPECT_EQ(rows["app/gone"]["check_status"], "L4CON");
  EXPECT_EQ(rows["app/gone"]["stot"], "0");
  EXPECT_EQ(rows["app/gone"]["weight"], "0");
}

TEST_F(StatsTest, AuthAndAllow) {
  const HttpResponse anonymous = httpGet(statsPort(), "/stats");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.header("WWW-Authenticate"), "Basic realm=\"weir statistics\"");
  EXPECT_EQ(httpGet(statsPort(), "/stats", {"Authorization: Basic YWRtaW46d3Jvbmc="}).status, 401) << "admin:wrong";
  EXPECT_EQ(httpGet(statsPort(), "/stats", {"Authorization: Basic YWRtaW46czNjcmV0eA=="}).status, 401) << "a longer one";
  EXPECT_EQ(httpGet(statsPort(), "/stats", {"Authorization: Bearer YWRtaW46czNjcmV0"}).status, 401);
  EXPECT_EQ(httpGet(statsPort(), "/stats", {"Authorization: basic YWRtaW46czNjcmV0"}).status, 200) << "the scheme is case-insensitive";
  const HttpResponse page = stats("/stats");
  EXPECT_EQ(page.status, 200);
  EXPECT_EQ(page.header("X-Frame-Options"), "DENY") << "the admin forms must not be framed by another site";
  EXPECT_EQ(page.header("Content-Security-Policy"), "frame-ancestors 'none'");
  EXPECT_EQ(anonymous.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(stats("/elsewhere").status, 404);
  EXPECT_EQ(httpRequest(statsPort(), "DELETE", "/stats", {kAuth}).status, 405);

  FakeBackend backend{"b"};
  WeirInstance fenced(simpleConfig({backend.address()}) + "stats:\n  bind: \"127.0.0.1:0\"\n  allow: [10.0.0.0/8, \"::1\"]\n");
  EXPECT_EQ(httpGet(fenced.port("stats"), "/stats").status, 403) << "127.0.0.1 is not in the allow list";
}

TEST_F(StatsTest, CsvJsonUpAndStubStatus) {
  const HttpResponse csv = stats("/stats;csv");
  EXPECT_EQ(csv.status, 200);
  EXPECT_EQ(csv.header("Content-Type"), "text/csv; charset=utf-8");
  EXPECT_TRUE(csv.body.starts_with("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,"
                                   "wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,"
                                   "throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,"
                                   "check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,"));
  // Every line has as many cells as the header.
  std::istringstream lines(csv.body);
  std::string line;
  std::getline(lines, line);
  const size_t columns = static_cast<size_t>(std::count(line.begin(), line.end(), ','));
  while (std::getline(lines, line)) EXPECT_EQ(static_cast<size_t>(std::count(line.begin(), line.end(), ',')), columns) << line;

  ASSERT_TRUE(waitForStatus("gone", "DOWN"));
  const std::string up = stats("/stats;csv;up").body;
  EXPECT_EQ(up.find("app,gone,"), std::string::npos) << ";up leaves out servers that are not UP";
  EXPECT_NE(up.find("app,s1,"), std::string::npos);

  const HttpResponse json = stats("/stats;json");
  EXPECT_EQ(json.header("Content-Type"), "application/json");
  TempDir dir;
  const std::string path = dir.writeFile("stats.json", json.body).string();
  const CommandResult check = runCommand(
      {"python3", "-c",
       "import json,sys\n"
       "rows=json.load(open(sys.argv[1]))\n"
       "names={(f['field']['name'],f['value']['value']) for r in rows for f in r if f['field']['name'] in ('pxname','svname')}\n"
       "assert ('svname','BACKEND') in names and ('pxname','app') in names, names\n"
       "pos={f['field']['name']:f['field']['pos'] for r in rows for f in r}\n"
       "assert pos['pxname']==0 and pos['status']==17 and pos['hrsp_2xx']==40, pos\n"
       "types={f['value']['type'] for r in rows for f in r}\n"
       "assert types <= {'u64','s64','str'}, types\n",
       path});
  EXPECT_EQ(check.exitCode, 0) << check.err;

  const HttpResponse stub = stats("/stub_status");
  EXPECT_EQ(stub.status, 200);
  std::istringstream status(stub.body);
  std::string first, second, third, fourth;
  std::getline(status, first);
  std::getline(status, second);
  std::getline(status, third);
  std::getline(status, fourth);
  EXPECT_TRUE(first.starts_with("Active connections: ")) << stub.body;
  EXPECT_EQ(second, "server accepts handled requests");
  EXPECT_TRUE(fourth.starts_with("Reading: ") && fourth.find(" Writing: ") != std::string::npos &&
              fourth.find(" Waiting: ") != std::string::npos)
      << stub.body;
}

TEST_F(StatsTest, PrometheusPassesPromtool) {
  for (int i = 0; i < 20; ++i) httpGet(weir_.port("web"), "/page");
  const HttpResponse metrics = stats("/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_EQ(metrics.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(metrics.body.find("haproxy_frontend_http_requests_total{proxy=\"web\"} 20\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("haproxy_backend_http_responses_total{proxy=\"app\",code=\"2xx\"} 20\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("haproxy_server_status{proxy=\"app\",server=\"s1\",state=\"UP\"} 1\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("haproxy_backend_active_servers{proxy=\"app\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("haproxy_server_check_failures_total{proxy=\"app\",server=\"gone\"}"), std::string::npos);
  EXPECT_NE(metrics.body.find("weir_backend_response_time_seconds_bucket{proxy=\"app\",le=\"+Inf\"} 20\n"), std::string::npos);
  TempDir dir;
  const std::string path = dir.writeFile("metrics.txt", metrics.body).string();
  const CommandResult check = runCommand({"sh", "-c", "promtool check metrics < \"$0\"", path});
  EXPECT_EQ(check.exitCode, 0) << check.out << check.err;
}

TEST_F(StatsTest, ChromiumRendersTheDashboard) {
  for (int i = 0; i < 10; ++i) httpGet(weir_.port("web"), "/page");
  // Chromium cannot send a password from the command line: a listener without auth.
  WeirInstance open(fmt::format(R"(global: {{ threads: 1 }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app
backends:
  app:
    health_check: {{ http: GET /, interval: 200ms }}
    servers: [{{ name: s1, address: "{}" }}, {{ name: gone, address: "127.0.0.1:1" }}]
stats:
  bind: "127.0.0.1:0"
)",
                                a1_.address()));
  for (int i = 0; i < 10; ++i) httpGet(open.port("web"), "/page");
  TempDir dir;
  const std::string url = fmt::format("http://127.0.0.1:{}/stats", open.port("stats"));
  const std::string profile = (dir.path() / "profile").string();
  const std::vector<std::string> chromium = {"chromium", "--headless", "--no-sandbox", "--disable-gpu",
                                             "--user-data-dir=" + profile};
  std::vector<std::string> dump = chromium;
  dump.push_back("--dump-dom");
  dump.push_back(url);
  const CommandResult dom = runCommand(dump, std::chrono::seconds(60));
  ASSERT_EQ(dom.exitCode, 0) << dom.err;
  EXPECT_NE(dom.out.find("weir statistics"), std::string::npos);
  EXPECT_NE(dom.out.find("<th class=\"name\">FRONTEND"), std::string::npos);
  EXPECT_NE(dom.out.find("<th class=\"name\">BACKEND"), std::string::npos);
  EXPECT_NE(dom.out.find("<th class=\"name\">s1"), std::string::npos);
  EXPECT_NE(dom.out.find("Session rate"), std::string::npos);
  EXPECT_NE(dom.out.find("<tr class=\"up\">"), std::string::npos);
  std::vector<std::string> shot = chromium;
  const std::string png = (dir.path() / "stats.png").string();
  shot.push_back("--window-size=1600,900");
  shot.push_back("--screenshot=" + png);
  shot.push_back(url);
  const CommandResult screenshot = runCommand(shot, std::chrono::seconds(60));
  EXPECT_EQ(screenshot.exitCode, 0) << screenshot.err;
  EXPECT_GT(std::filesystem::file_size(png), 10'000u) << "a rendered page, not a blank one";
}

}  // namespace
}  // namespace weir::test

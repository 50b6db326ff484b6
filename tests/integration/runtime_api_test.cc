// Issue 7, the runtime API with the real binary: server state, weight and checks change the
// routing every worker does; the cache purge reaches every worker; counters clear; the page's
// forms need its CSRF token; nothing changes without `admin: true`; every change is logged.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <map>
#include <regex>
#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

const std::string kAuth = "Authorization: Basic YWRtaW46czNjcmV0";  // admin:s3cret
const std::string kJson = "Content-Type: application/json";

class RuntimeApiTest : public ::testing::Test {
 protected:
  FakeBackend s1_{"s1"};
  FakeBackend s2_{"s2"};
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    cache:
      - use: pages if {{ path_beg /c/ }}
    default_backend: app
caches:
  pages: {{ total_max_size: 1m, max_object_size: 64k, max_age: 1h }}
backends:
  app:
    health_check: {{ http: GET /, interval: 200ms, rise: 1, fall: 1 }}
    servers:
      - {{ name: s1, address: "{}" }}
      - {{ name: s2, address: "{}" }}
stats:
  bind: "127.0.0.1:0"
  auth: {{ user: admin, password: s3cret }}
  admin: true
)",
                                 s1_.address(), s2_.address())};

  HttpResponse post(const std::string& path, const std::string& json, std::vector<std::string> headers = {}) {
    headers.push_back(kAuth);
    headers.push_back(kJson);
    return httpRequest(weir_.port("stats"), "POST", "/stats/api" + path, headers, json);
  }

  /// Which servers answered `n` requests, by name.
  std::map<std::string, int> spread(int n) {
    std::map<std::string, int> seen;
    for (int i = 0; i < n; ++i) ++seen[httpGet(weir_.port("web"), "/x").header("X-Server")];
    return seen;
  }
};

TEST_F(RuntimeApiTest, DrainMaintAndReadyChangeTheRoutingOfEveryWorker) {
  EXPECT_EQ(spread(20), (std::map<std::string, int>{{"s1", 10}, {"s2", 10}}));
  HttpResponse r = post("/server/state", R"({"backend":"app","server":"s2","state":"drain"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"state\": \"drain\""), std::string::npos) << r.body;
  EXPECT_EQ(spread(20), (std::map<std::string, int>{{"s1", 20}}));
  EXPECT_TRUE(weir_.waitForLog("runtime API: server app/s2 set to drain"));
  EXPECT_EQ(post("/server/state", R"({"backend":"app","server":"s1","state":"maint"})").status, 200);
  EXPECT_EQ(httpGet(weir_.port("web"), "/x").status, 503) << "both out";
  const HttpResponse servers = httpGet(weir_.port("stats"), "/stats/api/servers", {kAuth});
  EXPECT_NE(servers.body.find("\"admin\": \"maint\""), std::string::npos) << servers.body;
  EXPECT_NE(httpGet(weir_.port("stats"), "/stats;csv", {kAuth}).body.find("app,s1,"), std::string::npos);
  EXPECT_EQ(post("/server/state", R"({"backend":"app","server":"s1","state":"ready"})").status, 200);
  EXPECT_EQ(post("/server/state", R"({"backend":"app","server":"s2","state":"ready"})").status, 200);
  EXPECT_EQ(spread(20), (std::map<std::string, int>{{"s1", 10}, {"s2", 10}}));
}

TEST_F(RuntimeApiTest, WeightsSteerTheBalancing) {
  EXPECT_EQ(post("/server/weight", R"({"backend":"app","server":"s1","weight":3})").status, 200);
  // Each worker keeps its own smooth round-robin, so the split of 40 is 3:1 give or take a cycle.
  std::map<std::string, int> seen = spread(40);
  EXPECT_GE(seen["s1"], 27) << seen["s1"] << "/" << seen["s2"];
  EXPECT_GE(seen["s2"], 7) << seen["s1"] << "/" << seen["s2"];
  EXPECT_EQ(post("/server/weight", R"({"backend":"app","server":"s1","weight":0})").status, 200);
  EXPECT_EQ(spread(10), (std::map<std::string, int>{{"s2", 10}}));
  EXPECT_EQ(post("/server/weight", R"({"backend":"app","server":"s1","weight":257})").status, 400);
  EXPECT_EQ(post("/server/weight", R"({"backend":"app","server":"nope","weight":1})").status, 404);
}

TEST_F(RuntimeApiTest, ChecksCanBeTurnedOffAndOn) {
  const auto csvStatus = [&] {
    const std::string csv = httpGet(weir_.port("stats"), "/stats;csv", {kAuth}).body;
    const size_t at = csv.find("app,s2,");
    return csv.substr(at, csv.find('\n', at) - at);
  };
  EXPECT_NE(csvStatus().find(",UP,"), std::string::npos);
  EXPECT_EQ(post("/server/checks", R"({"backend":"app","server":"s2","enabled":false})").status, 200);
  EXPECT_NE(csvStatus().find(",no check,"), std::string::npos) << csvStatus();
  s2_.stop();  // not checked: weir does not notice until requests fail
  EXPECT_EQ(post("/server/checks", R"({"backend":"app","server":"s2","enabled":true})").status, 200);
  EXPECT_TRUE(waitFor([&] { return csvStatus().find(",DOWN,") != std::string::npos; }, kDefaultTimeout)) << csvStatus();
  // Off again while DOWN (it counts as UP unchecked), then on: the checks find it dead anew.
  EXPECT_EQ(post("/server/checks", R"({"backend":"app","server":"s2","enabled":false})").status, 200);
  EXPECT_NE(csvStatus().find(",no check,"), std::string::npos) << csvStatus();
  EXPECT_EQ(post("/server/checks", R"({"backend":"app","server":"s2","enabled":true})").status, 200);
  EXPECT_TRUE(waitFor([&] { return csvStatus().find(",DOWN,") != std::string::npos; }, kDefaultTimeout)) << csvStatus();
}

TEST_F(RuntimeApiTest, PurgeReachesEveryWorkersCache) {
  // Each connection lands on either worker (SO_REUSEPORT): 20 of them leave it in both caches
  // but once in about 500,000 runs (6 missed one worker once in 32).
  for (int i = 0; i < 20; ++i) httpGet(weir_.port("web"), "/c/page");
  for (int i = 0; i < 20; ++i) httpGet(weir_.port("web"), "/c/other");
  EXPECT_EQ(httpGet(weir_.port("web"), "/c/page").header("Cache-Status"), "weir; hit");
  HttpResponse r = post("/cache/purge", R"({"cache":"pages","path":"/c/page"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"purged\": "), std::string::npos);
  EXPECT_EQ(r.body.find("\"purged\": 0"), std::string::npos) << r.body;
  // Whichever worker takes it, the URL is gone from its share.
  EXPECT_TRUE(httpGet(weir_.port("web"), "/c/page").header("Cache-Status").starts_with("weir; fwd=miss"));
  EXPECT_EQ(httpGet(weir_.port("web"), "/c/other").header("Cache-Status"), "weir; hit") << "another URL stays";
  r = post("/cache/purge", R"({"cache":"pages","path":"/c/","prefix":true})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(httpGet(weir_.port("web"), "/c/other").header("Cache-Status").starts_with("weir; fwd=miss"));
  EXPECT_EQ(post("/cache/purge", R"({"cache":"nope","path":"/"})").status, 404);
}

TEST_F(RuntimeApiTest, ARequestPipelinedAfterAPostIsAnsweredOnTheSameConnection) {
  TcpClient client(weir_.port("stats"));
  const std::string body = R"({"backend":"app","server":"s2","weight":2})";
  const std::string purge = R"({"cache":"pages","path":"/c/","prefix":true})";
  ASSERT_TRUE(client.send(fmt::format("POST /stats/api/server/weight HTTP/1.1\r\nHost: s\r\n{}\r\n{}\r\n"
                                      "Content-Length: {}\r\n\r\n{}"
                                      "POST /stats/api/cache/purge HTTP/1.1\r\nHost: s\r\n{}\r\n{}\r\n"
                                      "Content-Length: {}\r\n\r\n{}"
                                      "GET /stats/api/info HTTP/1.1\r\nHost: s\r\n{}\r\n\r\n",
                                      kAuth, kJson, body.size(), body, kAuth, kJson, purge.size(), purge, kAuth)));
  const HttpResponse first = client.readResponse();
  EXPECT_EQ(first.status, 200) << first.body;
  EXPECT_NE(first.body.find("\"weight\": 2"), std::string::npos);
  const HttpResponse second = client.readResponse();
  EXPECT_EQ(second.status, 200) << "the purge waited for every worker, then answered";
  EXPECT_NE(second.body.find("\"purged\""), std::string::npos);
  const HttpResponse third = client.readResponse();
  EXPECT_EQ(third.status, 200);
  EXPECT_NE(third.body.find("\"version\""), std::string::npos);
  EXPECT_EQ(httpRequest(weir_.port("stats"), "POST", "/stats/api/counters/clear", {kAuth, kJson, "Transfer-Encoding: chunked"},
                        "0\r\n\r\n")
                .status,
            413)
      << "a body needs a Content-Length";
}

TEST_F(RuntimeApiTest, CountersClear) {
  spread(10);
  const auto stot = [&] {
    const std::string csv = httpGet(weir_.port("stats"), "/stats;csv", {kAuth}).body;
    const size_t at = csv.find("app,BACKEND,");
    return csv.substr(at, csv.find('\n', at) - at);
  };
  EXPECT_NE(stot().find(",10,"), std::string::npos) << stot();
  EXPECT_EQ(post("/counters/clear", "").status, 200);
  EXPECT_TRUE(stot().starts_with("app,BACKEND,0,0,0,0,,0,")) << stot();
}

TEST_F(RuntimeApiTest, FormsNeedThePagesTokenAndForeignOriginsAreRefused) {
  const std::string page = httpGet(weir_.port("stats"), "/stats", {kAuth}).body;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page, m, std::regex(R"re(name="csrf" value="([0-9a-f]{32})")re"))) << "the page's forms carry a token";
  const std::string token = m[1].str();
  const std::string form = "Content-Type: application/x-www-form-urlencoded";
  const auto postForm = [&](const std::string& body, std::vector<std::string> headers = {}) {
    headers.push_back(kAuth);
    headers.push_back(form);
    return httpRequest(weir_.port("stats"), "POST", "/stats/api/server/state", headers, body);
  };
  EXPECT_EQ(postForm("backend=app&server=s2&state=drain").status, 403) << "no token";
  EXPECT_EQ(postForm("backend=app&server=s2&state=drain&csrf=00000000000000000000000000000000").status, 403);
  const HttpResponse ok = postForm("backend=app&server=s2&state=drain&csrf=" + token);
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.header("Location"), "/stats");
  EXPECT_EQ(spread(4), (std::map<std::string, int>{{"s1", 4}}));
  EXPECT_EQ(post("/server/state", R"({"backend":"app","server":"s2","state":"ready"})", {"Origin: http://evil.example"}).status,
            403);
  EXPECT_EQ(httpRequest(weir_.port("stats"), "POST", "/stats/api/server/state", {kAuth, "Content-Type: text/plain"},
                        R"({"backend":"app","server":"s2","state":"ready"})")
                .status,
            415);
  EXPECT_EQ(httpRequest(weir_.port("stats"), "POST", "/stats/api/server/state", {kJson},
                        R"({"backend":"app","server":"s2","state":"ready"})")
                .status,
            401) << "the API needs the password too";
  EXPECT_EQ(post("/server/state", "not json").status, 400);
}

class RuntimeApiServersTest : public ::testing::Test {
 protected:
  FakeBackend s1_{"s1"};
  FakeBackend s3_{"s3"};
  FakeBackend s4_{"s4"};
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app
backends:
  app:
    spare_servers: 1
    health_check: {{ http: GET /, interval: 100ms, rise: 1, fall: 1 }}
    servers:
      - {{ name: s1, address: "{}" }}
  fixed:
    servers:
      - {{ name: f1, address: "{}" }}
stats:
  bind: "127.0.0.1:0"
  auth: {{ user: admin, password: s3cret }}
  admin: true
)",
                                 s1_.address(), s1_.address())};

  HttpResponse post(const std::string& path, const std::string& json) {
    return httpRequest(weir_.port("stats"), "POST", "/stats/api" + path, {kAuth, kJson}, json);
  }
  std::map<std::string, int> spread(int n) {
    std::map<std::string, int> seen;
    for (int i = 0; i < n; ++i) ++seen[httpGet(weir_.port("web"), "/x").header("X-Server")];
    return seen;
  }
  std::string csv() { return httpGet(weir_.port("stats"), "/stats;csv", {kAuth}).body; }
  /// The CSV line of server `name` of app, or "".
  std::string row(const std::string& name) {
    const std::string all = csv();
    const size_t at = all.find("app," + name + ",");
    return at == std::string::npos ? "" : all.substr(at, all.find('\n', at) - at);
  }
};

TEST_F(RuntimeApiServersTest, AServerAddedAtRunTimeTakesTrafficAndLeavesWithoutAReload) {
  EXPECT_EQ(csv().find("app,,"), std::string::npos) << "an empty slot is not a row";
  HttpResponse r = post("/server/add", fmt::format(R"({{"backend":"app","server":"s3","address":"{}","weight":1}})", s3_.address()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(weir_.waitForLog("runtime API: server app/s3 added at " + s3_.address()));
  EXPECT_EQ(spread(20), (std::map<std::string, int>{{"s1", 10}, {"s3", 10}}));
  EXPECT_TRUE(waitFor([&] { return row("s3").find(",L7OK,") != std::string::npos; }, kDefaultTimeout))
      << "it is checked like the others: " << row("s3");

  EXPECT_EQ(post("/server/add", fmt::format(R"({{"backend":"app","server":"s3","address":"{}"}})", s3_.address())).status, 409)
      << "the name is taken";
  EXPECT_EQ(post("/server/add", fmt::format(R"({{"backend":"app","server":"s4","address":"{}"}})", s4_.address())).status, 409)
      << "no free slot left";
  EXPECT_EQ(post("/server/add", R"({"backend":"fixed","server":"x","address":"127.0.0.1:9"})").status, 409);
  EXPECT_EQ(post("/server/add", R"({"backend":"app","server":"x","address":"localhost:80"})").status, 400);
  EXPECT_EQ(post("/server/add", R"({"backend":"app","server":"bad name","address":"127.0.0.1:9"})").status, 400);

  EXPECT_EQ(post("/server/remove", R"({"backend":"app","server":"s3"})").status, 409) << "maint first";
  EXPECT_EQ(post("/server/state", R"({"backend":"app","server":"s3","state":"maint"})").status, 200);
  r = post("/server/remove", R"({"backend":"app","server":"s3"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(spread(10), (std::map<std::string, int>{{"s1", 10}}));
  EXPECT_EQ(row("s3"), "");

  // The freed slot takes the next one, with no history of the last.
  r = post("/server/add", fmt::format(R"({{"backend":"app","server":"s4","address":"{}"}})", s4_.address()));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(spread(20), (std::map<std::string, int>{{"s1", 10}, {"s4", 10}}));
  EXPECT_TRUE(row("s4").starts_with("app,s4,0,0,0,0,,10,")) << row("s4");
}

TEST(RuntimeApiReadOnly, ChangesNeedAdmin) {
  FakeBackend backend{"b"};
  WeirInstance weir(simpleConfig({backend.address()}) + "stats:\n  bind: \"127.0.0.1:0\"\n");
  EXPECT_EQ(httpRequest(weir.port("stats"), "POST", "/stats/api/server/state", {kJson},
                        R"({"backend":"be","server":"s1","state":"maint"})")
                .status,
            403);
  EXPECT_EQ(httpGet(weir.port("fe"), "/").status, 200);
  const HttpResponse info = httpGet(weir.port("stats"), "/stats/api/info");
  EXPECT_EQ(info.status, 200);
  EXPECT_NE(info.body.find("\"threads\": 1"), std::string::npos) << info.body;
}

}  // namespace
}  // namespace weir::test

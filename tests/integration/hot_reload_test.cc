// Issue 9 point 1, in-process reload with the real binary: SIGHUP (or POST /stats/api/reload)
// puts a new config in force while wrk keeps sending requests, 20 times, without one failed or
// reset request; a tunnel opened before still echoes afterwards; kept listeners keep their
// sockets, new ones open and removed ones close; servers in both configs keep their health,
// admin state, run-time weight and counters; a keep-alive connection's next request follows the
// new rules; an invalid file changes nothing and says why.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <regex>
#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/stats_csv.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kAuth = "Authorization: Basic YWRtaW46czNjcmV0";

/// Two frontends' worth of config: `web` on a port of its own, the stats listener, backend
/// `app` with `servers`, and `extra` (a YAML fragment: more frontends, rules) where it goes.
/// No access log: under wrk its lines fill the pipe to this test faster than a loaded machine
/// drains it, and a worker blocked writing its log stalls the reload's hand-over.
std::string config(const std::string& servers, const std::string& webExtra = "", const std::string& frontendsExtra = "",
                   const std::string& backendExtra = "", int maxconn = 4096) {
  return fmt::format(R"(global: {{ threads: 2, log: none, maxconn: {} }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app{}
{}backends:
  app:{}
    servers:
{}
  other:
    servers: [{{ name: o1, address: "127.0.0.1:9" }}]
stats: {{ bind: "127.0.0.1:0", admin: true, auth: {{ user: admin, password: s3cret }} }}
)",
                     maxconn, webExtra, frontendsExtra, backendExtra, servers);
}

std::string serverLine(const FakeBackend& b, const std::string& extra = "") {
  return fmt::format("      - {{ name: {}, address: \"{}\"{} }}\n", b.name(), b.address(), extra);
}

/// Puts `yaml` in force with SIGHUP; true once weir says so.
bool reload(WeirInstance& weir, const std::string& yaml) {
  weir.rewriteConfig(yaml);
  const size_t mark = weir.logSize();
  weir.signal(SIGHUP);
  return weir.waitForLog(" in force, ", kDefaultTimeout, mark).has_value();
}

std::map<std::string, std::string> serverRow(WeirInstance& weir, const std::string& name) {
  const auto rows = parseStatsCsv(httpGet(weir.port("stats"), "/stats;csv", {kAuth}).body);
  const auto it = rows.find("app/" + name);
  return it == rows.end() ? std::map<std::string, std::string>{} : it->second;
}

HttpResponse post(WeirInstance& weir, const std::string& path, const std::string& json) {
  return httpRequest(weir.port("stats"), "POST", "/stats/api" + path, {kAuth, "Content-Type: application/json"}, json);
}

TEST(HotReload, TwentyReloadsUnderLoadFailNoRequestAndATunnelLivesOn) {
  FakeBackend s1("s1"), s2("s2");
  const std::string before = config(serverLine(s1) + serverLine(s2));
  const std::string after = config(serverLine(s1, ", weight: 3") + serverLine(s2),
                                   "\n    http_request:\n      - return status 200 string ok if { path /health }");
  WeirInstance weir(before);
  const std::uint16_t port = weir.port("web");

  TcpClient tunnel(port);
  ASSERT_TRUE(tunnel.send("GET /ws?upgrade=1 HTTP/1.1\r\nHost: weir.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                          "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"));
  ASSERT_EQ(tunnel.readResponse().status, 101);

  // Bounded: 20 reloads take well under the 8 s wrk runs; wrk stops on its own.
  Process wrk({"wrk", "-t", "2", "-c", "20", "-d", "8s", fmt::format("http://127.0.0.1:{}/load", port)});
  ASSERT_TRUE(waitFor([&] { return s1.countTarget("/load") + s2.countTarget("/load") > 100; }, kDefaultTimeout))
      << "load is flowing before the first reload";
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(reload(weir, i % 2 == 0 ? after : before)) << "reload " << i << "\n" << weir.log();
  ASSERT_EQ(wrk.waitExit(20s), std::optional<int>(0)) << wrk.stderrText();
  const std::string report = wrk.stdoutText();
  EXPECT_EQ(report.find("Socket errors"), std::string::npos) << report;
  EXPECT_EQ(report.find("Non-2xx"), std::string::npos) << report;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(report, m, std::regex(R"(([0-9]+) requests in)"))) << report;
  EXPECT_GT(std::stoul(m[1].str()), 1000u) << report;

  ASSERT_TRUE(tunnel.send("still there?"));
  std::string echoed;
  while (echoed.size() < 12) {
    const std::string more = tunnel.readSome(kDefaultTimeout);
    if (more.empty()) break;
    echoed += more;
  }
  EXPECT_EQ(echoed, "still there?") << "the tunnel opened before the reloads still works";
  EXPECT_EQ(weir.port("web"), port);
}

TEST(HotReload, ServersInBothConfigsKeepTheirStateAndCounters) {
  FakeBackend s1("s1"), s2("s2"), s3("s3", {.routes = {"/health=status=503"}}), added("added");
  const std::string checks = "\n    spare_servers: 2\n    health_check: { http: GET /health, interval: 100ms, rise: 1, fall: 1 }";
  WeirInstance weir(config(serverLine(s1) + serverLine(s2) + serverLine(s3), "", "", checks));
  ASSERT_TRUE(waitFor([&] { return serverRow(weir, "s3")["status"].starts_with("DOWN"); }, kDefaultTimeout));
  for (int i = 0; i < 6; ++i) ASSERT_EQ(httpGet(weir.port("web"), "/").status, 200);
  EXPECT_EQ(post(weir, "/server/state", R"({"backend":"app","server":"s2","state":"drain"})").status, 200);
  EXPECT_EQ(post(weir, "/server/weight", R"({"backend":"app","server":"s1","weight":"7"})").status, 200);
  EXPECT_EQ(post(weir, "/server/add", R"({"backend":"app","server":"added","address":")" + added.address() + R"("})").status, 200);
  const std::string servedBefore = serverRow(weir, "s1")["stot"];
  ASSERT_NE(servedBefore, "0");

  FakeBackend s4("s4");
  // init_state: down would hold a new server back; s3 keeps its DOWN, and s1 its UP.
  ASSERT_TRUE(reload(weir, config(serverLine(s1) + serverLine(s2) + serverLine(s3) + serverLine(s4), "", "",
                                  "\n    spare_servers: 2\n    health_check: { http: GET /health, interval: 100ms, rise: 1, fall: 1, init_state: down }")))
      << weir.log();
  EXPECT_EQ(serverRow(weir, "s1")["stot"], servedBefore) << "counters carried over";
  EXPECT_EQ(serverRow(weir, "s1")["weight"], "7") << "the weight set at run time stays";
  EXPECT_EQ(serverRow(weir, "s2")["status"], "DRAIN") << "the admin state stays";
  EXPECT_TRUE(serverRow(weir, "s3")["status"].starts_with("DOWN")) << "health stays";
  EXPECT_TRUE(serverRow(weir, "s1")["status"].starts_with("UP"));
  EXPECT_FALSE(serverRow(weir, "s4").empty()) << "the new server is there";
  EXPECT_EQ(serverRow(weir, "added")["addr"], added.address()) << "a server added at run time stays";
  for (int i = 0; i < 6; ++i) {
    const HttpResponse r = httpGet(weir.port("web"), "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("X-Server"), "s2") << "drained";
    EXPECT_NE(r.header("X-Server"), "s3") << "down";
  }
}

TEST(HotReload, AKeepAliveConnectionsNextRequestFollowsTheNewRules) {
  FakeBackend s1("s1");
  WeirInstance weir(config(serverLine(s1)));
  TcpClient client(weir.port("web"));
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  EXPECT_EQ(client.readResponse().header("X-Server"), "s1");
  ASSERT_TRUE(reload(weir, config(serverLine(s1), "\n    http_request:\n      - return status 200 string reloaded if { path /health }")));
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  const HttpResponse r = client.readResponse();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "reloaded") << "the same connection, the new rules";
}

TEST(HotReload, AMaxconnRaisedByAReloadLetsWaitingConnectionsIn) {
  FakeBackend s1("s1");
  WeirInstance weir(config(serverLine(s1), "", "", "", 2));
  TcpClient first(weir.port("web")), second(weir.port("web"));
  for (TcpClient* c : {&first, &second}) {
    ASSERT_TRUE(c->send("GET / HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
    ASSERT_EQ(c->readResponse().status, 200);  // and now idle, holding its place
  }
  TcpClient third(weir.port("web"));
  ASSERT_TRUE(third.send("GET /third HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  EXPECT_EQ(third.readSome(300ms), "") << "at maxconn the third waits in the backlog";
  ASSERT_TRUE(reload(weir, config(serverLine(s1), "", "", "", 10)));
  EXPECT_EQ(third.readResponse().status, 200) << "the new maxconn lets it in";
}

TEST(HotReload, AWaiterUnderTheNewConfigGetsTheSlotARequestUnderTheOldOneFrees) {
  // The two configs share the server's slots but not their queues: the old request's release
  // finds its own queue empty, and the waiter has to find the slot itself.
  FakeBackend s1("s1", {.routes = {"/hold=delay=4000"}});
  const std::string yaml = config(serverLine(s1, ", maxconn: 1"), "", "", "\n    timeout: { queue: 10s }");
  WeirInstance weir(yaml);
  TcpClient holder(weir.port("web"));
  ASSERT_TRUE(holder.send("GET /hold HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  ASSERT_TRUE(s1.waitForRecords(1));
  ASSERT_TRUE(reload(weir, yaml));
  TcpClient waiter(weir.port("web"));
  ASSERT_TRUE(waiter.send("GET /waiter HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  EXPECT_TRUE(waitFor([&] { return serverRow(weir, "BACKEND")["qcur"] == "1"; }, kDefaultTimeout))
      << "the waiter queues behind the old config's request";
  EXPECT_EQ(holder.readResponse(10s).status, 200);
  const HttpResponse r = waiter.readResponse(4s);
  EXPECT_EQ(r.status, 200) << "served long before timeout.queue: " << r.describe();
}

TEST(HotReload, ListenersKeptAddedAndRemoved) {
  FakeBackend s1("s1");
  WeirInstance weir(config(serverLine(s1)));
  const std::uint16_t web = weir.port("web");
  const std::string extra = "  extra:\n    bind: [\"127.0.0.1:0\"]\n    default_backend: app\n";
  const size_t mark = weir.logSize();
  ASSERT_TRUE(reload(weir, config(serverLine(s1), "", extra)));
  const std::optional<std::string> line = weir.waitForLog("listening frontend=extra address=127.0.0.1:", kDefaultTimeout, mark);
  ASSERT_TRUE(line) << weir.log();
  const auto extraPort = static_cast<std::uint16_t>(std::stoul(line->substr(line->rfind(':') + 1)));
  EXPECT_EQ(httpGet(extraPort, "/").status, 200) << "the new listener answers";
  EXPECT_EQ(httpGet(web, "/").status, 200) << "the kept one still does, on its port";

  ASSERT_TRUE(reload(weir, config(serverLine(s1))));
  EXPECT_TRUE(waitFor([&] { return !TcpClient(extraPort, 200ms).isConnected(); }, kDefaultTimeout))
      << "the removed listener is closed";
  EXPECT_EQ(httpGet(web, "/").status, 200);
}

TEST(HotReload, AnInvalidConfigChangesNothingAndSaysWhy) {
  FakeBackend s1("s1");
  const std::string good = config(serverLine(s1));
  WeirInstance weir(good);
  weir.rewriteConfig(good + "bogus: 1\n");
  const size_t mark = weir.logSize();
  weir.signal(SIGHUP);
  ASSERT_TRUE(weir.waitForLog("the running config stays", kDefaultTimeout, mark)) << weir.log();
  EXPECT_NE(weir.log().find("bogus: unknown key", mark), std::string::npos) << weir.log();
  EXPECT_EQ(httpGet(weir.port("web"), "/").status, 200);

  const HttpResponse refused = post(weir, "/reload", "{}");
  EXPECT_EQ(refused.status, 422);
  EXPECT_NE(refused.body.find("bogus: unknown key"), std::string::npos) << refused.body;

  weir.rewriteConfig(config(serverLine(s1), "\n    http_request:\n      - return status 200 string api if { path /x }"));
  const size_t mark2 = weir.logSize();
  const HttpResponse accepted = post(weir, "/reload", "{}");
  EXPECT_EQ(accepted.status, 202) << accepted.body;
  EXPECT_NE(accepted.body.find("http_request"), std::string::npos) << "the reply lists the changes: " << accepted.body;
  ASSERT_TRUE(weir.waitForLog(" in force, ", kDefaultTimeout, mark2)) << weir.log();
  EXPECT_EQ(httpGet(weir.port("web"), "/x").body, "api");
}

}  // namespace
}  // namespace weir::test

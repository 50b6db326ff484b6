// Issue 4 end to end: active health checks against fake backends whose /health is switched at
// run time (200, 503, slow, refused), the rise/fall hysteresis, transitions logged with their
// reason, no traffic to a server once it is seen down, backups and the all-down 503.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// Checks every 100 ms; a verdict within fall × interval + timeout, plus a margin for a slow
/// machine.
constexpr auto kDetect = 3 * 100ms + 100ms + 1500ms;

std::string checked(std::string_view extra = "") {
  return "health_check: { http: GET /health, interval: 100ms, timeout: 100ms, rise: 2, fall: 3" +
         std::string(extra.empty() ? "" : ", ") + std::string(extra) + " }";
}

/// X-Server of `count` requests to `target` + i.
std::map<std::string, int> spread(WeirInstance& weir, const std::string& target, int count) {
  std::map<std::string, int> seen;
  for (int i = 0; i < count; ++i) {
    const HttpResponse r = httpGet(weir.port(), target + std::to_string(i));
    seen[r.status == 200 ? r.header("X-Server") : std::to_string(r.status)]++;
  }
  return seen;
}

TEST(HealthCheck, TakesOutAServerWhoseCheckFailsAndSendsItNothingMore) {
  FakeBackend a("a");
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked()));
  EXPECT_EQ(spread(weir, "/before-", 4)["a"], 2);

  a.setRoute("/health", "status=503");
  const auto line = weir.waitForLog("server be/s1 is DOWN", kDetect);
  ASSERT_TRUE(line.has_value()) << weir.log();
  EXPECT_NE(line->find("reason: Layer7 wrong status, code: 503"), std::string::npos) << *line;
  EXPECT_NE(line->find("check duration: "), std::string::npos) << *line;
  EXPECT_NE(line->find("1 active and 0 backup servers left"), std::string::npos) << *line;

  EXPECT_EQ(spread(weir, "/after-", 20)["b"], 20);
  EXPECT_EQ(a.countTarget("/after-"), 0u);
}

TEST(HealthCheck, BringsItBackAfterRiseGoodChecks) {
  FakeBackend a("a");
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked()));
  a.setRoute("/health", "status=503");
  ASSERT_TRUE(weir.waitForLog("server be/s1 is DOWN", kDetect));
  const size_t checksBefore = a.countTarget("/health");

  a.setRoute("/health", "");
  const auto up = weir.waitForLog("server be/s1 is UP", kDetect);
  ASSERT_TRUE(up.has_value()) << weir.log();
  EXPECT_NE(up->find("reason: Layer7 check passed, code: 200"), std::string::npos) << *up;
  EXPECT_GE(a.countTarget("/health") - checksBefore, 2u) << "rise: 2 good checks";
  EXPECT_GE(spread(weir, "/back-", 6)["a"], 2);
}

TEST(HealthCheck, OneFailedCheckDoesNotTakeAServerOut) {
  FakeBackend a("a");
  WeirInstance weir(simpleConfig({a.address()}, checked()));
  ASSERT_TRUE(a.waitForRecords(1));  // checks are running

  a.setRoute("/health", "status=500");
  // Two more checks: the second surely saw the 500 (the first may have begun before the switch).
  const size_t before = a.countTarget("/health");
  ASSERT_TRUE(waitFor([&] { return a.countTarget("/health") >= before + 2; }, 2s));
  a.setRoute("/health", "");
  // Three more checks: fall 3 needed three failures in a row.
  const size_t after = a.countTarget("/health");
  ASSERT_TRUE(waitFor([&] { return a.countTarget("/health") >= after + 3; }, 2s));
  EXPECT_EQ(weir.log().find("is DOWN"), std::string::npos) << weir.log();
  EXPECT_EQ(httpGet(weir.port(), "/").status, 200);
}

TEST(HealthCheck, ASlowCheckIsAFailure) {
  FakeBackend a("a");
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked()));
  a.setRoute("/health", "delay=1000");
  const auto line = weir.waitForLog("server be/s1 is DOWN", kDetect);
  ASSERT_TRUE(line.has_value()) << weir.log();
  EXPECT_NE(line->find("reason: Layer7 timeout"), std::string::npos) << *line;
}

TEST(HealthCheck, ARefusedConnectionIsAFailureAndAServerBackUpIsSeen) {
  FakeBackend a("a");
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked()));
  a.stop();
  const auto down = weir.waitForLog("server be/s1 is DOWN", kDetect);
  ASSERT_TRUE(down.has_value()) << weir.log();
  EXPECT_NE(down->find("reason: Layer4 connection problem"), std::string::npos) << *down;
  a.start();
  ASSERT_TRUE(weir.waitForLog("server be/s1 is UP", kDetect)) << weir.log();
}

TEST(HealthCheck, AllServersDownGetsA503NamingTheBackend) {
  FakeBackend a("a", {.routes = {"/health=status=503"}});
  WeirInstance weir(simpleConfig({a.address()}, checked()));
  ASSERT_TRUE(weir.waitForLog("server be/s1 is DOWN", kDetect));

  const HttpResponse r = httpGet(weir.port(), "/x");
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("backend 'be'"), std::string::npos) << r.body;
  EXPECT_EQ(a.countTarget("/x"), 0u);
}

TEST(HealthCheck, BackupTakesOverAndHandsBack) {
  FakeBackend a("a");
  FakeBackend spare("spare");
  WeirInstance weir(simpleConfigWithServers({{a.address(), ""}, {spare.address(), "backup: true"}}, checked()));
  EXPECT_EQ(spread(weir, "/one-", 3)["a"], 3);

  a.setRoute("/health", "status=503");
  ASSERT_TRUE(weir.waitForLog("server be/s1 is DOWN", kDetect));
  EXPECT_EQ(spread(weir, "/two-", 3)["spare"], 3);

  a.setRoute("/health", "");
  ASSERT_TRUE(weir.waitForLog("server be/s1 is UP", kDetect));
  EXPECT_EQ(spread(weir, "/three-", 3)["a"], 3);
}

TEST(HealthCheck, InitStateDownSendsNothingUntilTheServerRises) {
  FakeBackend a("a", {.routes = {"/health=status=503"}});
  WeirInstance weir(simpleConfig({a.address()}, checked("init_state: down")));

  EXPECT_EQ(httpGet(weir.port(), "/early").status, 503);
  EXPECT_EQ(a.countTarget("/early"), 0u);
  a.setRoute("/health", "");
  ASSERT_TRUE(weir.waitForLog("server be/s1 is UP", kDetect)) << weir.log();
  EXPECT_EQ(httpGet(weir.port(), "/late").status, 200);
}

TEST(HealthCheck, ExpectStringLooksInTheBody) {
  FakeBackend a("a");  // the default body is "a\n"
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked("expect: string b")));
  const auto line = weir.waitForLog("server be/s1 is DOWN", kDetect);
  ASSERT_TRUE(line.has_value()) << weir.log();
  EXPECT_NE(line->find("Layer7 wrong response"), std::string::npos) << *line;
  EXPECT_EQ(weir.log().find("server be/s2 is DOWN"), std::string::npos) << weir.log();
}

TEST(HealthCheck, TcpCheckAndCheckPort) {
  FakeBackend a("a");
  FakeBackend b("b");
  FakeBackend monitor("monitor");
  // s1's checks go to the monitor's port; s2 has only a connect check, on its own port.
  const std::string monitorPort = std::to_string(monitor.port());
  WeirInstance weir(simpleConfig({a.address(), b.address()}, checked("port: " + monitorPort)));
  monitor.setRoute("/health", "status=503");
  ASSERT_TRUE(weir.waitForLog("server be/s1 is DOWN", kDetect)) << weir.log();
  EXPECT_EQ(a.countTarget("/health"), 0u) << "the checks went to the monitor's port";

  FakeBackend c("c");
  WeirInstance tcp(simpleConfig({c.address(), "127.0.0.1:1"}, "health_check: { tcp: true, interval: 100ms, rise: 1, fall: 1 }"));
  const auto down = tcp.waitForLog("server be/s2 is DOWN", kDetect);
  ASSERT_TRUE(down.has_value()) << tcp.log();
  EXPECT_NE(down->find("Layer4 connection problem"), std::string::npos) << *down;
  EXPECT_EQ(c.countTarget("/"), 0u) << "a tcp check sends no request";
  EXPECT_EQ(tcp.log().find("server be/s1 is DOWN"), std::string::npos);
}

}  // namespace
}  // namespace weir::test

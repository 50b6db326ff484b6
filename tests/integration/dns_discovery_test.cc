// Issue 9 point 5, DNS service discovery with the real binary and a real name server (dnsmasq
// on 127.0.0.1, its answer changed during the test): each address of the answer becomes a
// server, servers appear and disappear as the answer changes, one that leaves finishes its
// requests first, an NXDOMAIN empties the backend, and the runtime API keeps its hands off
// discovered servers.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/dns_server.h"
#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/stats_csv.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// Servers told apart by their loopback address, all on the same port: the port DNS cannot say.
std::vector<FakeBackend> backendsOnOnePort(const std::vector<std::string>& hosts) {
  std::vector<FakeBackend> backends;
  for (const std::string& host : hosts) {
    FakeBackendOptions options;
    options.host = host;
    options.port = backends.empty() ? 0 : backends.front().port();
    backends.emplace_back("at-" + host, options);
  }
  return backends;
}

std::string config(const DnsServer& dns, const std::string& server, const std::string& backendExtra = "") {
  return fmt::format(R"(global: {{ threads: 2, log: stdout, resolvers: ["{}"] }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app
backends:
  app:{}
    servers:
      - {}
stats: {{ bind: "127.0.0.1:0", admin: true, auth: {{ user: admin, password: s3cret }} }}
)",
                     dns.address(), backendExtra, server);
}

/// Which servers answered `n` requests (or the status, when one failed). Each worker balances
/// on its own, so how many each server got is not fixed; who answered is.
std::set<std::string> serversOf(std::uint16_t port, int n) {
  std::set<std::string> seen;
  for (int i = 0; i < n; ++i) {
    const HttpResponse r = httpGet(port, "/");
    seen.insert(r.status == 200 ? r.header("X-Server") : std::to_string(r.status));
  }
  return seen;
}

/// svname -> address of the backend's servers in the stats CSV.
std::map<std::string, std::string> serverAddresses(WeirInstance& weir) {
  std::map<std::string, std::string> addresses;
  const HttpResponse csv = httpGet(weir.port("stats"), "/stats;csv", {"Authorization: Basic YWRtaW46czNjcmV0"});
  for (const auto& [key, row] : parseStatsCsv(csv.body))
    if (row.at("svname") != "BACKEND" && row.at("svname") != "FRONTEND") addresses[row.at("svname")] = row.at("addr");
  return addresses;
}

class DnsDiscoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!DnsServer::available()) GTEST_SKIP() << "dnsmasq (dnsmasq-base) is not installed";
  }
};

TEST_F(DnsDiscoveryTest, EachAddressOfTheAnswerIsAServerAndFollowsTheAnswer) {
  std::vector<FakeBackend> backends = backendsOnOnePort({"127.0.0.11", "127.0.0.12", "127.0.0.13"});
  const std::string port = std::to_string(backends[0].port());
  DnsServer dns({"127.0.0.11 app.weir.test", "127.0.0.12 app.weir.test"});
  WeirInstance weir(config(dns, "{ template: { prefix: app, count: 3, address: \"app.weir.test:" + port +
                                    "\" }, resolve_interval: 100ms }"));
  ASSERT_TRUE(weir.waitForLog("dns: server app/app2 added at 127.0.0.12:" + port)) << weir.log();
  EXPECT_EQ(serverAddresses(weir), (std::map<std::string, std::string>{{"app1", "127.0.0.11:" + port},
                                                                       {"app2", "127.0.0.12:" + port}}));
  EXPECT_EQ(serversOf(weir.port("web"), 12), (std::set<std::string>{"at-127.0.0.11", "at-127.0.0.12"}));

  // Scaled: .11 goes, .13 comes.
  std::size_t from = weir.logSize();
  dns.setHosts({"127.0.0.12 app.weir.test", "127.0.0.13 app.weir.test"});
  ASSERT_TRUE(weir.waitForLog("dns: server app/app3 added at 127.0.0.13:" + port, kDefaultTimeout, from)) << weir.log();
  ASSERT_TRUE(weir.waitForLog("dns: server app/app1 removed", kDefaultTimeout, from)) << weir.log();
  EXPECT_EQ(serverAddresses(weir), (std::map<std::string, std::string>{{"app2", "127.0.0.12:" + port},
                                                                       {"app3", "127.0.0.13:" + port}}));
  EXPECT_EQ(serversOf(weir.port("web"), 12), (std::set<std::string>{"at-127.0.0.12", "at-127.0.0.13"}));

  // The runtime API neither removes a discovered server nor takes a discovered name.
  const auto post = [&](const std::string& path, const std::string& body) {
    return httpRequest(weir.port("stats"), "POST", path,
                       {"Authorization: Basic YWRtaW46czNjcmV0", "Content-Type: application/json"}, body)
        .status;
  };
  EXPECT_EQ(post("/stats/api/server/remove", R"({"backend":"app","server":"app2"})"), 409);
  EXPECT_EQ(post("/stats/api/server/add", R"({"backend":"app","server":"app1","address":"127.0.0.1:1"})"), 409);

  // NXDOMAIN: the name is gone, and so are its servers.
  from = weir.logSize();
  dns.setHosts({});
  ASSERT_TRUE(weir.waitForLog("dns: server app/app3 removed", kDefaultTimeout, from)) << weir.log();
  EXPECT_TRUE(serverAddresses(weir).empty());
  EXPECT_EQ(httpGet(weir.port("web"), "/").status, 503);

  // Back again: a free slot takes it.
  from = weir.logSize();
  dns.setHosts({"127.0.0.11 app.weir.test"});
  ASSERT_TRUE(weir.waitForLog("added at 127.0.0.11:" + port, kDefaultTimeout, from)) << weir.log();
  EXPECT_EQ(httpGet(weir.port("web"), "/").header("X-Server"), "at-127.0.0.11");
}

TEST_F(DnsDiscoveryTest, AServerThatLeavesTheAnswerFinishesItsRequestsFirst) {
  std::vector<FakeBackend> backends = backendsOnOnePort({"127.0.0.11", "127.0.0.12"});
  const std::string port = std::to_string(backends[0].port());
  DnsServer dns({"127.0.0.11 app.weir.test"});
  WeirInstance weir(config(dns, "{ name: web, address: \"app.weir.test:" + port +
                                    "\", resolve: true, resolve_interval: 100ms }"));
  ASSERT_TRUE(weir.waitForLog("dns: server app/web added at 127.0.0.11:" + port)) << weir.log();

  TcpClient slow(weir.port("web"));
  ASSERT_TRUE(slow.send("GET /slow?delay=1500 HTTP/1.1\r\nHost: weir.test\r\n\r\n"));
  ASSERT_TRUE(backends[0].waitForRecords(1));
  const std::size_t from = weir.logSize();
  dns.setHosts({"127.0.0.12 app.weir.test"});
  ASSERT_TRUE(weir.waitForLog("dns: server app/web at 127.0.0.11:" + port + " left the answer: draining",
                              kDefaultTimeout, from))
      << weir.log();
  ASSERT_TRUE(weir.waitForLog("dns: server app/web-2 added at 127.0.0.12:" + port, kDefaultTimeout, from));
  EXPECT_EQ(httpGet(weir.port("web"), "/").header("X-Server"), "at-127.0.0.12") << "new requests go to the new server";
  EXPECT_EQ(weir.log().find("dns: server app/web removed", from), std::string::npos)
      << "not while its request is in flight";

  const HttpResponse r = slow.readResponse();
  EXPECT_EQ(r.status, 200) << "the request in flight finished on the server that left";
  EXPECT_EQ(r.header("X-Server"), "at-127.0.0.11");
  EXPECT_TRUE(weir.waitForLog("dns: server app/web removed", kDefaultTimeout, from)) << weir.log();
  EXPECT_EQ(serverAddresses(weir), (std::map<std::string, std::string>{{"web-2", "127.0.0.12:" + port}}));
}

TEST_F(DnsDiscoveryTest, AReloadKeepsTheDiscoveredServers) {
  std::vector<FakeBackend> backends = backendsOnOnePort({"127.0.0.11", "127.0.0.12"});
  const std::string port = std::to_string(backends[0].port());
  DnsServer dns({"127.0.0.11 app.weir.test", "127.0.0.12 app.weir.test"});
  const std::string server = "{ template: { prefix: app, count: 3, address: \"app.weir.test:" + port + "\" } }";
  WeirInstance weir(config(dns, server));
  ASSERT_TRUE(weir.waitForLog("dns: server app/app2 added")) << weir.log();
  const size_t mark = weir.logSize();
  weir.rewriteConfig(config(dns, server, "\n    retries: 2"));
  weir.signal(SIGHUP);
  ASSERT_TRUE(weir.waitForLog(" in force, ", kDefaultTimeout, mark)) << weir.log();
  EXPECT_EQ(serverAddresses(weir), (std::map<std::string, std::string>{{"app1", "127.0.0.11:" + port},
                                                                       {"app2", "127.0.0.12:" + port}}))
      << "no gap while the new config asks DNS again";
  EXPECT_EQ(serversOf(weir.port("web"), 12), (std::set<std::string>{"at-127.0.0.11", "at-127.0.0.12"}));
  EXPECT_EQ(weir.log().find("added", mark), std::string::npos) << "the same servers, not new ones";
}

TEST_F(DnsDiscoveryTest, DiscoveredServersAreHealthChecked) {
  // .12 fails its checks: it is found, then taken out by them.
  std::vector<FakeBackend> backends = backendsOnOnePort({"127.0.0.11"});
  FakeBackendOptions failing;
  failing.host = "127.0.0.12";
  failing.port = backends[0].port();
  failing.routes = {"/health=status=503"};
  backends.emplace_back("at-127.0.0.12", failing);
  const std::string port = std::to_string(backends[0].port());
  DnsServer dns({"127.0.0.11 app.weir.test", "127.0.0.12 app.weir.test"});
  WeirInstance weir(config(dns, "{ template: { prefix: app, count: 2, address: \"app.weir.test:" + port + "\" } }",
                           "\n    health_check: { http: GET /health, interval: 100ms, rise: 1, fall: 1 }"));
  ASSERT_TRUE(weir.waitForLog("dns: server app/app2 added at 127.0.0.12:" + port)) << weir.log();
  ASSERT_TRUE(waitFor([&] { return backends[1].countTarget("/health") > 0 && backends[0].countTarget("/health") > 0; },
                      kDefaultTimeout))
      << "both discovered servers are checked";
  ASSERT_TRUE(waitFor(
      [&] {
        const HttpResponse csv = httpGet(weir.port("stats"), "/stats;csv", {"Authorization: Basic YWRtaW46czNjcmV0"});
        const auto rows = parseStatsCsv(csv.body);
        return rows.count("app/app2") > 0 && rows.at("app/app2").at("status").starts_with("DOWN");
      },
      kDefaultTimeout));
  EXPECT_EQ(serversOf(weir.port("web"), 8), (std::set<std::string>{"at-127.0.0.11"}));
}

}  // namespace
}  // namespace weir::test

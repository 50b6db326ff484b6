// Issue 3, point 4 end to end: server maxconn holds across workers, requests beyond it wait in
// the backend's queue for a slot, the queue gives up after timeout.queue (503 sQ) and turns
// requests away beyond maxqueue (503 PQ).

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <thread>
#include <string>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/access_log_line.h"
#include "support/httplog_line.h"
#include "support/simple_config.h"
#include "support/stats_csv.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// Sends GET `target` on a connection of its own and returns the client, response not read.
TcpClient sendGet(std::uint16_t port, const std::string& target) {
  TcpClient client(port);
  EXPECT_TRUE(client.isConnected()) << client.error();
  EXPECT_TRUE(client.send(formatRequest("GET", target, port)));
  return client;
}


TEST(ServerQueue, RequestsBeyondMaxconnWaitAndAreServedOneAtATimeAcrossWorkers) {
  FakeBackend backend("one", {.routes = {"/slow=delay=200"}});
  std::string yaml = simpleConfigWithServers(std::vector<ServerLine>{{backend.address(), "maxconn: 1"}}, "keepalive: 8");
  yaml.replace(yaml.find("threads: 1"), 10, "threads: 2");
  WeirInstance weir(yaml);

  std::vector<TcpClient> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(sendGet(weir.port(), "/slow?n=" + std::to_string(i)));
  for (auto& c : clients) {
    const HttpResponse r = c.readResponse(10s);
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.status, 200);
  }
  // One request at a time: never more than one connection open to the server at once. With a
  // keep-alive pool per worker, at most one connection per worker was ever needed.
  EXPECT_LE(backend.stats().connections, 2u);
  int queued = 0;
  long long maxAhead = 0;
  for (int i = 0; i < 4; ++i) {
    const HttpLogLine log = logLineFor(weir, "/slow?n=" + std::to_string(i));
    queued += log.Tw > 0 ? 1 : 0;
    maxAhead = std::max(maxAhead, log.backendQueue);
    EXPECT_EQ(log.serverConns, 1) << "maxconn 1: this request alone on the server";
  }
  EXPECT_GE(queued, 3) << "three of the four had to wait (Tw > 0)\n" << weir.accessLog();
  EXPECT_GE(maxAhead, 1) << "a later one found others waiting before it\n" << weir.accessLog();
}

TEST(ServerQueue, ServesWaitersInArrivalOrderAcrossWorkers) {
  FakeBackend backend("one", {.routes = {"/hold=delay=400"}});
  std::string yaml = simpleConfigWithServers(std::vector<ServerLine>{{backend.address(), "maxconn: 1"}});
  yaml.replace(yaml.find("threads: 1"), 10, "threads: 2");
  WeirInstance weir(yaml);

  TcpClient holder = sendGet(weir.port(), "/hold");
  ASSERT_TRUE(backend.waitForRecords(1));
  // Eight more, 20 ms apart, on connections that land on either worker: all wait for the one
  // slot, and must get it in the order they came.
  std::vector<TcpClient> waiting;
  for (int i = 0; i < 8; ++i) {
    waiting.push_back(sendGet(weir.port(), "/q?n=" + std::to_string(i)));
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(holder.readResponse(10s).status, 200);
  for (auto& c : waiting) EXPECT_EQ(c.readResponse(10s).status, 200);

  std::vector<std::string> order;
  for (const RecordedRequest& r : backend.records())
    if (r.target.rfind("/q", 0) == 0) order.push_back(r.target);
  std::vector<std::string> expected;
  for (int i = 0; i < 8; ++i) expected.push_back("/q?n=" + std::to_string(i));
  EXPECT_EQ(order, expected);
}

TEST(ServerQueue, GivesUpWith503AfterQueueTimeout) {
  FakeBackend backend("busy", {.routes = {"/hold=delay=3000"}});
  WeirInstance weir(simpleConfigWithServers(std::vector<ServerLine>{{backend.address(), "maxconn: 1"}}, "timeout: {queue: 200ms}"));

  TcpClient holder = sendGet(weir.port(), "/hold");
  ASSERT_TRUE(backend.waitForRecords(1));
  const HttpResponse waited = httpGet(weir.port(), "/late");

  EXPECT_EQ(waited.status, 503);
  const HttpLogLine log = logLineFor(weir, "/late");
  EXPECT_EQ(log.termination, "sQ--");
  EXPECT_GE(log.Tw, 150);
  EXPECT_EQ(holder.readResponse(10s).status, 200);  // the one in service was not disturbed
}

TEST(ServerQueue, TurnsAwayRequestsBeyondMaxqueueAtOnce) {
  FakeBackend backend("busy", {.routes = {"/hold=delay=1000"}});
  WeirInstance weir(simpleConfigWithServers(std::vector<ServerLine>{{backend.address(), "maxconn: 1"}}, "maxqueue: 1"));

  TcpClient inService = sendGet(weir.port(), "/hold?n=1");
  ASSERT_TRUE(backend.waitForRecords(1));
  // The queue holds one: of the next two, one waits and is served, the other is turned away
  // at once (which one depends on which arrives first).
  TcpClient second = sendGet(weir.port(), "/hold?n=2");
  TcpClient third = sendGet(weir.port(), "/hold?n=3");
  const HttpResponse r2 = second.readResponse(10s);
  const HttpResponse r3 = third.readResponse(10s);
  EXPECT_EQ((r2.status == 503) + (r3.status == 503), 1) << r2.status << " " << r3.status;
  EXPECT_EQ((r2.status == 200) + (r3.status == 200), 1) << r2.status << " " << r3.status;
  EXPECT_NE(weir.waitForAccessLog("PQ--"), std::nullopt) << weir.accessLog();
  EXPECT_EQ(inService.readResponse(10s).status, 200);
}

TEST(ServerQueue, AWebSocketTunnelHoldsItsSlotUntilItCloses) {
  FakeBackend backend("ws");
  WeirInstance weir(simpleConfigWithServers(std::vector<ServerLine>{{backend.address(), "maxconn: 1"}},
                                            "timeout: {queue: 300ms}"));

  TcpClient tunnel(weir.port());
  ASSERT_TRUE(tunnel.send("GET /ws?upgrade=1 HTTP/1.1\r\nHost: weir.test\r\nConnection: Upgrade\r\n"
                          "Upgrade: websocket\r\n\r\n"));
  ASSERT_EQ(tunnel.readResponse().status, 101);
  // maxconn 1 and the tunnel is on the server: a request waits for the slot, in vain.
  EXPECT_EQ(httpGet(weir.port(), "/during").status, 503);
  tunnel.close();
  int n = 0;
  EXPECT_TRUE(waitFor([&] { return httpGet(weir.port(), "/after-" + std::to_string(n++)).status == 200; }, 5s));
}

TEST(ServerQueue, AWaiterGetsTheSlotFreedWhileItsServerWasOutOnceTheServerIsBack) {
  // The holder ends while s1 is in maintenance: nobody may be sent there then, so its release
  // hands the slot to no one, and no later release comes to do it.
  FakeBackend backend("one", {.routes = {"/hold=delay=4000"}});
  WeirInstance weir(fmt::format(R"(global: {{ threads: 2, log: stdout }}
defaults:
  timeout: {{ connect: 1s, client: 10s, server: 10s, queue: 10s }}
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    default_backend: be
backends:
  be:
    servers:
      - {{ name: s1, address: "{}", maxconn: 1 }}
stats: {{ bind: "127.0.0.1:0", admin: true, auth: {{ user: admin, password: s3cret }} }}
)",
                                backend.address()));
  const std::vector<std::string> admin = {"Authorization: Basic YWRtaW46czNjcmV0", "Content-Type: application/json"};
  const auto setState = [&](std::string_view state) {
    const std::string json = fmt::format(R"({{"backend":"be","server":"s1","state":"{}"}})", state);
    return httpRequest(weir.port("stats"), "POST", "/stats/api/server/state", admin, json).status;
  };
  const auto queued = [&] {
    return parseStatsCsv(httpGet(weir.port("stats"), "/stats;csv", {admin[0]}).body).at("be/BACKEND").at("qcur");
  };

  TcpClient holder = sendGet(weir.port(), "/hold");
  ASSERT_TRUE(backend.waitForRecords(1));
  TcpClient waiter = sendGet(weir.port(), "/waiter");
  ASSERT_TRUE(waitFor([&] { return queued() == "1"; }, kDefaultTimeout));
  ASSERT_EQ(setState("maint"), 200);
  EXPECT_EQ(holder.readResponse(10s).status, 200);
  ASSERT_EQ(setState("ready"), 200);
  const HttpResponse r = waiter.readResponse(4s);
  EXPECT_EQ(r.status, 200) << "served long before timeout.queue: " << r.describe();
  EXPECT_EQ(backend.countTarget("/waiter"), 1u);
}

TEST(ServerQueue, SpillsToOtherServersBeforeQueueing) {
  FakeBackend a("a", {.routes = {"/hold=delay=1000"}});
  FakeBackend b("b");
  WeirInstance weir(simpleConfigWithServers(std::vector<ServerLine>{{a.address(), "maxconn: 1"}, {b.address(), ""}}));

  TcpClient holder = sendGet(weir.port(), "/hold");
  ASSERT_TRUE(a.waitForRecords(1));
  for (int i = 0; i < 4; ++i) {
    const HttpResponse r = httpGet(weir.port(), "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("X-Server"), "b");
  }
  EXPECT_EQ(holder.readResponse(10s).status, 200);
}

}  // namespace
}  // namespace weir::test

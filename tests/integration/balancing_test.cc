// Issue 3, points 1-2 end to end: leastconn keeps new requests off a slow server, and source
// hashing keeps each client address on its server, moving only the clients of a server that
// goes away. Which server answered is read from the fake backends' X-Server header.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// X-Server of one request from client address `sourceIp` ("" when it failed).
std::string serverFor(std::uint16_t port, const std::string& sourceIp) {
  TcpClient client(port, kDefaultTimeout, sourceIp);
  if (!client.isConnected() || !client.send(formatRequest("GET", "/", port))) return "";
  const HttpResponse response = client.readResponse();
  return response.status == 200 ? response.header("X-Server") : "";
}

TEST(LeastConn, SendsNearlyAllNewRequestsAwayFromASlowServer) {
  FakeBackend slow("slow", {.routes = {"/work=delay=3000"}});
  FakeBackend fast1("fast1");
  FakeBackend fast2("fast2");
  WeirInstance weir(simpleConfig({slow.address(), fast1.address(), fast2.address()}, "balance: leastconn"));

  // A new request every 30 ms, without waiting for the answers: what the slow server took
  // stays in flight for 3 s, while the fast ones are idle again before the next arrives.
  constexpr int kRequests = 40;
  std::vector<TcpClient> clients;
  for (int i = 0; i < kRequests; ++i) {
    clients.emplace_back(weir.port());
    ASSERT_TRUE(clients.back().send(formatRequest("GET", "/work", weir.port())));
    std::this_thread::sleep_for(30ms);
  }
  std::map<std::string, int> total;
  for (TcpClient& c : clients) {
    const HttpResponse r = c.readResponse(10s);
    total[r.status == 200 ? r.header("X-Server") : "error"]++;
  }

  EXPECT_EQ(total["error"], 0);
  // Round-robin would give it 13 of 40. (It gets one at the start, when all are idle, and
  // another only if a fast server is still busy with two requests when one arrives.)
  EXPECT_LE(total["slow"], 3) << "slow=" << total["slow"] << " fast1=" << total["fast1"] << " fast2=" << total["fast2"];
  EXPECT_GT(total["fast1"], 12);
  EXPECT_GT(total["fast2"], 12);
}

TEST(SourceHash, KeepsEachClientAddressOnOneServerAndMovesOnlyTheClientsOfAServerThatGoesAway) {
  std::vector<FakeBackend> backends;
  for (int i = 0; i < 4; ++i) backends.emplace_back("b" + std::to_string(i));
  WeirInstance weir(simpleConfig(addressesOf(backends), "balance: source\nmax_fails: 1\nfail_timeout: 60s"));

  std::map<std::string, std::string> first;  // client address -> server
  std::map<std::string, int> perServer;
  for (int i = 1; i <= 40; ++i) {
    const std::string ip = "127.0.3." + std::to_string(i);
    const std::string server = serverFor(weir.port(), ip);
    ASSERT_FALSE(server.empty()) << ip;
    first[ip] = server;
    perServer[server]++;
    for (int again = 0; again < 2; ++again) EXPECT_EQ(serverFor(weir.port(), ip), server) << ip;
  }
  EXPECT_GE(perServer.size(), 3u) << "40 addresses should spread over the servers";

  // b0 goes away: its clients move (the first of them takes it out), the others stay.
  backends[0].stop();
  for (const auto& [ip, server] : first) {
    const std::string now = serverFor(weir.port(), ip);
    ASSERT_FALSE(now.empty()) << ip;
    if (server == "b0") {
      EXPECT_NE(now, "b0") << ip;
    } else {
      EXPECT_EQ(now, server) << ip << " moved although its server is up";
    }
  }
}

}  // namespace
}  // namespace weir::test

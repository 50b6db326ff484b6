// Issue 11, point 4: overload and abuse. At global.maxconn new clients wait in the kernel's
// backlog and are served, none refused; one source cannot hold more than maxconn_per_src
// connections; request bodies over tune.http_max_body get 413; heads that never end and a
// slowloris attack cost bounded memory and do not slow down the clients beside them.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "support/descriptor_limit.h"
#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/stats_csv.h"
#include "support/tcp_client.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

/// One frontend `web` with `frontendYaml` beside its bind, one backend of `server`, a stats
/// listener, and `globalYaml` under global.
std::string overloadConfig(const FakeBackend& server, std::string_view globalYaml, std::string_view frontendYaml = "",
                           std::string_view timeoutYaml = "") {
  return fmt::format(R"(global:
  log: none
{}
defaults:
  timeout:
    connect: 1s
    client: 10s
    server: 10s
{}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app
{}
backends:
  app:
    servers:
      - {{ name: s1, address: "{}" }}
stats:
  bind: "127.0.0.1:0"
)",
                     indentYaml(globalYaml, 2), indentYaml(timeoutYaml, 4), indentYaml(frontendYaml, 4),
                     server.address());
}

std::string get(std::string_view target, uint16_t port, bool close = false) {
  return formatRequest("GET", target, port, {close ? "Connection: close" : "Connection: keep-alive"});
}

// --- global.maxconn: the backlog --------------------------------------------------------------

TEST(Overload, ClientsBeyondMaxconnWaitInTheBacklogAndAreAllServed) {
  FakeBackend backend("alpha");
  // Two workers, so two listeners race for the last slot; each request holds its slot 20 ms.
  WeirInstance weir(overloadConfig(backend, "threads: 2\nmaxconn: 4"));
  constexpr int kClients = 60;
  std::vector<TcpClient> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.emplace_back(weir.port());
    ASSERT_TRUE(clients.back().isConnected()) << i << ": " << clients.back().error();
    ASSERT_TRUE(clients.back().send(get(fmt::format("/c{}?delay=20", i), weir.port(), true)));
  }

  // One deadline for all: a listener left paused strands its whole backlog, not one client.
  const Clock::time_point deadline = Clock::now() + 20s;
  int served = 0;
  for (int i = 0; i < kClients; ++i) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const HttpResponse r = clients[static_cast<size_t>(i)].readResponse(std::max(left, 100ms));
    EXPECT_EQ(r.status, 200) << "client " << i << ": " << r.describe();
    served += r.status == 200 ? 1 : 0;
    clients[static_cast<size_t>(i)].close();
  }

  EXPECT_EQ(served, kClients);
  EXPECT_TRUE(weir.waitForLog("maxconn=4 reached").has_value()) << weir.log();
  EXPECT_EQ(backend.stats().requests, static_cast<uint64_t>(kClients));
}

// --- maxconn_per_src ----------------------------------------------------------------------------

TEST(Overload, OneSourceGetsAtMostMaxconnPerSrcConnections) {
  FakeBackend backend("alpha");
  WeirInstance weir(overloadConfig(backend, "threads: 2", "maxconn_per_src: 3"));
  std::vector<TcpClient> held;
  for (int i = 0; i < 3; ++i) {
    held.emplace_back(weir.port(), kDefaultTimeout, "127.0.0.2");
    ASSERT_TRUE(held.back().send(get("/held", weir.port())));
    ASSERT_EQ(held.back().readResponse().status, 200) << "connection " << i << " is within the limit";
  }

  TcpClient fourth(weir.port(), kDefaultTimeout, "127.0.0.2");
  fourth.send(get("/fourth", weir.port()));
  EXPECT_TRUE(fourth.isClosedByPeer()) << "the 4th connection of 127.0.0.2 was kept";
  EXPECT_EQ(fourth.buffered(), "") << "a refused connection gets no bytes";
  TcpClient otherSource(weir.port(), kDefaultTimeout, "127.0.0.3");
  otherSource.send(get("/other", weir.port()));
  EXPECT_EQ(otherSource.readResponse().status, 200) << "another address has its own count";
  for (TcpClient& c : held) {
    c.send(get("/again", weir.port()));
    EXPECT_EQ(c.readResponse().status, 200) << "held connections go on";
  }

  held.front().close();
  // The close reaches weir asynchronously: a new connection of 127.0.0.2 is let in once it has.
  const bool readmitted = waitFor([&] {
    TcpClient next(weir.port(), kDefaultTimeout, "127.0.0.2");
    next.send(get("/next", weir.port(), true));
    return next.readResponse(1s).status == 200;
  }, kDefaultTimeout);
  EXPECT_TRUE(readmitted) << "a closed connection gives its place back";
  EXPECT_EQ(backend.countTarget("/fourth"), 0u);
  const auto rows = parseStatsCsv(httpGet(weir.port("stats"), "/stats;csv").body);
  EXPECT_GE(std::stoull(rows.at("web/FRONTEND").at("dcon")), 1u) << "refused connections are counted (dcon)";
}

TEST(Overload, MaxconnPerSrcIsCheckedByTheConfig) {
  FakeBackend backend("alpha");
  const WeirCheck check = WeirInstance::check(overloadConfig(backend, "threads: 1", "maxconn_per_src: -1"));
  EXPECT_EQ(check.exitCode, 1) << check.output;
  EXPECT_NE(check.output.find("maxconn_per_src"), std::string::npos) << check.output;
}

// --- tune.http_max_body -----------------------------------------------------------------------

class BodyLimit : public ::testing::Test {
 protected:
  FakeBackend backend_{"alpha"};
  WeirInstance weir_{overloadConfig(backend_, "threads: 1\ntune:\n  http_max_body: 1k")};

  /// Sends `request`; expects a 413 and the connection closed.
  void expect413(const std::string& request) {
    TcpClient client(weir_.port());
    ASSERT_TRUE(client.send(request)) << client.error();
    const HttpResponse r = client.readResponse();
    EXPECT_EQ(r.status, 413) << r.describe();
    EXPECT_TRUE(client.isClosedByPeer()) << "the rest of the body is never read: the connection must close";
  }
};

TEST_F(BodyLimit, ContentLengthOverTheLimitGets413BeforeAnythingReachesTheServer) {
  expect413(formatRequest("POST", "/big", weir_.port(), {"Content-Length: 1025"}) + std::string(1025, 'x'));
  EXPECT_EQ(backend_.countTarget("/big"), 0u);
}

TEST_F(BodyLimit, ContentLengthAtTheLimitIsForwarded) {
  const HttpResponse r = httpRequest(weir_.port(), "POST", "/fits", {}, std::string(1024, 'x'));
  EXPECT_EQ(r.status, 200) << r.describe();
}

TEST_F(BodyLimit, ChunkedBodyGets413AtTheChunkThatCrossesTheLimit) {
  const std::string chunk(600, 'x');
  expect413(formatRequest("POST", "/chunked", weir_.port(), {"Transfer-Encoding: chunked"}) + "258\r\n" + chunk +
            "\r\n258\r\n" + chunk + "\r\n0\r\n\r\n");
}

TEST_F(BodyLimit, HugeChunkSizeGets413AtOnce) {
  expect413(formatRequest("POST", "/huge", weir_.port(), {"Transfer-Encoding: chunked"}) + "fffffffffff\r\nxx");
}

TEST_F(BodyLimit, ChunkedBodyUnderTheLimitIsForwarded) {
  TcpClient client(weir_.port());
  client.send(formatRequest("POST", "/small", weir_.port(), {"Transfer-Encoding: chunked"}) +
              "200\r\n" + std::string(512, 'y') + "\r\n200\r\n" + std::string(512, 'y') + "\r\n0\r\n\r\n");
  EXPECT_EQ(client.readResponse().status, 200);
}

// --- heads that never end ---------------------------------------------------------------------

TEST(Overload, EndlessHeadsFromManyClientsGet431AndCostBoundedMemory) {
  FakeBackend backend("alpha");
  WeirInstance weir(overloadConfig(backend, "threads: 1"));
  EXPECT_EQ(httpGet(weir.port(), "/warm").status, 200);
  [[maybe_unused]] const size_t before = weir.rssKiB();
  const std::string line = "X-Endless: " + std::string(1000, 'e') + "\r\n";
  int refused = 0;
  for (int i = 0; i < 50; ++i) {
    TcpClient client(weir.port());
    std::string bytes = "GET /endless HTTP/1.1\r\nHost: weir.test\r\n";
    // Up to 1 MiB of header lines; weir answers once it has 16 KiB and stops reading.
    for (int n = 0; n < 1024 && client.send(bytes, 2s); ++n) {
      bytes = line;
      if (!client.buffered().empty() || client.isClosedByPeer(0ms)) break;
    }
    const HttpResponse r = client.readResponse();
    refused += r.status == 431 ? 1 : 0;
  }
  [[maybe_unused]] const size_t after = weir.rssKiB();

  EXPECT_EQ(refused, 50);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)  // their quarantine is not weir's memory
  EXPECT_LT(after, before + 8 * 1024) << "RSS grew from " << before << " to " << after << " KiB";
#endif
  EXPECT_EQ(backend.countTarget("/endless"), 0u);
}

// --- slowloris ----------------------------------------------------------------------------------

/// Requests on `connections` keep-alive connections, one after another, until `count` are done;
/// returns how many got a 200 from the backend, and the rate.
struct RunResult {
  int ok = 0;
  double perSecond = 0;
};
RunResult runNormalClients(uint16_t port, int count) {
  constexpr int kConnections = 4;
  std::atomic<int> ok{0};
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kConnections; ++t) {
    threads.emplace_back([&, t] {
      TcpClient client(port);
      for (int i = t; i < count; i += kConnections) {
        // Every tenth request on a fresh connection: accepting must keep up too.
        if (i % 10 == 0) client = TcpClient(port);
        if (!client.send(get("/normal", port))) continue;
        const HttpResponse r = client.readResponse(5s);
        if (r.status == 200 && r.body == "alpha\n") ok.fetch_add(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return {ok.load(), count / seconds};
}

TEST(Overload, SlowlorisDoesNotStopNormalClients) {
  constexpr int kAttackers = 1000;
  if (!raiseDescriptorLimit(kAttackers + 500)) GTEST_SKIP() << "the hard descriptor limit is too low";
  FakeBackend backend("alpha");
  WeirInstance weir(overloadConfig(backend, "threads: 1", "", "http_request: 2s"));
  constexpr int kRequests = 2000;
  const RunResult quiet = runNormalClients(weir.port(), kRequests);
  ASSERT_EQ(quiet.ok, kRequests);

  // The attack: each connection sends a head one byte at a time, a byte every 250 ms.
  std::vector<TcpClient> attackers;
  for (int i = 0; i < kAttackers; ++i) {
    attackers.emplace_back(weir.port());
    ASSERT_TRUE(attackers.back().send("GET / HTTP/1.1\r\nHost: slow\r\n")) << i;
  }
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    const auto end = Clock::now() + 4s;  // bounded: past the 2 s http_request timeout
    while (!stop.load() && Clock::now() < end) {
      for (TcpClient& a : attackers) {
        // Not past weir's answer: bytes sent after its lingering close would earn an RST.
        if (a.buffered().empty() && !a.isClosedByPeer(0ms)) a.send("X", 10ms);
      }
      std::this_thread::sleep_for(250ms);
    }
  });
  const RunResult attacked = runNormalClients(weir.port(), kRequests);
  stop.store(true);
  trickle.join();

  std::printf("[ slowloris ] %d normal requests: %.0f req/s quiet, %.0f req/s beside %d slowloris connections\n",
              kRequests, quiet.perSecond, attacked.perSecond, kAttackers);
  EXPECT_EQ(attacked.ok, kRequests) << "normal clients failed during the attack";
  int timedOut = 0;
  for (TcpClient& a : attackers) {
    const std::string answer = a.readUntilClosed(5s);
    timedOut += answer.rfind("HTTP/1.1 408", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(timedOut, kAttackers) << "every slowloris connection gets 408 at timeout.http_request";
  EXPECT_EQ(backend.countTarget("/normal"), static_cast<size_t>(2 * kRequests));
}

}  // namespace
}  // namespace weir::test

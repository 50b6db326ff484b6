// `balance: roundrobin` end to end (issue point 9): smooth weighted round-robin as in nginx,
// weights honoured exactly over a cycle, each worker entering the cycle at a different server,
// and backup servers used only when no primary is usable. Which server answered is read from
// the fake backends' X-Server header.

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

struct ServerSpec {
  const FakeBackend* backend;
  int weight = 1;
  bool backup = false;
};

/// One frontend and one roundrobin backend whose servers are named like their fake backends.
std::string roundRobinConfig(const std::vector<ServerSpec>& servers, int threads = 1) {
  std::string yaml = "global:\n  threads: " + std::to_string(threads) +
                     "\n  log: stdout\n"
                     "defaults:\n"
                     "  timeout: {connect: 1s, client: 10s, server: 10s}\n"
                     "  retries: 3\n"
                     "  redispatch: true\n"
                     "frontends:\n"
                     "  fe:\n"
                     "    bind: [\"127.0.0.1:0\"]\n"
                     "    default_backend: be\n"
                     "backends:\n"
                     "  be:\n"
                     "    balance: roundrobin\n"
                     "    servers:\n";
  for (const ServerSpec& s : servers) {
    yaml += "      - { name: " + s.backend->name() + ", address: \"" + s.backend->address() +
            "\", weight: " + std::to_string(s.weight) + (s.backup ? ", backup: true" : "") +
            " }\n";
  }
  return yaml;
}

std::string keepAliveGet(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: weir.test\r\n\r\n";
}

/// X-Server of `count` sequential requests, each on a fresh client connection; "" for a
/// request that failed (with a test failure recorded).
std::vector<std::string> serversOfRequests(std::uint16_t port, int count) {
  std::vector<std::string> servers;
  for (int i = 0; i < count; ++i) {
    const HttpResponse response = httpGet(port, "/r" + std::to_string(i));
    EXPECT_TRUE(response.ok()) << i << ": " << response.error;
    EXPECT_EQ(response.status, 200) << i << ": " << response.describe();
    servers.push_back(response.header("X-Server"));
  }
  return servers;
}

std::string joined(const std::vector<std::string>& names) {
  std::string text;
  for (const std::string& n : names) text += (text.empty() ? "" : " ") + n;
  return text;
}

class RoundRobinTest : public ::testing::Test {};

// --- weights ----------------------------------------------------------------------------------

TEST_F(RoundRobinTest, HonoursWeightsExactlyOverTwoCycles) {
  FakeBackend a("a"), b("b"), c("c");
  WeirInstance weir(roundRobinConfig({{&a, 3}, {&b, 2}, {&c, 1}}));

  const std::vector<std::string> servers = serversOfRequests(weir.port(), 12);

  std::map<std::string, int> counts;
  for (const std::string& s : servers) ++counts[s];
  EXPECT_EQ(counts, (std::map<std::string, int>{{"a", 6}, {"b", 4}, {"c", 2}})) << joined(servers);
}

TEST_F(RoundRobinTest, InterleavesPicksInNginxSmoothOrder) {
  FakeBackend a("a"), b("b"), c("c");
  WeirInstance weir(roundRobinConfig({{&a, 3}, {&b, 2}, {&c, 1}}));
  TcpClient client(weir.port());

  // Keep-alive this time: the pick is per request, not per client connection.
  std::vector<std::string> servers;
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(client.send(keepAliveGet("/r" + std::to_string(i)))) << client.error();
    const HttpResponse response = client.readResponse();
    ASSERT_TRUE(response.ok()) << i << ": " << response.error;
    servers.push_back(response.header("X-Server"));
  }

  // nginx's smooth weighted round-robin with weights 3, 2, 1: a b a c b a, then again.
  EXPECT_EQ(joined(servers), "a b a c b a a b a c b a");
}

// --- workers ----------------------------------------------------------------------------------

// Which worker serves a client connection is the kernel's choice (SO_REUSEPORT), so the test
// tells workers apart by their upstream connections, which are pooled per worker: once worker
// X has an idle connection to every server, a request that opens a new upstream connection can
// only come from the other worker, and it is that worker's very first request.
TEST_F(RoundRobinTest, StartsEachWorkerAtADifferentServer) {
  std::vector<FakeBackend> backends;
  backends.emplace_back("s1");
  backends.emplace_back("s2");
  WeirInstance weir(roundRobinConfig({{&backends[0]}, {&backends[1]}}, /*threads=*/2));
  // The backend connection that carried the last request of a response from `server`.
  const auto lastConnection = [&](const std::string& server) -> std::pair<std::string, std::uint64_t> {
    for (FakeBackend& backend : backends) {
      if (backend.name() != server) continue;
      const std::vector<RecordedRequest> records = backend.records();
      if (!records.empty()) return {server, records.back().conn};
    }
    ADD_FAILURE() << "answer from unknown server '" << server << "'";
    return {server, 0};
  };
  // Worker X: two requests on one client connection reach both servers.
  TcpClient first(weir.port());
  std::vector<std::string> firstServers;
  std::set<std::pair<std::string, std::uint64_t>> workerXConnections;
  for (int i = 0; i < 2; ++i) {
    ASSERT_TRUE(first.send(keepAliveGet("/x" + std::to_string(i)))) << first.error();
    const HttpResponse response = first.readResponse();
    ASSERT_TRUE(response.ok()) << response.error;
    firstServers.push_back(response.header("X-Server"));
    workerXConnections.insert(lastConnection(firstServers.back()));
  }
  ASSERT_NE(firstServers[0], firstServers[1]) << "equal weights must alternate";

  // Worker Y: fresh client connections until one is served over a new upstream connection.
  std::string workerYFirst;
  for (int attempt = 0; attempt < 60 && workerYFirst.empty(); ++attempt) {
    const HttpResponse response = httpGet(weir.port(), "/y" + std::to_string(attempt));
    ASSERT_TRUE(response.ok()) << response.error;
    if (!workerXConnections.contains(lastConnection(response.header("X-Server")))) {
      workerYFirst = response.header("X-Server");
    }
  }

  ASSERT_FALSE(workerYFirst.empty()) << "60 client connections never reached a second worker";
  EXPECT_NE(workerYFirst, firstServers[0]);
}

// --- backup servers ---------------------------------------------------------------------------

TEST_F(RoundRobinTest, SendsToBackupWhenEveryPrimaryRefuses) {
  FakeBackend p1("p1"), p2("p2"), backup("backup");
  p1.stop();
  p2.stop();
  WeirInstance weir(roundRobinConfig({{&p1}, {&p2}, {&backup, 1, true}}));

  const std::vector<std::string> servers = serversOfRequests(weir.port(), 4);

  EXPECT_EQ(joined(servers), "backup backup backup backup");
}

TEST_F(RoundRobinTest, SendsNothingToBackupWhilePrimariesAreUp) {
  FakeBackend p1("p1"), p2("p2"), backup("backup");
  WeirInstance weir(roundRobinConfig({{&p1}, {&p2}, {&backup, 1, true}}));

  const std::vector<std::string> servers = serversOfRequests(weir.port(), 6);

  EXPECT_EQ(joined(servers), "p1 p2 p1 p2 p1 p2");
  EXPECT_EQ(backup.stats().requests, 0u);
}

TEST_F(RoundRobinTest, SendsNothingToBackupWhileOnePrimaryIsUp) {
  FakeBackend p1("p1"), p2("p2"), backup("backup");
  p2.stop();
  WeirInstance weir(roundRobinConfig({{&p1}, {&p2}, {&backup, 1, true}}));

  const std::vector<std::string> servers = serversOfRequests(weir.port(), 4);

  EXPECT_EQ(joined(servers), "p1 p1 p1 p1");
  EXPECT_EQ(backup.stats().requests, 0u);
}

}  // namespace
}  // namespace weir::test

// Issue 10, point 4: an idle keep-alive client connection costs weir at most 16 KiB. The test
// holds 10 000 of them open, each after one browser-like request, and reads weir's resident
// memory before and after; weir must still answer a new client at once while they are held.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "support/descriptor_limit.h"
#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/tcp_client.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

constexpr int kIdleConnections = 10000;
constexpr std::string_view kRequest =
    "GET /page?size=2000 HTTP/1.1\r\n"
    "Host: shop.example.test\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n"
    "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n"
    "Accept-Language: en-GB,en;q=0.5\r\n"
    "Cookie: session=7c4f0d1e9a2b4c6d8e0f1a2b3c4d5e6f; theme=dark\r\n"
    "\r\n";

/// Opens `count` connections and has each make one request, in waves of 50 (clients that came
/// and went quiet, not one burst: weir needs no more than 50 server connections for them). The
/// connections stay open (keep-alive) in `out`.
void openIdleConnections(uint16_t port, int count, std::vector<TcpClient>& out) {
  constexpr int kWave = 50;
  for (int done = 0; done < count; done += kWave) {
    const size_t first = out.size();
    for (int i = done; i < std::min(count, done + kWave); ++i) {
      out.emplace_back(port);
      ASSERT_TRUE(out.back().isConnected()) << "connection " << i << ": " << out.back().error();
      ASSERT_TRUE(out.back().send(kRequest)) << out.back().error();
    }
    for (size_t i = first; i < out.size(); ++i) {
      HttpResponse r = out[i].readResponse();
      ASSERT_EQ(r.status, 200) << "connection " << i << ": " << r.error;
      ASSERT_EQ(r.body.size(), 2000u);
    }
  }
}

TEST(IdleMemory, TenThousandIdleKeepAliveConnectionsCostAtMost16KiBEach) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "the sanitizers' shadow memory and quarantine are not weir's memory";
#endif
  if (!raiseDescriptorLimit(kIdleConnections + 1000)) GTEST_SKIP() << "the hard descriptor limit is too low";
  FakeBackend backend("s1");
  WeirInstance weir(
      "global: { threads: 1, maxconn: 10200, log: none }\n"
      "defaults:\n"
      "  timeout: { connect: 1s, client: 60s, server: 10s, http_keep_alive: 60s }\n"
      "frontends:\n"
      "  fe: { bind: [\"127.0.0.1:0\"], default_backend: be }\n"
      "backends:\n"
      "  be:\n"
      "    servers:\n"
      "      - { name: s1, address: \"" + backend.address() + "\" }\n");
  std::vector<TcpClient> clients;
  clients.reserve(kIdleConnections + 100);
  // A first hundred: the worker's block caches, the upstream connection, the allocator's arenas.
  openIdleConnections(weir.port(), 100, clients);
  ASSERT_FALSE(HasFatalFailure());
  const size_t before = weir.rssKiB();
  ASSERT_GT(before, 0u);
  openIdleConnections(weir.port(), kIdleConnections, clients);
  ASSERT_FALSE(HasFatalFailure());
  const size_t after = weir.rssKiB();
  const double perConnection = static_cast<double>(after - before) / kIdleConnections;
  std::printf("weir RSS %zu KiB -> %zu KiB with %d more idle connections: %.2f KiB each\n", before, after,
              kIdleConnections, perConnection);
  EXPECT_LE(perConnection, 16.0);

  // Held connections do not stop a new client from being served.
  HttpResponse fresh = httpGet(weir.port(), "/now");
  EXPECT_EQ(fresh.status, 200) << fresh.error;
  // ...and the idle ones are still usable.
  for (size_t i : {size_t{0}, clients.size() / 2, clients.size() - 1}) {
    ASSERT_TRUE(clients[i].send(kRequest));
    EXPECT_EQ(clients[i].readResponse().status, 200) << "held connection " << i;
  }
}

}  // namespace
}  // namespace weir::test

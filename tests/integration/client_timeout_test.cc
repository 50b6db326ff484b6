// timeout.client: a client that stops sending its request body, or stops reading its
// response, is cut off after that much inactivity and logged with HAProxy's "cD".

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "support/fake_backend.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view kShortClientTimeout = "timeout:\n  connect: 1s\n  client: 300ms\n  server: 10s\n";

TEST(ClientTimeout, ClientThatStopsSendingItsBodyIsCutOff) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}, "", kShortClientTimeout));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.isConnected()) << client.error();

  const auto start = std::chrono::steady_clock::now();
  ASSERT_TRUE(client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 100\r\n\r\nonly ten b"));

  ASSERT_TRUE(client.isClosedByPeer(5s)) << "weir kept a stalled upload open";
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  const auto line = weir.waitForAccessLog("/upload");
  ASSERT_TRUE(line.has_value()) << weir.accessLog();
  EXPECT_NE(line->find(" cD-- "), std::string::npos) << *line;
}

TEST(ClientTimeout, ClientThatStopsReadingItsResponseIsCutOff) {
  FakeBackend backend("alpha");
  WeirInstance weir(simpleConfig({backend.address()}, "", kShortClientTimeout));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.isConnected()) << client.error();

  // 64 MiB fills every socket buffer on the way, then nothing is read.
  ASSERT_TRUE(client.send("GET /?size=67108864 HTTP/1.1\r\nHost: t\r\n\r\n"));

  const auto line = weir.waitForAccessLog("/?size=67108864", 5s);
  ASSERT_TRUE(line.has_value()) << "no log line: weir still waits for the reader\n" << weir.accessLog();
  EXPECT_NE(line->find(" cD-- "), std::string::npos) << *line;
  EXPECT_TRUE(waitFor([&] { return backend.stats().open == 0; }, 5s)) << "the server connection was kept";
}

}  // namespace
}  // namespace weir::test

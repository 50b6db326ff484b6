// WebSocket upgrades end to end (issue point 6, `Upgrade`): a request with `Connection: Upgrade`
// and `Upgrade: websocket` reaches the server with those headers, the 101 reaches the client,
// and from then on weir tunnels opaque bytes both ways until one side closes or the tunnel has
// been idle for `timeout.tunnel`. The fake backend's upgrade=1 echoes every tunnelled byte.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "support/fake_backend.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

// RFC 6455 section 1.3's example key and the accept value it must produce.
constexpr std::string_view kKey = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view kAccept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

std::string upgradeRequest(std::string_view target = "/ws?upgrade=1") {
  return "GET " + std::string(target) +
         " HTTP/1.1\r\nHost: weir.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
         "Sec-WebSocket-Key: " +
         std::string(kKey) + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
}

std::string lowercase(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

/// Every byte value, in an order that does not repeat with a short period.
std::string binaryPayload(std::size_t size) {
  std::string payload;
  payload.reserve(size);
  std::uint32_t x = 2463534242u;
  for (std::size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    payload.push_back(static_cast<char>(x & 0xff));
  }
  return payload;
}

/// Sends `payload` through an echoing tunnel and reads the echo, draining as it sends so that
/// neither direction can fill up and stall the other. The bytes that came back (maybe fewer on
/// timeout).
std::string echoThroughTunnel(TcpClient& client, std::string_view payload,
                              std::chrono::milliseconds timeout = kDefaultTimeout) {
  constexpr std::size_t kPiece = 32 * 1024;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string echoed;
  for (std::size_t sent = 0; sent < payload.size();) {
    const std::string_view piece = payload.substr(sent, kPiece);
    if (!client.send(piece, remainingUntil(deadline))) return echoed;
    sent += piece.size();
    echoed += client.readSome(0ms);
  }
  while (echoed.size() < payload.size() && remainingUntil(deadline) > 0ms) {
    const std::string more = client.readSome(remainingUntil(deadline));
    if (more.empty() && client.isClosedByPeer(0ms)) break;
    echoed += more;
  }
  return echoed;
}

class WebSocketTest : public ::testing::Test {
 protected:
  void startWeir(std::string_view tunnelTimeout = "10s") {
    weir_ = std::make_unique<WeirInstance>(simpleConfig({backend_.address()}, "",
                                                        "timeout:\n"
                                                        "  connect: 1s\n"
                                                        "  client: 10s\n"
                                                        "  server: 10s\n"
                                                        "  tunnel: " +
                                                            std::string(tunnelTimeout) + "\n"));
  }

  /// Connects, upgrades, and checks the 101; the client is then a tunnel endpoint.
  TcpClient openTunnel() {
    TcpClient client(weir_->port());
    EXPECT_TRUE(client.send(upgradeRequest())) << client.error();
    const HttpResponse response = client.readResponse();
    EXPECT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, 101) << escapeBytes(response.raw);
    return client;
  }

  FakeBackend backend_{"s1"};
  std::unique_ptr<WeirInstance> weir_;
};

TEST_F(WebSocketTest, UpgradeRequestGets101WithUpgradeHeaders) {
  startWeir();
  TcpClient client(weir_->port());

  ASSERT_TRUE(client.send(upgradeRequest())) << client.error();
  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 101);
  EXPECT_EQ(lowercase(response.header("Upgrade")), "websocket") << escapeBytes(response.raw);
  EXPECT_EQ(lowercase(response.header("Connection")), "upgrade") << escapeBytes(response.raw);
  EXPECT_EQ(response.header("Sec-WebSocket-Accept"), kAccept);
  EXPECT_EQ(response.header("X-Server"), "s1");
  EXPECT_TRUE(response.body.empty());
}

TEST_F(WebSocketTest, ForwardsUpgradeAndConnectionHeadersToServer) {
  startWeir();

  TcpClient client = openTunnel();

  ASSERT_TRUE(backend_.waitForRecords(1));
  const RecordedRequest record = backend_.records().at(0);
  EXPECT_EQ(lowercase(record.header("Upgrade")), "websocket") << escapeBytes(record.head);
  EXPECT_EQ(lowercase(record.header("Connection")), "upgrade") << escapeBytes(record.head);
  EXPECT_EQ(record.header("Sec-WebSocket-Key"), kKey);
  EXPECT_EQ(record.header("Sec-WebSocket-Version"), "13");
}

TEST_F(WebSocketTest, TunnelsBytesBothWays) {
  startWeir();
  TcpClient client = openTunnel();

  for (const std::string_view message : {"hello", "a second, longer message", "3"}) {
    EXPECT_EQ(echoThroughTunnel(client, message), message);
  }
  const std::string big = binaryPayload(1024 * 1024);
  const std::string echoed = echoThroughTunnel(client, big, 10s);

  ASSERT_EQ(echoed.size(), big.size());
  EXPECT_TRUE(echoed == big);
}

TEST_F(WebSocketTest, ClosesTunnelIdlePastTunnelTimeout) {
  startWeir("300ms");
  TcpClient client = openTunnel();
  ASSERT_EQ(echoThroughTunnel(client, "ping"), "ping");
  const auto idleSince = std::chrono::steady_clock::now();

  const bool closed = client.isClosedByPeer(3s);

  const auto idle = std::chrono::steady_clock::now() - idleSince;
  EXPECT_TRUE(closed);
  EXPECT_GE(idle, 250ms);
  EXPECT_LT(idle, 2500ms);
  EXPECT_TRUE(waitFor([&] { return backend_.stats().open == 0; }, kDefaultTimeout));
}

TEST_F(WebSocketTest, KeepsBusyTunnelOpenPastTunnelTimeout) {
  startWeir("300ms");
  TcpClient client = openTunnel();

  // Eight exchanges 100ms apart: 800ms in all, never 300ms idle.
  for (int i = 0; i < 8; ++i) {
    ASSERT_FALSE(client.isClosedByPeer(100ms)) << "closed after exchange " << i;
    const std::string message = "tick " + std::to_string(i);
    ASSERT_EQ(echoThroughTunnel(client, message), message);
  }
}

TEST_F(WebSocketTest, ClosingClientClosesServerConnection) {
  startWeir();
  TcpClient client = openTunnel();
  ASSERT_EQ(echoThroughTunnel(client, "ping"), "ping");
  ASSERT_EQ(backend_.stats().open, 1u);

  client.close();

  EXPECT_TRUE(waitFor([&] { return backend_.stats().open == 0; }, kDefaultTimeout));
}

}  // namespace
}  // namespace weir::test

// Limits on a request head and on the time it may take (issue point 8): 431 for a head or a
// header count over `global.tune`, 414 for an over-long target, 408 for a head that does not
// arrive within `timeout.http_request`, a silent close of a keep-alive connection idle past
// `timeout.http_keep_alive`. Every one of these errors closes the connection: a request
// pipelined behind the rejected one is never read, let alone forwarded.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

const std::string kPipelined = "GET /after HTTP/1.1\r\nHost: weir.test\r\n\r\n";

/// simpleConfig() with `tuneYaml` (unindented "http_max_head: 2k" lines) as global.tune.
std::string configWithTune(const std::string& serverAddress, const std::string& tuneYaml,
                           const std::string& defaultsYaml = "") {
  std::string yaml = simpleConfig({serverAddress}, "", defaultsYaml);
  if (!tuneYaml.empty()) {
    const std::string global = "global:\n";
    yaml.insert(yaml.find(global) + global.size(), "  tune:\n" + indentYaml(tuneYaml, 4));
  }
  return yaml;
}

/// `count` header lines "X-Fill-N: aaa..." of `valueSize` value bytes each.
std::string fillerHeaders(std::size_t count, std::size_t valueSize) {
  std::string out;
  for (std::size_t i = 0; i < count; ++i) {
    out += fmt::format("X-Fill-{}: {}\r\n", i, std::string(valueSize, 'a'));
  }
  return out;
}

/// A keep-alive GET (so only weir's own decision can close the connection) with extra lines.
std::string getWith(const std::string& target, const std::string& headerLines) {
  return "GET " + target + " HTTP/1.1\r\nHost: weir.test\r\n" + headerLines + "\r\n";
}

bool saysClose(const HttpResponse& response) {
  std::string value = response.header("Connection");
  std::transform(value.begin(), value.end(), value.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return value.find("close") != std::string::npos;
}

/// One weir in front of one fake backend, with the limits and timeouts a test configures.
class RequestLimitsTest : public ::testing::Test {
 protected:
  void start(const std::string& tuneYaml = "", const std::string& defaultsYaml = "") {
    weir_ = std::make_unique<WeirInstance>(configWithTune(backend_.address(), tuneYaml, defaultsYaml));
  }

  /// Sends `request` with kPipelined right behind it on one connection and expects exactly
  /// one response, `status` with Connection: close, then the close -- and kPipelined never
  /// reaching the backend.
  void expectRejectedAndClosed(const std::string& request, int status) {
    TcpClient client(weir_->port());
    ASSERT_TRUE(client.isConnected()) << client.error();

    ASSERT_TRUE(client.send(request + kPipelined)) << client.error();
    const HttpResponse response = client.readResponse();
    const std::string after = client.readUntilClosed();
    const bool closed = client.isClosedByPeer(0ms);

    ASSERT_TRUE(response.ok()) << response.error;
    EXPECT_EQ(response.status, status) << response.describe();
    EXPECT_TRUE(saysClose(response)) << escapeBytes(response.raw);
    EXPECT_EQ(after, "") << "bytes after the error response: " << escapeBytes(after);
    EXPECT_TRUE(closed) << "connection still open after the " << status;
    expectBackendSawOnlySync();
  }

  /// Sends `request` and expects a 200 from the backend with `target`.
  void expectAccepted(const std::string& request, const std::string& target) {
    TcpClient client(weir_->port());
    ASSERT_TRUE(client.send(request)) << client.error();
    const HttpResponse response = client.readResponse();

    EXPECT_EQ(response.status, 200) << response.describe();
    EXPECT_EQ(response.header("X-Server"), "s1");
    ASSERT_TRUE(backend_.waitForRecords(1));
    EXPECT_EQ(backend_.records().at(0).target, target);
  }

  /// A normal request on a connection of its own; once it is recorded, whatever weir forwarded
  /// from earlier (closed) connections is recorded too, and nothing else may be there.
  void expectBackendSawOnlySync() {
    const HttpResponse sync = httpGet(weir_->port(), "/sync");
    EXPECT_EQ(sync.status, 200) << sync.describe();
    ASSERT_TRUE(backend_.waitForRecords(1));
    const std::vector<RecordedRequest> records = backend_.records();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.size(), 1u);
    for (const RecordedRequest& r : records) {
      EXPECT_EQ(r.target, "/sync") << "reached the backend: " << escapeBytes(r.head, 200);
    }
  }

  FakeBackend backend_{"s1"};
  std::unique_ptr<WeirInstance> weir_;
};

// --- head size: 431 -----------------------------------------------------------------------------

TEST_F(RequestLimitsTest, HeaderValueOverDefault16kHeadGets431AndClose) {
  start();

  expectRejectedAndClosed(getWith("/big", fillerHeaders(1, 17 * 1024)), 431);
}

TEST_F(RequestLimitsTest, ManyHeadersSummingOverDefault16kHeadGet431AndClose) {
  start();

  expectRejectedAndClosed(getWith("/big", fillerHeaders(40, 450)), 431);  // ~18.6k, 41 lines
}

TEST_F(RequestLimitsTest, HeadJustUnderDefault16kIsForwarded) {
  start();

  expectAccepted(getWith("/fits", fillerHeaders(30, 480)), "/fits");  // ~15.2k
  EXPECT_EQ(backend_.records().at(0).header("X-Fill-29"), std::string(480, 'a'));
}

TEST_F(RequestLimitsTest, ConfiguredHeadLimitRejects3kHeadWith431) {
  start("http_max_head: 2k");

  expectRejectedAndClosed(getWith("/big", fillerHeaders(6, 480)), 431);  // ~3k
}

TEST_F(RequestLimitsTest, ConfiguredHeadLimitForwards1kHead) {
  start("http_max_head: 2k");

  expectAccepted(getWith("/fits", fillerHeaders(2, 480)), "/fits");  // ~1k
}

// --- header count: 431 --------------------------------------------------------------------------

TEST_F(RequestLimitsTest, MoreHeadersThanDefaultCountGet431AndClose) {
  start();

  expectRejectedAndClosed(getWith("/many", fillerHeaders(150, 1)), 431);  // ~2k: not the size
}

TEST_F(RequestLimitsTest, HeadersUpToConfiguredCountAreForwarded) {
  start("http_max_headers: 20");

  expectAccepted(getWith("/twenty", fillerHeaders(19, 1)), "/twenty");  // Host + 19
}

TEST_F(RequestLimitsTest, OneHeaderOverConfiguredCountGets431AndClose) {
  start("http_max_headers: 20");

  expectRejectedAndClosed(getWith("/twentyone", fillerHeaders(20, 1)), 431);  // Host + 20
}

// --- target length: 414 -------------------------------------------------------------------------

TEST_F(RequestLimitsTest, TargetOverDefault8kGets414AndClose) {
  start();

  expectRejectedAndClosed(getWith("/" + std::string(9 * 1024, 'u'), ""), 414);
}

TEST_F(RequestLimitsTest, TargetOverConfiguredLimitGets414AndClose) {
  start("http_max_uri: 1k");

  expectRejectedAndClosed(getWith("/" + std::string(1500, 'u'), ""), 414);
}

TEST_F(RequestLimitsTest, TargetUnderConfiguredLimitIsForwarded) {
  start("http_max_uri: 1k");
  const std::string target = "/" + std::string(900, 'u');

  expectAccepted(getWith(target, ""), target);
}

// --- timeouts -----------------------------------------------------------------------------------

constexpr std::string_view kShortRequestTimeout =
    "timeout:\n  connect: 1s\n  client: 10s\n  server: 10s\n  http_request: 300ms\n"
    "  http_keep_alive: 10s";

TEST_F(RequestLimitsTest, IncompleteHeadGets408AfterHttpRequestTimeoutAndClose) {
  start("", std::string(kShortRequestTimeout));
  const auto connectedBefore = Clock::now();
  TcpClient client(weir_->port());

  ASSERT_TRUE(client.send("GET /slow HTTP/1.1\r\nHost: weir.test\r\n")) << client.error();
  const HttpResponse response = client.readResponse();
  const auto elapsed = Clock::now() - connectedBefore;
  const std::string after = client.readUntilClosed();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 408) << response.describe();
  EXPECT_TRUE(saysClose(response)) << escapeBytes(response.raw);
  EXPECT_GE(elapsed, 250ms) << "408 long before timeout.http_request (300ms)";
  EXPECT_EQ(after, "") << escapeBytes(after);
  EXPECT_TRUE(client.isClosedByPeer(0ms));
  expectBackendSawOnlySync();
}

/// Slowloris: bytes that keep coming do not extend the time the whole head may take.
TEST_F(RequestLimitsTest, TricklingHeadStillGets408AtHttpRequestTimeout) {
  start("", std::string(kShortRequestTimeout));
  const auto connectedBefore = Clock::now();
  TcpClient client(weir_->port());
  ASSERT_TRUE(client.send("GET /slow HTTP/1.1\r\nHost: weir.test\r\n")) << client.error();

  // One more header line every 50ms until weir closes (or a deadline far past 300ms).
  const auto giveUp = connectedBefore + kDefaultTimeout;
  for (int line = 0; !client.isClosedByPeer(50ms) && Clock::now() < giveUp; ++line) {
    client.send(fmt::format("X-Slow-{}: v\r\n", line));  // fails once weir has closed: fine
  }
  const auto elapsed = Clock::now() - connectedBefore;
  const HttpResponse response = client.readResponse();

  EXPECT_TRUE(client.isClosedByPeer(0ms)) << "still open after the deadline";
  EXPECT_GE(elapsed, 250ms);
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 408) << response.describe();
}

TEST_F(RequestLimitsTest, IdleKeepAliveConnectionClosesSilentlyAfterKeepAliveTimeout) {
  start("",
        "timeout:\n  connect: 1s\n  client: 10s\n  server: 10s\n  http_request: 10s\n"
        "  http_keep_alive: 300ms");
  TcpClient client(weir_->port());
  ASSERT_TRUE(client.send(getWith("/first", ""))) << client.error();
  const HttpResponse first = client.readResponse();
  ASSERT_EQ(first.status, 200) << first.describe();
  const auto idleFrom = Clock::now();

  const std::string after = client.readUntilClosed();
  const auto idle = Clock::now() - idleFrom;

  EXPECT_TRUE(client.isClosedByPeer(0ms)) << "keep-alive connection still open";
  EXPECT_EQ(after, "") << "bytes on an idle close: " << escapeBytes(after);
  EXPECT_GE(idle, 250ms) << "closed long before timeout.http_keep_alive (300ms)";
  EXPECT_FALSE(saysClose(first)) << "the first response should have kept the connection";
}

// Each response starts timeout.http_keep_alive afresh: a client that comes back every 200ms
// keeps a 300ms keep-alive connection for as long as it likes (weir's one session timer is
// armed for the first deadline and moves on when it fires early).
TEST_F(RequestLimitsTest, KeepAliveTimeoutCountsFromTheLastResponse) {
  start("",
        "timeout:\n  connect: 1s\n  client: 10s\n  server: 10s\n  http_request: 10s\n"
        "  http_keep_alive: 300ms");
  TcpClient client(weir_->port());
  for (int i = 0; i < 4; ++i) {
    if (i > 0) std::this_thread::sleep_for(200ms);  // the scenario: idle, but less than the timeout
    ASSERT_TRUE(client.send(getWith("/again-" + std::to_string(i), ""))) << client.error();
    const HttpResponse response = client.readResponse();
    ASSERT_EQ(response.status, 200) << "request " << i << ": " << response.describe();
  }
  const auto idleFrom = Clock::now();

  EXPECT_EQ(client.readUntilClosed(), "");
  EXPECT_TRUE(client.isClosedByPeer(0ms));
  EXPECT_GE(Clock::now() - idleFrom, 250ms);
}

}  // namespace
}  // namespace weir::test

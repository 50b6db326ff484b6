// Issue point 10, end to end: connect failures and retries, redispatch, passive health, and
// the one table that maps a server's failure to 502 / 503 / 504.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <charconv>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "support/fake_backend.h"
#include "support/access_log_line.h"
#include "support/httplog_line.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;



/// "127.0.0.1:PORT" where nothing listens: a port held by a socket that is bound but never
/// listens, so a connect is refused, for as long as the test runs. (A port merely freed could
/// be handed to weir's own `:0` listener, and weir would then proxy to itself.)
std::string deadAddress() {
  struct HeldPorts {
    std::vector<int> fds;
    ~HeldPorts() {
      for (int fd : fds) ::close(fd);
    }
  };
  static HeldPorts held;  // one process per test (ctest): freed at its exit
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ADD_FAILURE() << "cannot hold a port";
    if (fd >= 0) ::close(fd);
    return "127.0.0.1:9";
  }
  held.fds.push_back(fd);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

/// A listening socket that never accepts, with its accept queue filled by one connection of
/// its own: Linux drops every further SYN while the queue is full, so a connect to it hangs
/// until the connecting side gives up — a loopback blackhole.
class Blackhole {
 public:
  Blackhole() {
    listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
        ::listen(listener_, 0) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      ADD_FAILURE() << "cannot set up a listening socket";
      return;
    }
    port_ = ntohs(address.sin_port);
    filler_.emplace(port_, 1s);  // takes the one place in the accept queue
  }
  ~Blackhole() {
    if (listener_ >= 0) ::close(listener_);
  }
  Blackhole(const Blackhole&) = delete;
  Blackhole& operator=(const Blackhole&) = delete;

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  /// True when a fresh connect really hangs (the premise of the tests that use this).
  bool swallowsConnects() const {
    const TcpClient probe(port_, 300ms);
    return !probe.isConnected() && probe.error().find("timed out") != std::string::npos;
  }

 private:
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::optional<TcpClient> filler_;
};

class UpstreamFailures : public ::testing::Test {};

// --- connect failures: retries and redispatch --------------------------------------------

TEST_F(UpstreamFailures, RetriesRefusedConnectOnAnotherServerWithRedispatch) {
  FakeBackend live("live");
  // s1 is dead and first in the round-robin order, so the first request meets the refusal.
  WeirInstance weir(simpleConfig({deadAddress(), live.address()}, "", "retries: 3\nredispatch: true"));

  const HttpResponse response = httpGet(weir.port(), "/redispatch");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("X-Server"), "live");
  const HttpLogLine log = logLineFor(weir, "/redispatch");
  EXPECT_EQ(log.status, 200);
  EXPECT_EQ(log.server, "s2");
  EXPECT_EQ(log.retries, 1);
  EXPECT_EQ(log.termination, "----");
}

TEST_F(UpstreamFailures, GivesUp503AfterRetriesOnOneDeadServerWithoutRedispatch) {
  WeirInstance weir(simpleConfig({deadAddress()}, "", "retries: 2\nredispatch: false"));

  const HttpResponse response = httpGet(weir.port(), "/no-redispatch");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  const HttpLogLine log = logLineFor(weir, "/no-redispatch");
  EXPECT_EQ(log.status, 503);
  EXPECT_EQ(log.retries, 2);  // three attempts in all
  EXPECT_EQ(log.termination, "SC--");
}

TEST_F(UpstreamFailures, RedispatchWithNoOtherServerRetriesTheSameOneUpToRetries) {
  WeirInstance weir(simpleConfig({deadAddress()}, "", "retries: 3\nredispatch: true"));

  const HttpResponse response = httpGet(weir.port(), "/only-one");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  const HttpLogLine log = logLineFor(weir, "/only-one");
  EXPECT_EQ(log.retries, 3);  // four attempts, all on the one server there is
  EXPECT_EQ(log.termination, "SC--");
}

TEST_F(UpstreamFailures, KeepsRetryingTheSameServerWhenRedispatchIsOff) {
  FakeBackend live("live");
  WeirInstance weir(simpleConfig({deadAddress(), live.address()}, "", "retries: 2\nredispatch: false"));

  const HttpResponse response = httpGet(weir.port(), "/stay");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(logLineFor(weir, "/stay").server, "s1");
  EXPECT_EQ(live.stats().requests, 0u);
}

TEST_F(UpstreamFailures, Answers503WithShortBodyWhenEveryServerIsDead) {
  WeirInstance weir(simpleConfig({deadAddress(), deadAddress()}, "", "retries: 3\nredispatch: true"));

  const HttpResponse response = httpGet(weir.port(), "/all-dead");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  EXPECT_FALSE(response.body.empty());
  EXPECT_LT(response.body.size(), 200u) << response.body;
  const HttpLogLine log = logLineFor(weir, "/all-dead");
  EXPECT_EQ(log.status, 503);
  EXPECT_EQ(log.termination, "SC--");
}

TEST_F(UpstreamFailures, ClosesClientConnectionAfter503WhenRequestBodyIsUnread) {
  WeirInstance weir(simpleConfig({deadAddress()}, "", "retries: 1\nredispatch: false"));
  TcpClient client(weir.port());
  // Only part of the announced body is sent: the connection cannot carry another request.
  ASSERT_TRUE(
      client.send("POST /unread HTTP/1.1\r\nHost: weir\r\nContent-Length: 100000\r\n\r\n" + std::string(1000, 'b')));

  const HttpResponse response = client.readResponse();

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.header("Connection"), "close");
  EXPECT_TRUE(client.isClosedByPeer());
}

TEST_F(UpstreamFailures, KeepsClientConnectionAfter503ToACompleteRequest) {
  WeirInstance weir(simpleConfig({deadAddress()}, "", "retries: 1\nredispatch: false"));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /first HTTP/1.1\r\nHost: weir\r\n\r\n"));
  const HttpResponse first = client.readResponse();
  ASSERT_EQ(first.status, 503) << first.describe();
  EXPECT_NE(first.header("Connection"), "close");

  ASSERT_TRUE(client.send("GET /second HTTP/1.1\r\nHost: weir\r\nConnection: close\r\n\r\n"));
  const HttpResponse second = client.readResponse();

  ASSERT_TRUE(second.ok()) << second.error;
  EXPECT_EQ(second.status, 503);
}

TEST_F(UpstreamFailures, Answers503WhenConnectTimesOut) {
  Blackhole blackhole;
  if (!blackhole.swallowsConnects()) GTEST_SKIP() << "this kernel does not drop SYNs to a full accept queue";
  WeirInstance weir(
      simpleConfig({blackhole.address()}, "", "retries: 0\ntimeout:\n  connect: 300ms\n  client: 10s\n  server: 10s"));
  const auto start = Clock::now();

  const HttpResponse response = httpGet(weir.port(), "/blackhole");

  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 503);
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 3s);
  EXPECT_EQ(logLineFor(weir, "/blackhole").termination, "sC--");
}

// --- passive health ----------------------------------------------------------------------

TEST_F(UpstreamFailures, SkipsRefusingServerForFailTimeout) {
  FakeBackend live("live");
  WeirInstance weir(
      simpleConfig({deadAddress(), live.address()}, "max_fails: 1\nfail_timeout: 10s", "retries: 3\nredispatch: true"));
  ASSERT_EQ(httpGet(weir.port(), "/first").status, 200);
  ASSERT_EQ(logLineFor(weir, "/first").retries, 1);

  for (int i = 0; i < 4; ++i) {
    const std::string target = "/after-" + std::to_string(i);
    const HttpResponse response = httpGet(weir.port(), target);

    EXPECT_EQ(response.header("X-Server"), "live") << target;
    const HttpLogLine log = logLineFor(weir, target);
    EXPECT_EQ(log.server, "s2") << target;
    EXPECT_EQ(log.retries, 0) << target;  // s1 was not even tried
  }
}

TEST_F(UpstreamFailures, TriesRefusingServerAgainAfterFailTimeout) {
  FakeBackend live("live");
  WeirInstance weir(simpleConfig({deadAddress(), live.address()}, "max_fails: 1\nfail_timeout: 300ms",
                                 "retries: 3\nredispatch: true"));
  const auto start = Clock::now();
  ASSERT_EQ(httpGet(weir.port(), "/first").status, 200);
  ASSERT_EQ(logLineFor(weir, "/first").retries, 1);

  int sent = 0;
  const bool triedAgain = waitFor(
      [&] {
        const std::string target = "/again-" + std::to_string(sent++);
        return httpGet(weir.port(), target).status == 200 && logLineFor(weir, target).retries == 1;
      },
      3s);

  EXPECT_TRUE(triedAgain);
  EXPECT_GE(Clock::now() - start, 300ms);
}

// --- failures once connected -------------------------------------------------------------

TEST_F(UpstreamFailures, Answers504WhenServerDoesNotAnswerWithinServerTimeout) {
  FakeBackend backend("silent");
  WeirInstance weir(simpleConfig({backend.address()}, "", "timeout:\n  connect: 1s\n  client: 10s\n  server: 300ms"));
  const auto start = Clock::now();

  const HttpResponse response = httpGet(weir.port(), "/?noresponse=1");

  const auto elapsed = Clock::now() - start;
  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 504);
  EXPECT_FALSE(response.body.empty());
  EXPECT_GE(elapsed, 290ms);
  EXPECT_LT(elapsed, 3s);
  const HttpLogLine log = logLineFor(weir, "/?noresponse=1");
  EXPECT_EQ(log.status, 504);
  EXPECT_EQ(log.termination, "sH--");
}

// timeout.server is the server's silence since its last byte, also on a reused connection: a
// server that sends part of a response at 200 ms and then stops is cut 300 ms after that.
TEST_F(UpstreamFailures, ServerTimeoutCountsFromTheServersLastByte) {
  FakeBackend backend("stalling");
  WeirInstance weir(simpleConfig({backend.address()}, "max_fails: 0", "timeout:\n  connect: 1s\n  client: 10s\n  server: 300ms"));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /first HTTP/1.1\r\nHost: weir\r\n\r\n"));
  ASSERT_EQ(client.readResponse().status, 200);  // leaves a pooled connection behind
  const auto start = Clock::now();

  ASSERT_TRUE(client.send("GET /?delay=200&size=1000&stall_after=100 HTTP/1.1\r\nHost: weir\r\n\r\n"));
  const std::string received = client.readUntilClosed();

  const auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, 480ms);
  EXPECT_LT(elapsed, 3s);
  const std::size_t headEnd = received.find("\r\n\r\n");
  ASSERT_NE(headEnd, std::string::npos) << escapeBytes(received);
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << escapeBytes(received);
  EXPECT_EQ(received.size() - headEnd - 4, 100u);
  EXPECT_EQ(backend.stats().connections, 1);
  EXPECT_EQ(logLineFor(weir, "/?delay=200&size=1000&stall_after=100").termination, "sD--");
}

// While weir holds a server back because the client reads slowly, the server is not silent.
TEST_F(UpstreamFailures, SlowClientDoesNotCountAgainstServerTimeout) {
  FakeBackend backend("big");
  WeirInstance weir(simpleConfig({backend.address()}, "", "timeout:\n  connect: 1s\n  client: 10s\n  server: 300ms"));
  TcpClient client(weir.port());
  constexpr std::size_t kSize = 32u << 20;  // far more than the socket buffers on the way hold
  ASSERT_TRUE(client.send("GET /?size=" + std::to_string(kSize) + " HTTP/1.1\r\nHost: weir\r\n\r\n"));

  std::this_thread::sleep_for(700ms);  // the scenario itself: a client reading nothing for > timeout.server
  const HttpResponse response = client.readResponse(20s);

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body.size(), kSize);
  EXPECT_EQ(logLineFor(weir, "/?size=" + std::to_string(kSize)).termination, "----");
}

TEST_F(UpstreamFailures, CutsClientShortWhenServerDiesMidResponse) {
  FakeBackend backend("dying");
  WeirInstance weir(simpleConfig({backend.address()}));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /?size=100000&close_after=1000 HTTP/1.1\r\nHost: weir\r\n\r\n"));

  const std::string received = client.readUntilClosed();

  EXPECT_TRUE(client.isClosedByPeer(0ms));
  const std::size_t headEnd = received.find("\r\n\r\n");
  ASSERT_NE(headEnd, std::string::npos) << escapeBytes(received);
  EXPECT_EQ(received.rfind("HTTP/1.1 200", 0), 0u) << escapeBytes(received);
  EXPECT_NE(received.find("\r\nContent-Length: 100000\r\n"), std::string::npos) << escapeBytes(received);
  const std::size_t bodyBytes = received.size() - headEnd - 4;
  EXPECT_LE(bodyBytes, 1000u);
  EXPECT_EQ(logLineFor(weir, "/?size=100000&close_after=1000").termination, "SD--");
}

TEST_F(UpstreamFailures, KeepsServingAfterServerDiedMidResponse) {
  FakeBackend backend("dying");
  WeirInstance weir(simpleConfig({backend.address()}, "max_fails: 0"));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /?size=100000&close_after=1000 HTTP/1.1\r\nHost: weir\r\n\r\n"));
  ASSERT_TRUE(client.isClosedByPeer());

  const HttpResponse next = httpGet(weir.port(), "/next");

  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.status, 200);
  EXPECT_EQ(next.header("X-Server"), "dying");
}

TEST_F(UpstreamFailures, Answers502WhenServerResetsBeforeAnswering) {
  FakeBackend backend("rude");
  WeirInstance weir(simpleConfig({backend.address()}));

  const HttpResponse response = httpGet(weir.port(), "/?reset=1");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 502);
  EXPECT_FALSE(response.body.empty());
  EXPECT_LT(response.body.size(), 200u) << response.body;
  const HttpLogLine log = logLineFor(weir, "/?reset=1");
  EXPECT_EQ(log.status, 502);
  EXPECT_EQ(log.termination, "SH--");
}

TEST_F(UpstreamFailures, Answers502ToMalformedResponse) {
  FakeBackend backend("garbled");
  WeirInstance weir(simpleConfig({backend.address()}));

  const HttpResponse response = httpGet(weir.port(), "/?bad=1");

  ASSERT_TRUE(response.ok()) << response.error;
  EXPECT_EQ(response.status, 502);
  EXPECT_EQ(response.body.find("hello"), std::string::npos) << response.body;
  const HttpLogLine log = logLineFor(weir, "/?bad=1");
  EXPECT_EQ(log.status, 502);
  EXPECT_EQ(log.termination, "PH--");
}

TEST_F(UpstreamFailures, KeepsClientConnectionAfter502) {
  FakeBackend backend("garbled");
  WeirInstance weir(simpleConfig({backend.address()}, "max_fails: 0"));
  TcpClient client(weir.port());
  ASSERT_TRUE(client.send("GET /?bad=1 HTTP/1.1\r\nHost: weir\r\n\r\n"));
  const HttpResponse failed = client.readResponse();
  ASSERT_EQ(failed.status, 502) << failed.describe();

  ASSERT_TRUE(client.send("GET /fine HTTP/1.1\r\nHost: weir\r\nConnection: close\r\n\r\n"));
  const HttpResponse next = client.readResponse();

  ASSERT_TRUE(next.ok()) << next.error;
  EXPECT_EQ(next.status, 200);
}

}  // namespace
}  // namespace weir::test

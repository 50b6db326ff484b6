// Issue 3, point 6 end to end: which failed requests weir sends again. A request lost to a
// keep-alive race (the server closed the reused connection before answering) goes again for
// any method; one the server may have processed goes again only when idempotent and only
// while the client has received nothing.

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <thread>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/simple_config.h"
#include "support/tcp_client.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

size_t countTarget(const FakeBackend& backend, const std::string& target) {
  size_t n = 0;
  for (const RecordedRequest& r : backend.records()) n += r.target == target ? 1 : 0;
  return n;
}

TEST(RetrySafety, ResendsAPostLostToAClosedKeepAliveConnectionOnAFreshOne) {
  FakeBackend a("a");
  WeirInstance weir(simpleConfig({a.address()}, "timeout: {upstream_idle: 60s}"));

  // The first answer keeps the connection, and the server drops it on the next request.
  ASSERT_EQ(httpGet(weir.port(), "/?drop_next=1").status, 200);
  const HttpResponse r = httpRequest(weir.port(), "POST", "/order", {}, "item=42");

  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(countTarget(a, "/order"), 2u) << "sent once on the dropped connection, once on a fresh one";
  for (const RecordedRequest& rec : a.records()) {
    if (rec.target == "/order") {
      EXPECT_EQ(rec.body, "item=42");
    }
  }
  EXPECT_EQ(a.stats().connections, 2u);
}

TEST(RetrySafety, ResendsAChunkedBodyExactlyAsFirstSent) {
  FakeBackend a("a");
  WeirInstance weir(simpleConfig({a.address()}, "timeout: {upstream_idle: 60s}"));
  ASSERT_EQ(httpGet(weir.port(), "/?drop_next=1").status, 200);

  const HttpResponse r = httpRequest(weir.port(), "POST", "/chunked", {"Transfer-Encoding: chunked"},
                                     "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");

  EXPECT_EQ(r.status, 200);
  ASSERT_EQ(countTarget(a, "/chunked"), 2u);
  for (const RecordedRequest& rec : a.records()) {
    if (rec.target == "/chunked") {
      EXPECT_EQ(rec.body, "hello world");
    }
  }
}

TEST(RetrySafety, DoesNotResendABodyTooLongToKeep) {
  FakeBackend a("a");
  WeirInstance weir(simpleConfig({a.address()}, "timeout: {upstream_idle: 60s}"));
  ASSERT_EQ(httpGet(weir.port(), "/?drop_next=1").status, 200);

  const std::string body(200 * 1024, 'x');  // beyond the 64 KiB kept for a resend
  const HttpResponse r = httpRequest(weir.port(), "POST", "/upload", {}, body);

  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(countTarget(a, "/upload"), 1u);
}

TEST(RetrySafety, DoesNotResendAPostTheServerMayHaveProcessed) {
  FakeBackend a("a", {.routes = {"/pay=reset=1"}});
  FakeBackend b("b", {.routes = {"/pay=reset=1"}});
  WeirInstance weir(simpleConfig({a.address(), b.address()}, "max_fails: 0\nkeepalive: 0"));

  const HttpResponse r = httpRequest(weir.port(), "POST", "/pay", {}, "amount=1");

  EXPECT_EQ(r.status, 502);
  EXPECT_EQ(countTarget(a, "/pay") + countTarget(b, "/pay"), 1u) << "a POST must reach one server once";
}

TEST(RetrySafety, ResendsAnIdempotentRequestToAnotherServer) {
  FakeBackend a("a", {.routes = {"/item=reset=1"}});
  FakeBackend b("b");
  WeirInstance weir(simpleConfig({a.address(), b.address()}, "max_fails: 0\nkeepalive: 0"));

  for (const char* method : {"GET", "PUT", "DELETE", "GET"}) {
    const HttpResponse r = httpRequest(weir.port(), method, "/item");
    EXPECT_EQ(r.status, 200) << method;
    EXPECT_EQ(r.header("X-Server"), "b") << method;
  }
  EXPECT_GE(countTarget(a, "/item"), 1u) << "round-robin sent some of them to a first";
}

TEST(RetrySafety, DoesNotResendOnceTheClientHasPartOfTheResponse) {
  FakeBackend a("a", {.routes = {"/big=size=100000&close_after=10"}});
  FakeBackend b("b", {.routes = {"/big=size=100000&close_after=10"}});
  WeirInstance weir(simpleConfig({a.address(), b.address()}, "max_fails: 0\nkeepalive: 0"));

  TcpClient client(weir.port());
  ASSERT_TRUE(client.send(formatRequest("GET", "/big", weir.port())));
  const std::string got = client.readUntilClosed(5s);

  EXPECT_NE(got.find("200"), std::string::npos);
  EXPECT_LT(got.size(), 1000u) << "the client got the cut response, not a second one";
  EXPECT_EQ(countTarget(a, "/big") + countTarget(b, "/big"), 1u);
}

TEST(RetrySafety, NoBadGatewayWhenTheServerClosesIdleConnectionsAsRequestsArrive) {
  // The server closes a connection idle for 50 ms and a request comes every ~50 ms: many of
  // them race with the close. None may reach the client as a 502.
  FakeBackend a("a", {.routes = {}, .idleTimeoutMs = 50});
  WeirInstance weir(simpleConfig({a.address()}, "timeout: {upstream_idle: 60s}\nmax_fails: 0"));

  std::mt19937 random(7);
  std::uniform_int_distribution<int> jitterUs(-3000, 3000);
  int failures = 0;
  for (int i = 0; i < 200; ++i) {
    const HttpResponse r = i % 2 == 0 ? httpGet(weir.port(), "/tick") : httpRequest(weir.port(), "POST", "/tick", {}, "x");
    if (r.status != 200) ++failures;
    std::this_thread::sleep_for(std::chrono::microseconds(50000 + jitterUs(random)));
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(a.stats().connections, 20u) << "the server's closes should have forced new connections";
}

}  // namespace
}  // namespace weir::test

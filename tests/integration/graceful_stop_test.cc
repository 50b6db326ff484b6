// Issue 9 point 3, graceful stop with the real binary: on SIGTERM weir closes its listeners and
// its idle keep-alive connections at once, lets a request in flight finish (its response says
// Connection: close), then exits 0 and removes its --pidfile; a tunnel that outlives
// global.grace is closed when the grace period ends; SIGINT stops at once.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/tcp_client.h"
#include "support/temp_dir.h"
#include "support/wait_for.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

std::string config(const FakeBackend& backend, const std::string& grace) {
  return fmt::format(R"(global: {{ threads: 2, log: stdout, grace: {} }}
frontends:
  web:
    bind: ["127.0.0.1:0"]
    default_backend: app
backends:
  app:
    servers: [{{ name: s1, address: "{}" }}]
)",
                     grace, backend.address());
}

std::string request(const std::string& target) {
  return "GET " + target + " HTTP/1.1\r\nHost: weir.test\r\n\r\n";
}

TEST(GracefulStop, InFlightRequestsFinishIdleOnesCloseAndNewOnesAreRefused) {
  FakeBackend backend("s1");
  TempDir dir;
  const std::string pidFile = dir.filePath("weir.pid").string();
  WeirInstance weir(config(backend, "10s"), {}, {"--pidfile", pidFile});
  const std::uint16_t port = weir.port("web");
  std::string pid;
  std::ifstream(pidFile) >> pid;
  EXPECT_EQ(pid, std::to_string(weir.pid())) << "the pid file names the running weir";

  TcpClient idle(port);
  ASSERT_TRUE(idle.send(request("/first")));
  ASSERT_EQ(idle.readResponse().status, 200);  // now idle, kept alive
  TcpClient busy(port);
  ASSERT_TRUE(busy.send(request("/slow?delay=800")));
  ASSERT_TRUE(backend.waitForRecords(2)) << "the slow request reached the server";

  ASSERT_TRUE(weir.signal(SIGTERM));
  EXPECT_TRUE(idle.isClosedByPeer()) << "an idle keep-alive connection closes at once";
  EXPECT_TRUE(waitFor([&] { return !TcpClient(port, 200ms).isConnected(); }, kDefaultTimeout))
      << "the listeners are closed";
  const HttpResponse slow = busy.readResponse();
  EXPECT_EQ(slow.status, 200) << "the request in flight finished";
  EXPECT_EQ(slow.header("Connection"), "close");
  EXPECT_TRUE(busy.isClosedByPeer());

  EXPECT_EQ(weir.waitExit(5s), std::optional<int>(0));
  EXPECT_NE(weir.log().find("graceful stop: every connection finished after"), std::string::npos) << weir.log();
  EXPECT_FALSE(std::filesystem::exists(pidFile)) << "removed at exit";
}

TEST(GracefulStop, ATunnelStillOpenWhenTheGraceEndsIsClosed) {
  FakeBackend backend("s1");
  WeirInstance weir(config(backend, "300ms"));
  TcpClient tunnel(weir.port("web"));
  ASSERT_TRUE(tunnel.send("GET /ws?upgrade=1 HTTP/1.1\r\nHost: weir.test\r\nConnection: Upgrade\r\n"
                          "Upgrade: websocket\r\n\r\n"));
  ASSERT_EQ(tunnel.readResponse().status, 101);
  ASSERT_TRUE(weir.signal(SIGTERM));
  EXPECT_EQ(weir.waitExit(5s), std::optional<int>(0));
  EXPECT_NE(weir.log().find("grace period (300 ms) is over: closing 1 connection(s)"), std::string::npos)
      << weir.log();
  EXPECT_TRUE(tunnel.isClosedByPeer());
}

TEST(GracefulStop, SigintStopsAtOnce) {
  FakeBackend backend("s1");
  WeirInstance weir(config(backend, "30s"));
  TcpClient busy(weir.port("web"));
  ASSERT_TRUE(busy.send(request("/slow?delay=5000")));
  ASSERT_TRUE(backend.waitForRecords(1));
  ASSERT_TRUE(weir.signal(SIGINT));
  EXPECT_EQ(weir.waitExit(3s), std::optional<int>(0)) << "no wait for the 5 s response";
  EXPECT_NE(weir.log().find("SIGINT: stopping now"), std::string::npos) << weir.log();
}

}  // namespace
}  // namespace weir::test

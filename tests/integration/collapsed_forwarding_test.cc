// Issue 6, collapsed forwarding: concurrent cacheable misses on one URL send one request to
// the server and share its response, across workers; a response that may not be stored
// releases the waiting requests to the server; a client leaving while it waits harms nobody.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <set>
#include <string>
#include <vector>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/tcp_client.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

class CollapsedForwardingTest : public ::testing::Test {
 protected:
  FakeBackend backend_{"app"};
  // Two workers: the 50 connections are spread over both, and still make one server request.
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    cache:
      - use: assets if {{ path_beg /c/ }}
    default_backend: be
caches:
  assets: {{ total_max_size: 1m, max_object_size: 16k, max_age: 1h }}
backends:
  be: {{ servers: [{{ name: s1, address: "{}" }}] }}
)",
                                 backend_.address())};

  size_t backendSaw(const std::string& prefix) const { return backend_.countTarget(prefix); }

  /// `count` connections send GET `target` at once (while the server delays its answer).
  std::vector<TcpClient> sendConcurrently(const std::string& target, int count) {
    std::vector<TcpClient> clients;
    for (int i = 0; i < count; ++i) {
      clients.emplace_back(weir_.port());
      EXPECT_TRUE(clients.back().isConnected()) << clients.back().error();
    }
    const std::string request = fmt::format("GET {} HTTP/1.1\r\nHost: collapse.test\r\n\r\n", target);
    for (TcpClient& c : clients) EXPECT_TRUE(c.send(request)) << c.error();
    return clients;
  }
};

TEST_F(CollapsedForwardingTest, FiftyConcurrentMissesSendOneRequestToTheServer) {
  const std::string target = "/c/slow?delay=600&size=5000";
  std::vector<TcpClient> clients = sendConcurrently(target, 50);
  // A client that gives up while waiting is dropped from the wait, nobody else notices.
  clients.back().closeWithReset();
  clients.pop_back();
  int stored = 0;
  int collapsed = 0;
  for (TcpClient& c : clients) {
    const HttpResponse r = c.readResponse();
    ASSERT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.body.size(), 5000u);
    const std::string status = r.header("Cache-Status");
    stored += status == "weir; fwd=miss; stored" ? 1 : 0;
    collapsed += status == "weir; fwd=miss; collapsed" ? 1 : 0;
  }
  EXPECT_EQ(backendSaw("/c/slow"), 1u);
  EXPECT_EQ(stored, 1) << "one request went to the server";
  EXPECT_EQ(collapsed, 48) << "every other one shared its response";
  // Both workers keep the response: every later request is a hit without waiting.
  for (int i = 0; i < 6; ++i) {
    const HttpResponse r = httpGet(weir_.port(), target, {"Host: collapse.test"});
    EXPECT_EQ(r.header("Cache-Status"), "weir; hit") << i;
  }
  EXPECT_EQ(backendSaw("/c/slow"), 1u);
}

TEST_F(CollapsedForwardingTest, AResponseThatMayNotBeStoredReleasesTheWaitingRequests) {
  const std::string target = "/c/private?delay=300&header=Cache-Control:%20no-store";
  std::vector<TcpClient> clients = sendConcurrently(target, 5);
  for (TcpClient& c : clients) {
    const HttpResponse r = c.readResponse();
    EXPECT_EQ(r.status, 200) << r.error;
    EXPECT_EQ(r.header("Cache-Status"), "weir; fwd=miss");
  }
  EXPECT_EQ(backendSaw("/c/private"), 5u) << "each one asked the server, as nothing could be shared";
}

TEST_F(CollapsedForwardingTest, ADifferentVariantAsksTheServerItself) {
  const std::string target = "/c/vary?delay=300&header=Vary:%20Accept-Language";
  TcpClient english(weir_.port());
  TcpClient french(weir_.port());
  ASSERT_TRUE(english.send(fmt::format("GET {} HTTP/1.1\r\nHost: v\r\nAccept-Language: en\r\n\r\n", target)));
  ASSERT_TRUE(french.send(fmt::format("GET {} HTTP/1.1\r\nHost: v\r\nAccept-Language: fr\r\n\r\n", target)));
  EXPECT_EQ(english.readResponse().status, 200);
  EXPECT_EQ(french.readResponse().status, 200);
  std::set<std::string> languages;
  for (const RecordedRequest& r : backend_.records())
    if (r.target.rfind("/c/vary", 0) == 0) languages.insert(r.header("Accept-Language"));
  EXPECT_EQ(languages, (std::set<std::string>{"en", "fr"})) << "the second waited, then found the other variant";
}

}  // namespace
}  // namespace weir::test

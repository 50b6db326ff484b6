// Issue 5 end to end: the example frontend of CONFIG.md (health answered locally, /api and
// /admin to their pools, others to web, redirect to https except /health, /nginx_status denied
// to non-internal sources), path normalisation as the backends see it, header and path edits
// seen by the backend and the client, several frontends, the no-backend 503, local replies on
// keep-alive and pipelined connections, and `weir explain`.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/process.h"
#include "support/tcp_client.h"
#include "support/weir_instance.h"

#ifndef WEIR_BINARY
#error "WEIR_BINARY must be defined (tests/CMakeLists.txt does it)"
#endif

namespace weir::test {
namespace {

/// CONFIG.md's frontend, word for word in its rules (`chinook`, plain HTTP only: TLS comes
/// later), and `inside`: the same pools without the https redirect, plus header and path edits.
std::string exampleConfig(const FakeBackend& web, const FakeBackend& api, const FakeBackend& admin) {
  return fmt::format(R"(global: {{ threads: 2, log: stdout }}
frontends:
  chinook:
    bind: ["127.0.0.1:0"]
    acl:
      health: path_beg /health
      api: path_beg /api
      admin: path_beg /admin
      static: path_reg (?i)\.(css|js|png|jpe?g|gif|ico|svg|woff2?|ttf)$
      internal: src 127.0.0.1 10.0.0.0/8
    http_request:
      - redirect scheme https code 301 if !{{ ssl_fc }} !health
      - return status 200 content-type text/plain string "healthy\n" if health
      - deny status 403 if {{ path_beg /nginx_status }} !internal
    use_backend:
      - api if api
      - admin if admin
    default_backend: web
  inside:
    bind: ["127.0.0.1:0"]
    acl:
      health: path_beg /health
      api: path_beg /api
      admin: path_beg /admin
      internal: src 127.0.0.1 10.0.0.0/8
      old: path_beg /old/
    http_request:
      - return status 200 content-type text/plain string "healthy\n" if health
      - deny status 403 if {{ path_beg /nginx_status }} !internal
      - set-header X-Env production
      - add-header X-Trace one
      - del-header X-Secret
      - replace-path ^/old/(.*) /api/\1 if old
      - set-path /admin/panel if {{ path /panel }}
    http_response:
      - set-header X-Frame-Options DENY
      - del-header X-Server if {{ status 200:299 }}
      - add-header X-Failed yes if {{ status 500:599 }}
    use_backend:
      - api if api
      - admin if admin
    default_backend: web
  nowhere:
    bind: ["127.0.0.1:0"]
    use_backend:
      - api if {{ path_beg /api }}
backends:
  web:
    servers: [{{ name: web1, address: "{}" }}]
  api:
    servers: [{{ name: api1, address: "{}" }}]
  admin:
    servers: [{{ name: admin1, address: "{}" }}]
)",
                     web.address(), api.address(), admin.address());
}

class RoutingTest : public ::testing::Test {
 protected:
  FakeBackend web_{"web"};
  FakeBackend api_{"api"};
  FakeBackend admin_{"admin"};
  WeirInstance weir_{exampleConfig(web_, api_, admin_)};

  /// The target of the last request `backend` received, or "" when it received none.
  static std::string lastTarget(const FakeBackend& backend) {
    const auto records = backend.records();
    return records.empty() ? "" : records.back().target;
  }
};

TEST_F(RoutingTest, ExampleFrontendAnswersHealthItself) {
  const HttpResponse r = httpGet(weir_.port("chinook"), "/health");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "healthy\n");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_TRUE(web_.records().empty() && api_.records().empty() && admin_.records().empty());
}

TEST_F(RoutingTest, ExampleFrontendRedirectsPlainHttpToHttpsExceptHealth) {
  const HttpResponse r = httpGet(weir_.port("chinook"), "/api/users?x=1", {"Host: shop.example"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 301);
  EXPECT_EQ(r.header("Location"), "https://shop.example/api/users?x=1");
  EXPECT_EQ(r.header("Content-Length"), "0");
  EXPECT_TRUE(api_.records().empty());
}

TEST_F(RoutingTest, SendsApiAndAdminToTheirPoolsAndTheRestToWeb) {
  const uint16_t port = weir_.port("inside");
  EXPECT_EQ(httpGet(port, "/api/users").body, "api\n");
  EXPECT_EQ(httpGet(port, "/admin/").body, "admin\n");
  EXPECT_EQ(httpGet(port, "/shop/cart").body, "web\n");
  EXPECT_EQ(httpGet(port, "/apix").body, "api\n") << "path_beg is a prefix of the string";
  EXPECT_EQ(lastTarget(api_), "/apix");
}

TEST_F(RoutingTest, DeniesNginxStatusToClientsOutsideInternal) {
  const uint16_t port = weir_.port("inside");
  TcpClient outsider(port, kDefaultTimeout, "127.0.0.2");
  ASSERT_TRUE(outsider.isConnected()) << outsider.error();
  ASSERT_TRUE(outsider.send(formatRequest("GET", "/nginx_status", port)));
  const HttpResponse denied = outsider.readResponse();
  ASSERT_TRUE(denied.ok()) << denied.error;
  EXPECT_EQ(denied.status, 403);
  EXPECT_NE(denied.body.find("forbidden"), std::string::npos) << denied.body;

  const HttpResponse allowed = httpGet(port, "/nginx_status");  // from 127.0.0.1: internal
  EXPECT_EQ(allowed.status, 200);
  EXPECT_EQ(allowed.header("X-Server"), "") << "del-header X-Server on 2xx";
  EXPECT_EQ(lastTarget(web_), "/nginx_status");
}

TEST_F(RoutingTest, DenyOfAnUploadReachesTheClientBeforeTheConnectionEnds) {
  const uint16_t port = weir_.port("inside");
  TcpClient outsider(port, kDefaultTimeout, "127.0.0.2");
  const std::string head = "POST /nginx_status HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n";
  ASSERT_TRUE(outsider.send(head + std::string(300'000, 'b')));
  // weir answers at once and closes; the unread body must not turn its close into a reset that
  // destroys the 403 before the client reads it (it half-closes and drains instead).
  const HttpResponse denied = outsider.readResponse();
  ASSERT_TRUE(denied.ok()) << denied.error;
  EXPECT_EQ(denied.status, 403);
  EXPECT_EQ(denied.header("Connection"), "close");
  EXPECT_TRUE(outsider.isClosedByPeer());
  EXPECT_FALSE(outsider.wasResetByPeer());
  EXPECT_TRUE(web_.records().empty());
}

TEST_F(RoutingTest, NormalisedPathIsWhatRulesMatchAndWhatTheServerGets) {
  const uint16_t port = weir_.port("inside");
  EXPECT_EQ(httpGet(port, "/api/../admin/x?q=1").body, "admin\n") << "not the api pool";
  EXPECT_EQ(lastTarget(admin_), "/admin/x?q=1");
  EXPECT_EQ(httpGet(port, "/%61dmin/y").body, "admin\n");
  EXPECT_EQ(lastTarget(admin_), "/admin/y");
  EXPECT_EQ(httpGet(port, "//api/./v1//users").body, "api\n");
  EXPECT_EQ(lastTarget(api_), "/api/v1/users");
  EXPECT_EQ(httpGet(port, "/api/a%2fb").body, "api\n");
  EXPECT_EQ(lastTarget(api_), "/api/a%2Fb") << "an encoded slash stays encoded";
  EXPECT_EQ(httpGet(port, "http://other.example/admin/z").body, "admin\n");
  EXPECT_EQ(lastTarget(admin_), "/admin/z") << "absolute-form becomes origin-form";
  EXPECT_EQ(admin_.records().back().header("Host"), "other.example");
}

TEST_F(RoutingTest, MalformedPercentEscapeGets400AndTheConnectionCloses) {
  const uint16_t port = weir_.port("inside");
  TcpClient client(port);
  ASSERT_TRUE(client.send("GET /api/%zz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/next HTTP/1.1\r\nHost: x\r\n\r\n"));
  const HttpResponse r = client.readResponse();
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(client.isClosedByPeer());
  EXPECT_TRUE(api_.records().empty()) << "nothing of either request reached a server";
}

TEST_F(RoutingTest, RequestHeaderAndPathEditsReachTheServer) {
  const uint16_t port = weir_.port("inside");
  const HttpResponse r = httpGet(port, "/old/items?page=2", {"X-Secret: token", "X-Trace: zero", "X-Env: dev"});
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.header("X-Server"), "") << "removed by http_response del-header";
  const std::vector<RecordedRequest> records = api_.records();
  ASSERT_EQ(records.size(), 1u) << "replace-path made it /api/..., which use_backend sends to api";
  const RecordedRequest& seen = records.back();
  EXPECT_EQ(seen.target, "/api/items?page=2");
  EXPECT_EQ(seen.header("X-Env"), "production") << "set-header replaces";
  EXPECT_EQ(seen.headers().getAll("X-Trace"), (std::vector<std::string>{"zero", "one"})) << "add-header appends";
  EXPECT_EQ(seen.header("X-Secret"), "");

  EXPECT_EQ(httpGet(port, "/panel?a=b").body, "admin\n");
  EXPECT_EQ(lastTarget(admin_), "/admin/panel?a=b") << "set-path keeps the query";
}

TEST_F(RoutingTest, ResponseRulesEditWhatTheClientGets) {
  const uint16_t port = weir_.port("inside");
  web_.setRoute("/broken", "status=502");
  const HttpResponse ok = httpGet(port, "/page");
  EXPECT_EQ(ok.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(ok.header("X-Failed"), "");
  const HttpResponse failed = httpGet(port, "/broken");
  EXPECT_EQ(failed.status, 502);
  EXPECT_EQ(failed.header("X-Frame-Options"), "DENY");
  EXPECT_EQ(failed.header("X-Failed"), "yes");
  EXPECT_EQ(failed.header("X-Server"), "web") << "del-header applied on 2xx only";
}

TEST_F(RoutingTest, RequestMatchingNoRuleAndNoDefaultGets503) {
  const HttpResponse r = httpGet(weir_.port("nowhere"), "/web");
  ASSERT_TRUE(r.ok()) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_NE(r.body.find("no backend for this request"), std::string::npos) << r.body;
  EXPECT_EQ(httpGet(weir_.port("nowhere"), "/api/x").header("X-Server"), "api");
}

TEST_F(RoutingTest, LocalRepliesKeepTheConnectionAndAnswerPipelinedRequestsInOrder) {
  const uint16_t port = weir_.port("inside");
  TcpClient client(port);
  const std::string ka = "Host: x\r\n\r\n";
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\n" + ka + "GET /api/one HTTP/1.1\r\n" + ka +
                          "GET /health HTTP/1.1\r\n" + ka + "HEAD /health HTTP/1.1\r\n" + ka));
  const HttpResponse first = client.readResponse();
  EXPECT_EQ(first.body, "healthy\n");
  const HttpResponse second = client.readResponse();
  EXPECT_EQ(second.header("X-Server"), "");
  EXPECT_EQ(second.body, "api\n");
  EXPECT_EQ(client.readResponse().body, "healthy\n");
  const HttpResponse head = client.readResponse(kDefaultTimeout, /*requestWasHead=*/true);
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("Content-Length"), "8");
  EXPECT_EQ(head.body, "");
  EXPECT_FALSE(client.isClosedByPeer(std::chrono::milliseconds(50))) << "still open for more";
  ASSERT_TRUE(client.send("GET /health HTTP/1.1\r\n" + ka));
  EXPECT_EQ(client.readResponse().status, 200);
}

TEST_F(RoutingTest, ClientThatPipelinesLocalRepliesWithoutReadingIsNotBufferedWithoutBound) {
  const uint16_t port = weir_.port("inside");
  const std::string request = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
  std::string flood;
  flood.reserve(request.size() * 600'000);
  for (int i = 0; i < 600'000; ++i) flood += request;  // 21 MB: more than loopback's socket buffers hold
  const std::size_t startKiB = weir_.rssKiB();
  TcpClient client(port);
  // weir stops reading once its unsent replies pass its high-water mark, so the kernel buffers
  // fill and sending blocks; without that it would read everything and buffer 50 MB of replies.
  EXPECT_FALSE(client.send(flood, std::chrono::seconds(5))) << "weir read 21 MB without the client reading";
  EXPECT_LT(weir_.rssKiB(), startKiB + 12u * 1024u) << "replies to requests the client does not read are buffered";
  const HttpResponse first = client.readResponse();
  EXPECT_EQ(first.body, "healthy\n");
  EXPECT_EQ(httpGet(port, "/health").status, 200) << "other clients are served meanwhile";
}

TEST_F(RoutingTest, LocalRepliesAreLoggedWithHaproxyTerminationStates) {
  const uint16_t port = weir_.port("chinook");
  httpGet(port, "/health");
  httpGet(port, "/elsewhere");
  EXPECT_TRUE(weir_.waitForAccessLog("chinook chinook/<NOSRV>")) << weir_.accessLog();
  EXPECT_TRUE(weir_.waitForAccessLog(" 200 ")) << weir_.accessLog();
  const auto redirect = weir_.waitForAccessLog(" 301 ");
  ASSERT_TRUE(redirect.has_value()) << weir_.accessLog();
  EXPECT_NE(redirect->find(" LR"), std::string::npos) << *redirect;
}

// ---------------------------------------------------------------------------------------------
// weir explain

CommandResult explain(const WeirInstance& weir, std::vector<std::string> args) {
  std::vector<std::string> argv{WEIR_BINARY, "explain", "-f", weir.configPath().string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runCommand(argv);
}

TEST_F(RoutingTest, ExplainShowsTheRedirectForPlainHttp) {
  const CommandResult r = explain(weir_, {"GET /api/users?x=1", "-H", "Host: shop.example"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("api       yes  path_beg /api"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("health    no   path_beg /health"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("1. FIRES        redirect scheme https code 301 if !{ ssl_fc } !health"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("=> weir answers 301 with Location: https://shop.example/api/users?x=1"), std::string::npos) << r.out;
}

TEST_F(RoutingTest, ExplainShowsTheBackendOverTls) {
  const CommandResult r = explain(weir_, {"--ssl", "GET /api/../admin/x"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_NE(r.out.find("path      /admin/x (normalised)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("2. FIRES        admin if admin"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("=> backend admin"), std::string::npos) << r.out;
}

TEST_F(RoutingTest, ExplainShowsHealthAnsweredLocallyAndTheDenyForOutsiders) {
  const CommandResult health = explain(weir_, {"GET /health"});
  ASSERT_EQ(health.exitCode, 0) << health.err;
  EXPECT_NE(health.out.find("=> weir answers 200 (return), body \"healthy\\n\""), std::string::npos) << health.out;

  const CommandResult denied = explain(weir_, {"--ssl", "--src", "192.0.2.7", "GET /nginx_status"});
  ASSERT_EQ(denied.exitCode, 0) << denied.err;
  EXPECT_NE(denied.out.find("internal  no"), std::string::npos) << denied.out;
  EXPECT_NE(denied.out.find("=> weir answers 403 (deny)"), std::string::npos) << denied.out;

  const CommandResult inside = explain(weir_, {"--frontend", "inside", "GET /shop"});
  ASSERT_EQ(inside.exitCode, 0) << inside.err;
  EXPECT_NE(inside.out.find("=> backend web (default_backend)"), std::string::npos) << inside.out;
  EXPECT_NE(inside.out.find("X-Env: production"), std::string::npos) << inside.out;
}

TEST(RoutingConfig, InvalidRegexIsReportedAtItsPositionAndWeirExits1) {
  const WeirCheck check = WeirInstance::check(R"(frontends:
  fe:
    bind: ["127.0.0.1:0"]
    acl:
      bad: path_reg ^/(a
    default_backend: be
backends:
  be:
    servers: [{ name: s1, address: "127.0.0.1:9" }]
)");
  EXPECT_EQ(check.exitCode, 1);
  EXPECT_NE(check.output.find("weir.yaml:5:21: frontends.fe.acl.bad: invalid regular expression '^/(a': missing ): ^/(a"),
            std::string::npos)
      << check.output;
}

}  // namespace
}  // namespace weir::test

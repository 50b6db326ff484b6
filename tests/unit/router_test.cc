#include "weir/route/router.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "weir/net/address.h"

namespace weir::route {
namespace {

constexpr int kWeb = 0;
constexpr int kApi = 1;
constexpr int kAdmin = 2;

/// Only the names of the backends matter for routing.
config::Config backends() {
  config::Config c;
  c.backends.resize(3);
  c.backends[kWeb].name = "web";
  c.backends[kApi].name = "api";
  c.backends[kAdmin].name = "admin";
  return c;
}

config::RuleLine line(std::string text, std::string path) { return config::RuleLine{std::move(text), {}, std::move(path)}; }

/// A frontend written the way the YAML reads it: acl pairs, then the rule lists.
struct Frontend {
  config::FrontendConfig fe;

  Frontend& acl(std::string name, std::string matcher) {
    fe.acls.push_back({name, line(std::move(matcher), "frontends.fe.acl." + name)});
    return *this;
  }
  Frontend& request(std::string text) { return item(fe.http_request, "http_request", std::move(text)); }
  Frontend& response(std::string text) { return item(fe.http_response, "http_response", std::move(text)); }
  Frontend& use(std::string text) { return item(fe.use_backend, "use_backend", std::move(text)); }
  Frontend& item(std::vector<config::RuleLine>& list, const std::string& key, std::string text) {
    list.push_back(line(std::move(text), "frontends.fe." + key + "[" + std::to_string(list.size()) + "]"));
    return *this;
  }
  Frontend& fallback(std::string backend) {
    fe.default_backend = std::move(backend);
    return *this;
  }
};

struct Error { std::string path; size_t offset; std::string message; };

std::optional<Router> build(const Frontend& f, std::vector<Error>* errors) {
  return Router::build(f.fe, backends(), "", [&](const config::RuleLine& l, size_t offset, const std::string& message) {
    errors->push_back({l.path, offset, message});
  });
}

Router mustBuild(const Frontend& f) {
  std::vector<Error> errors;
  std::optional<Router> r = build(f, &errors);
  EXPECT_TRUE(r.has_value()) << (errors.empty() ? "" : errors[0].path + ": " + errors[0].message);
  return r ? std::move(*r) : *build(Frontend{}, &errors);
}

/// One request to route; route() may edit headers and path.
struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  http::HeaderMap headers;
  net::Address src;
  bool ssl = false;
  RouteTrace trace;

  explicit Request(std::string p, std::string client = "192.0.2.10", bool tls = true) : path(std::move(p)), ssl(tls) {
    std::string error;
    src = net::resolve({client, 50000}, &error).value_or(net::Address());
    headers.add("Host", "example.com");
  }

  RouteResult routeWith(const Router& router) {
    RequestFacts facts{method, path, query, !query.empty(), &headers, &src, ssl, 0};
    return router.route(facts, headers, path, &trace);
  }
};

int backendOf(const Router& router, Request r) {
  const RouteResult result = r.routeWith(router);
  return result.kind == RouteResult::Kind::kBackend ? result.backend : -100 - static_cast<int>(result.kind);
}

/// The frontend of CONFIG.md's example (without its static and cache keys).
Frontend configMdFrontend() {
  Frontend f;
  f.acl("health", "path_beg /health")
      .acl("api", "path_beg /api")
      .acl("admin", "path_beg /admin")
      .acl("static", R"(path_reg (?i)\.(css|js|png|jpe?g|gif|ico|svg|woff2?|ttf)$)")
      .acl("internal", "src 127.0.0.1 10.0.0.0/8")
      .request("redirect scheme https code 301 if !{ ssl_fc } !health")
      .request(R"(return status 200 content-type text/plain string "healthy\n" if health)")
      .request("deny status 403 if { path_beg /nginx_status } !internal")
      .use("api if api")
      .use("admin if admin")
      .fallback("web");
  return f;
}

// ---------------------------------------------------------------------------------------------
// The example of CONFIG.md

TEST(Router, ConfigMdHealthIsAnsweredLocallyEvenWithoutTls) {
  const Router router = mustBuild(configMdFrontend());
  Request r("/health", "192.0.2.10", false);

  const RouteResult result = r.routeWith(router);

  ASSERT_EQ(result.kind, RouteResult::Kind::kReply);
  EXPECT_EQ(result.rule->action, RuleAction::kReturn);
  EXPECT_EQ(result.rule->reply.body, "healthy\n");
  ASSERT_EQ(r.trace.steps.size(), 2u);  // the trace ends with the rule that fired
  EXPECT_FALSE(r.trace.steps[0].fired);
  EXPECT_TRUE(r.trace.steps[1].fired);
}

TEST(Router, ConfigMdPicksBackendsByPath) {
  const Router router = mustBuild(configMdFrontend());

  EXPECT_EQ(backendOf(router, Request("/api/users")), kApi);
  EXPECT_EQ(backendOf(router, Request("/admin/login")), kAdmin);
  EXPECT_EQ(backendOf(router, Request("/")), kWeb);
  EXPECT_EQ(backendOf(router, Request("/site.css")), kWeb);
}

TEST(Router, ConfigMdRedirectsPlainHttpToHttps) {
  const Router router = mustBuild(configMdFrontend());
  Request r("/api/users", "192.0.2.10", false);

  const RouteResult result = r.routeWith(router);

  ASSERT_EQ(result.kind, RouteResult::Kind::kReply);
  EXPECT_EQ(result.rule->action, RuleAction::kRedirect);
  EXPECT_EQ(result.rule->redirect.code, 301);
  EXPECT_EQ(result.rule, &router.requestRules()[0]);
}

TEST(Router, ConfigMdDeniesNginxStatusToOutsiders) {
  const Router router = mustBuild(configMdFrontend());
  Request outsider("/nginx_status", "192.0.2.10");

  const RouteResult result = outsider.routeWith(router);

  ASSERT_EQ(result.kind, RouteResult::Kind::kReply);
  EXPECT_EQ(result.rule->action, RuleAction::kDeny);
  EXPECT_EQ(result.rule->reply.status, 403);
  EXPECT_EQ(backendOf(router, Request("/nginx_status", "10.1.2.3")), kWeb);
  EXPECT_EQ(backendOf(router, Request("/nginx_status", "127.0.0.1")), kWeb);
  EXPECT_EQ(backendOf(router, Request("/nginx_status", "::ffff:10.9.9.9")), kWeb);
}

// ---------------------------------------------------------------------------------------------
// Order and allow

TEST(Router, FirstMatchingUseBackendWins) {
  const Router router = mustBuild(Frontend().use("admin if { path_beg /a }").use("api if { path_beg /api }").fallback("web"));

  EXPECT_EQ(backendOf(router, Request("/api")), kAdmin);
  EXPECT_EQ(backendOf(router, Request("/b")), kWeb);
  // A use_backend without a condition always matches.
  EXPECT_EQ(backendOf(mustBuild(Frontend().use("api").use("admin").fallback("web")), Request("/anything")), kApi);
}

TEST(Router, FirstTerminalRequestRuleAnswersAndLaterEditsAreNotApplied) {
  const Router router = mustBuild(Frontend()
                                      .request("set-header X-A 1")
                                      .request("deny status 429 if { path_beg /a }")
                                      .request("set-header X-B 1")
                                      .request("deny status 404")
                                      .fallback("web"));
  Request r("/a");

  const RouteResult result = r.routeWith(router);

  ASSERT_EQ(result.kind, RouteResult::Kind::kReply);
  EXPECT_EQ(result.rule->reply.status, 429);
  EXPECT_TRUE(r.headers.has("X-A"));
  EXPECT_FALSE(r.headers.has("X-B"));
}

TEST(Router, AllowSkipsTheRemainingRequestRules) {
  const Router router = mustBuild(Frontend()
                                      .acl("internal", "src 10.0.0.0/8")
                                      .request("allow if internal")
                                      .request("set-header X-Seen yes")
                                      .request("deny")
                                      .fallback("web"));
  Request inside("/x", "10.0.0.1");

  EXPECT_EQ(inside.routeWith(router).backend, kWeb);
  EXPECT_FALSE(inside.headers.has("X-Seen"));
  EXPECT_EQ(Request("/x", "192.0.2.1").routeWith(router).kind, RouteResult::Kind::kReply);
  // allow ends only the http_request rules: use_backend still decides.
  EXPECT_EQ(backendOf(mustBuild(Frontend().request("allow").request("deny").use("api").fallback("web")), Request("/")), kApi);
}

TEST(Router, NoDefaultBackendAndNoMatchIsNoBackend) {
  const Router router = mustBuild(Frontend().use("api if { path_beg /api }"));
  Request r("/other");

  const RouteResult result = r.routeWith(router);

  EXPECT_EQ(result.kind, RouteResult::Kind::kNoBackend);
  EXPECT_EQ(result.backend, -1);
  EXPECT_EQ(router.defaultBackend(), -1);
}

// ---------------------------------------------------------------------------------------------
// Edits

TEST(Router, SetHeaderIsSeenByLaterRulesAndUseBackend) {
  const Router router = mustBuild(Frontend()
                                      .request("set-header X-Env prod if { path_beg /api }")
                                      .request("set-header X-Tier gold if { hdr(x-env) prod }")
                                      .use("api if { hdr(x-tier) gold }")
                                      .fallback("web"));
  Request r("/api/x");
  r.headers.add("X-Env", "dev");

  EXPECT_EQ(r.routeWith(router).backend, kApi);
  EXPECT_EQ(r.headers.count("x-env"), 1u);
  EXPECT_EQ(*r.headers.get("X-Env"), "prod");
  // set-header Host changes what `host` sees.
  EXPECT_EQ(backendOf(mustBuild(Frontend().request("set-header Host a.b").use("api if { host a.b }").fallback("web")), Request("/")), kApi);
}

TEST(Router, AddHeaderAppendsAnotherField) {
  const Router router = mustBuild(Frontend().request("add-header X-Tag b").use("api if { hdr(x-tag) a } { hdr(x-tag) b }").fallback("web"));
  Request r("/");
  r.headers.add("X-Tag", "a");

  EXPECT_EQ(r.routeWith(router).backend, kApi);
  EXPECT_EQ(r.headers.count("x-tag"), 2u);
}

TEST(Router, DelHeaderIsSeenByLaterRules) {
  const Router router = mustBuild(Frontend().request("del-header X-Debug").request("deny if { hdr(x-debug) -m found }").fallback("web"));
  Request r("/");
  r.headers.add("X-Debug", "1");
  r.headers.add("x-debug", "2");

  EXPECT_EQ(r.routeWith(router).kind, RouteResult::Kind::kBackend);
  EXPECT_FALSE(r.headers.has("X-Debug"));
}

TEST(Router, SetPathRewritesThePathForLaterRules) {
  const Router router = mustBuild(Frontend().request("set-path /api/v2/../v3 if { path /old }").use("api if { path /api/v3 }").fallback("web"));
  Request r("/old");

  EXPECT_EQ(r.routeWith(router).backend, kApi);
  EXPECT_EQ(r.path, "/api/v3");
}

TEST(Router, ReplacePathUsesGroupsAndNormalisesTheResult) {
  const Router router = mustBuild(Frontend().request(R"(replace-path ^/old/(.*)$ /api//\1/x/../)").use("api if { path /api/items/ }").fallback("web"));
  Request r("/old/items");

  EXPECT_EQ(r.routeWith(router).backend, kApi);
  EXPECT_EQ(r.path, "/api/items/");
}

TEST(Router, ReplacePathAddsAMissingLeadingSlashAndKeepsAPathItDoesNotMatch) {
  const Router router = mustBuild(Frontend().request(R"(replace-path ^/x/(.*) \1)").fallback("web"));
  Request matching("/x/abc");
  Request other("/current/page");

  matching.routeWith(router);
  other.routeWith(router);

  EXPECT_EQ(matching.path, "/abc");
  EXPECT_EQ(other.path, "/current/page");
}

// ---------------------------------------------------------------------------------------------
// Response rules

TEST(Router, ResponseRulesEditHeadersByStatus) {
  const Router router = mustBuild(Frontend()
                                      .response("set-header Cache-Control no-store if { status 500:599 }")
                                      .response("add-header X-Ok 1 if { status 200:299 }")
                                      .response("del-header Server")
                                      .fallback("web"));
  http::HeaderMap ok;
  ok.add("Server", "nginx");
  http::HeaderMap failed;
  failed.add("Cache-Control", "max-age=60");
  RequestFacts facts;
  facts.headers = &ok;

  facts.status = 204;
  router.applyResponseRules(facts, ok);
  facts.headers = &failed;
  facts.status = 503;
  router.applyResponseRules(facts, failed);

  EXPECT_TRUE(router.hasResponseRules());
  EXPECT_FALSE(ok.has("Server"));
  EXPECT_EQ(ok.count("X-Ok"), 1u);
  EXPECT_FALSE(ok.has("Cache-Control"));
  EXPECT_EQ(*failed.get("cache-control"), "no-store");
  EXPECT_FALSE(failed.has("X-Ok"));
  EXPECT_FALSE(mustBuild(configMdFrontend()).hasResponseRules());
}

// ---------------------------------------------------------------------------------------------
// Trace

TEST(Router, TraceRecordsEveryEvaluatedStep) {
  const Router router = mustBuild(configMdFrontend());
  Request r("/admin/x");

  r.routeWith(router);

  ASSERT_EQ(r.trace.steps.size(), 5u);
  EXPECT_EQ(r.trace.steps[0].list, "http_request");
  EXPECT_EQ(r.trace.steps[0].text, "redirect scheme https code 301 if !{ ssl_fc } !health");
  EXPECT_FALSE(r.trace.steps[0].fired);
  EXPECT_EQ(r.trace.steps[2].index, 2u);
  EXPECT_EQ(r.trace.steps[3].list, "use_backend");
  EXPECT_EQ(r.trace.steps[3].text, "api if api");
  EXPECT_FALSE(r.trace.steps[3].fired);
  EXPECT_EQ(r.trace.steps[4].index, 1u);
  EXPECT_TRUE(r.trace.steps[4].fired);
}

TEST(Router, TraceEndsWithDefaultBackendWhenNothingElseMatched) {
  const Router router = mustBuild(configMdFrontend());
  Request r("/page");

  r.routeWith(router);

  ASSERT_EQ(r.trace.steps.size(), 6u);
  EXPECT_EQ(r.trace.steps.back().list, "default_backend");
  EXPECT_TRUE(r.trace.steps.back().fired);
}

// ---------------------------------------------------------------------------------------------
// Errors

/// The errors of building `f`, which must fail.
std::vector<Error> errorsOf(const Frontend& f) {
  std::vector<Error> errors;
  EXPECT_FALSE(build(f, &errors).has_value());
  return errors;
}

TEST(Router, UnknownBackendIsReportedWithASuggestion) {
  const std::vector<Error> errors = errorsOf(Frontend().use("apj if { path_beg /api }"));

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].path, "frontends.fe.use_backend[0]");
  EXPECT_EQ(errors[0].offset, 0u);
  EXPECT_EQ(errors[0].message, "no backend named 'apj', did you mean 'api'?");
}

TEST(Router, UndefinedAclIsReportedAtItsOffset) {
  const std::vector<Error> errors = errorsOf(Frontend().acl("api", "path_beg /api").use("api if apii").fallback("web"));

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].offset, 7u);
  EXPECT_EQ(errors[0].message, "undefined ACL 'apii', did you mean 'api'?");
}

TEST(Router, EveryBadLineIsReported) {
  Frontend f;
  f.acl("bad", "path_bgn /x").request("frobnicate").request(R"(return string "open)").request("   ");
  f.use("nope").use("api when x").fallback("web");

  const std::vector<Error> errors = errorsOf(f);

  ASSERT_EQ(errors.size(), 6u);
  EXPECT_EQ(errors[0].path, "frontends.fe.acl.bad");
  EXPECT_EQ(errors[1].path, "frontends.fe.http_request[0]");
  EXPECT_EQ(errors[2].path, "frontends.fe.http_request[1]");
  EXPECT_EQ(errors[2].offset, 14u);
  EXPECT_EQ(errors[2].message, "unterminated double quote");
  EXPECT_EQ(errors[3].path, "frontends.fe.http_request[2]");
  EXPECT_EQ(errors[3].message, "empty rule");
  EXPECT_EQ(errors[4].path, "frontends.fe.use_backend[0]");
  EXPECT_EQ(errors[5].offset, 4u);
  EXPECT_EQ(errors[5].message, "expected 'if' or 'unless' after the backend name, got 'when'");
}

TEST(Router, RuleTextIsKeptAsWritten) {
  const Router router = mustBuild(Frontend().request(R"(set-header X-A "a b"   if { path_beg /x })").fallback("web"));

  EXPECT_EQ(router.requestRules()[0].text, R"(set-header X-A "a b"   if { path_beg /x })");
}

// ---------------------------------------------------------------------------------------------
// Copies

Frontend bigFrontend() {
  Frontend f;
  for (int i = 0; i < 50; ++i) {
    const std::string n = std::to_string(i);
    if (i % 3 == 0) f.acl("acl" + n, "path_reg ^/r" + n + "(/|$)");
    else if (i % 3 == 1) f.acl("acl" + n, "hdr_reg(x-k) -i ^v" + n + "$");
    else f.acl("acl" + n, "path_beg /p" + n + "/");
  }
  for (int i = 0; i < 20; ++i) {
    const std::string a = std::to_string(i), b = std::to_string(i + 25);
    if (i % 4 == 0) f.request("deny status 4" + std::string(i < 10 ? "0" : "") + a + " if acl" + a + " !acl" + b);
    else if (i % 4 == 1) f.request("set-header X-K v" + b + " if acl" + a);
    else if (i % 4 == 2) f.request(R"(replace-path ^/r)" + a + R"((/.*)?$ /p)" + b + R"(/\1)");
    else f.request("set-path /r" + b + " if acl" + a + " or acl" + b);
  }
  return f.use("api if acl1 or acl4").use("admin if acl26 acl27 or acl30").fallback("web");
}

std::string outcome(const Router& router, const std::string& path, const std::string& k) {
  Request r(path);
  if (!k.empty()) r.headers.add("X-K", k);
  const RouteResult result = r.routeWith(router);
  std::string text = std::to_string(static_cast<int>(result.kind)) + ":" + std::to_string(result.backend) + ":" + r.path;
  if (result.rule != nullptr) text += ":" + std::to_string(result.rule->reply.status);
  return text;
}

TEST(Router, CopyRoutesLikeTheOriginalAfterTheOriginalIsGone) {
  std::optional<Router> original = mustBuild(bigFrontend());
  std::vector<std::pair<std::string, std::string>> requests;
  for (int i = 0; i < 50; ++i)
    for (std::string_view prefix : {"/r", "/p", "/x"})
      requests.push_back({std::string(prefix) + std::to_string(i) + "/", i % 2 == 0 ? "V" + std::to_string(i) : ""});
  std::vector<std::string> expected;
  for (const auto& [path, k] : requests) expected.push_back(outcome(*original, path, k));

  const Router copy = *original;
  Router assigned = mustBuild(Frontend().fallback("web"));
  assigned = copy;
  original.reset();

  int replies = 0, rewritten = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(outcome(copy, requests[i].first, requests[i].second), expected[i]) << requests[i].first;
    EXPECT_EQ(outcome(assigned, requests[i].first, requests[i].second), expected[i]) << requests[i].first;
    replies += expected[i].starts_with("1:") ? 1 : 0;
    rewritten += expected[i].find(":" + requests[i].first) == std::string::npos ? 1 : 0;
  }
  EXPECT_GT(replies, 0);    // the sample exercises deny rules ...
  EXPECT_GT(rewritten, 0);  // ... and path rewrites
}

TEST(Router, RuleOfAReplyPointsIntoTheRouterThatRouted) {
  const Router original = mustBuild(configMdFrontend());
  const Router copy = original;
  Request r("/health", "192.0.2.10", false);

  const RouteResult result = r.routeWith(copy);

  EXPECT_EQ(result.rule, &copy.requestRules()[1]);
}

}  // namespace
}  // namespace weir::route

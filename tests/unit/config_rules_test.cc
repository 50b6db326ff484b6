// The frontend rules (acl, http_request, http_response, use_backend) as the YAML loader reads
// and checks them: errors point at the offending word inside the rule text.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "weir/config/config_loader.h"
#include "weir/route/router.h"

namespace weir::config {
namespace {

using Messages = std::vector<std::string>;

// Lines 1-4; the frontend's rule keys follow from line 5 on, then kBackends.
constexpr const char* kFrontendHead = R"(frontends:
  fe:
    bind: ["127.0.0.1:8080"]
    default_backend: web
)";
constexpr const char* kBackends = R"(backends:
  web:
    servers: [{ name: w1, address: "127.0.0.1:9001" }]
  api:
    servers: [{ name: a1, address: "127.0.0.1:9002" }]
  admin:
    servers: [{ name: d1, address: "127.0.0.1:9003" }]
)";

LoadResult load(const std::string& text) { return loadConfigText(text, "weir.yaml"); }

/// Loads a config whose frontend `fe` has `rules` (YAML from line 5, indented by 4).
LoadResult loadRules(const std::string& rules) { return load(kFrontendHead + rules + kBackends); }

Messages errorsOf(const std::string& rules) { return loadRules(rules).errors; }

// ---------------------------------------------------------------------------------------------
// Positions of errors inside rules

TEST(ConfigRules, HttpRequestErrorPointsAtTheWordInAPlainScalar) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - deny if { path_bge /x }\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:19: frontends.fe.http_request[0]: unknown matcher 'path_bge', did you mean "
                             "'path_beg'?"});
}

TEST(ConfigRules, ErrorIndexNamesTheRuleInItsList) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - allow\n"
                                   "      - set-header X-A\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:7:9: frontends.fe.http_request[1]: usage: set-header NAME VALUE"});
}

TEST(ConfigRules, DoubleQuotedScalarColumnIsShiftedByTheQuote) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - \"deny if nope\"\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:18: frontends.fe.http_request[0]: undefined ACL 'nope'"});
}

TEST(ConfigRules, SingleQuotedScalarColumnIsShiftedByTheQuote) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - 'return status 700'\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:24: frontends.fe.http_request[0]: status must be a status from 200 to 599, "
                             "got '700'"});
}

TEST(ConfigRules, FlowSequenceItemsArePointedAtToo) {
  const Messages errors = errorsOf("    http_request: [allow, \"redirect code 301\"]\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:5:28: frontends.fe.http_request[1]: redirect needs 'scheme', 'location' or "
                             "'prefix'"});
}

TEST(ConfigRules, ColumnOfAWordAfterYamlEscapesInADoubleQuotedScalar) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - \"return string \\\"hi\\\" if nope\"\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:34: frontends.fe.http_request[0]: undefined ACL 'nope'"});
}

TEST(ConfigRules, EveryErrorOfOneRuleIsReported) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - set-path nope if nope\n");

  EXPECT_EQ(errors, (Messages{"weir.yaml:6:18: frontends.fe.http_request[0]: set-path needs a path starting with '/' "
                              "without spaces, controls or '?'",
                              "weir.yaml:6:26: frontends.fe.http_request[0]: undefined ACL 'nope'"}));
}

TEST(ConfigRules, AResponseTestInARequestRuleIsReportedAtItsOwnLineAfterAnEarlierError) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - bogus-action\n"
                                   "      - deny\n"
                                   "      - deny if { status 200 }\n");

  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].substr(0, 47), "weir.yaml:6:9: frontends.fe.http_request[0]: un");
  EXPECT_EQ(errors[1], "weir.yaml:8:9: frontends.fe.http_request[2]: '{ status 200 }' tests the response ('status 200'), "
                       "which only http_response rules can do");
}

TEST(ConfigRules, CacheRulesNameAKnownCache) {
  const LoadResult r = load(std::string(kFrontendHead) + "    cache:\n      - use: asets if { path_beg /a }\n" + kBackends +
                            "caches:\n  assets: { total_max_size: 1m, max_object_size: 2m }\n");
  EXPECT_EQ(r.errors, (Messages{"weir.yaml:6:14: frontends.fe.cache[0].use: no cache named 'asets', did you mean 'assets'?",
                                "weir.yaml:15:3: caches.assets: max_object_size is larger than total_max_size"}));
}

TEST(ConfigRules, UnterminatedQuoteInsideTheRuleIsPointedAt) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - return string \"abc\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:23: frontends.fe.http_request[0]: unterminated double quote"});
}

TEST(ConfigRules, UseBackendErrorsPointAtBackendAndAcl) {
  const Messages errors = errorsOf("    acl:\n"
                                   "      api: path_beg /api\n"
                                   "    use_backend:\n"
                                   "      - apj if api\n"
                                   "      - api if apii\n");

  EXPECT_EQ(errors, (Messages{"weir.yaml:8:9: frontends.fe.use_backend[0]: no backend named 'apj', did you mean 'api'?",
                              "weir.yaml:9:16: frontends.fe.use_backend[1]: undefined ACL 'apii', did you mean 'api'?"}));
}

TEST(ConfigRules, HttpResponseErrorsArePointedAt) {
  const Messages errors = errorsOf("    http_response:\n"
                                   "      - set-header Content-Length 0\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:20: frontends.fe.http_response[0]: 'Content-Length' describes the "
                             "connection or the framing and is managed by weir"});
}

TEST(ConfigRules, AclMatcherErrorIsPointedAtInTheAclValue) {
  const Messages errors = errorsOf("    acl:\n"
                                   "      bad: hdr(host) -x example.com\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:6:22: frontends.fe.acl.bad: unknown flag '-x' (flags are -i, -m METHOD and --)"});
}

TEST(ConfigRules, RuleThatIsNotAScalarIsAnError) {
  const Messages errors = errorsOf("    http_request:\n"
                                   "      - { deny: true }\n");

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].rfind("weir.yaml:6:9: frontends.fe.http_request[0]: expected a one-line rule", 0), 0u) << errors[0];
}

TEST(ConfigRules, EmptyAclIsAnError) {
  const Messages errors = errorsOf("    acl:\n"
                                   "      api:\n");

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_NE(errors[0].find("frontends.fe.acl.api: expected a one-line rule in HAProxy syntax, got an empty value"),
            std::string::npos)
      << errors[0];
}

// ---------------------------------------------------------------------------------------------
// ACL names and lists

TEST(ConfigRules, ReservedWordsAreNotValidAclNames) {
  for (const std::string name : {"or", "if", "unless"}) {
    const Messages errors = errorsOf("    acl:\n      " + name + ": path /x\n");
    EXPECT_EQ(errors, Messages{"weir.yaml:6:7: frontends.fe.acl." + name + ": '" + name +
                               "' is not a valid ACL name (letters, digits, '_', '-', '.', ':'; not or/if/unless)"});
  }
}

TEST(ConfigRules, AclNamesWithOperatorCharactersAreRefused) {
  for (const std::string name : {"\"!x\"", "\"a b\"", "\"{x}\"", "\"||\"", "\"a/b\""}) {
    const Messages errors = errorsOf("    acl:\n      " + name + ": path /x\n");
    ASSERT_EQ(errors.size(), 1u) << name;
    EXPECT_NE(errors[0].find("is not a valid ACL name"), std::string::npos) << errors[0];
  }
}

TEST(ConfigRules, AclNamesMayUseLettersDigitsAndPunctuation) {
  const LoadResult r = loadRules("    acl:\n"
                                 "      Is_API-v1.2:x: path_beg /api\n"
                                 "    use_backend: [\"api if Is_API-v1.2:x\"]\n");

  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.frontends[0].acls[0].name, "Is_API-v1.2:x");
}

TEST(ConfigRules, AclGivenAsAListIsTheOrOfItsMatchers) {
  const LoadResult r = loadRules("    acl:\n"
                                 "      static:\n"
                                 "        - path_end .css .js\n"
                                 "        - path_beg /static/\n"
                                 "    use_backend:\n"
                                 "      - api if static\n");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const FrontendConfig& fe = r.config.frontends[0];
  ASSERT_EQ(fe.acls.size(), 2u);
  EXPECT_EQ(fe.acls[1].name, "static");
  EXPECT_EQ(fe.acls[1].matcher.text, "path_beg /static/");
  EXPECT_EQ(fe.acls[1].matcher.path, "frontends.fe.acl.static[1]");

  const std::optional<route::Router> router = route::Router::build(fe, r.config, "", [](auto&&...) {});
  ASSERT_TRUE(router.has_value());
  http::HeaderMap headers;
  auto backendFor = [&](std::string path) {
    route::RequestFacts facts{"GET", path, "", false, &headers, nullptr, false, 0};
    return router->route(facts, headers, path).backend;
  };
  const int api = r.config.findBackend("api");
  const int web = r.config.findBackend("web");

  EXPECT_EQ(backendFor("/a.css"), api);
  EXPECT_EQ(backendFor("/static/img.png"), api);
  EXPECT_EQ(backendFor("/index.html"), web);
}

TEST(ConfigRules, ErrorInAnAclListItemNamesTheItem) {
  const Messages errors = errorsOf("    acl:\n"
                                   "      static:\n"
                                   "        - path_end .css\n"
                                   "        - path_bgn /static/\n");

  EXPECT_EQ(errors, Messages{"weir.yaml:8:11: frontends.fe.acl.static[1]: unknown matcher 'path_bgn', did you mean "
                             "'path_beg'?"});
}

// ---------------------------------------------------------------------------------------------
// A valid config

constexpr const char* kFullExample = R"(frontends:
  chinook:
    bind: ["127.0.0.1:8080"]
    acl:
      health: path_beg /health
      api: path_beg /api
      admin: path_beg /admin
      static: path_reg (?i)\.(css|js|png|jpe?g|gif|ico|svg|woff2?|ttf)$
      internal: src 127.0.0.1 10.0.0.0/8 ::1
      legacy: [path_beg /old, hdr(x-legacy) -m found]
    http_request:
      - redirect scheme https code 301 if !{ ssl_fc } !health
      - return status 200 content-type text/plain string "healthy\n" if health
      - deny status 403 if { path_beg /nginx_status } !internal
      - allow if internal
      - set-header X-Frame-Options DENY
      - del-header X-Debug
      - "replace-path ^/old/(.*) /api/\\1 if legacy"
      - set-path /maintenance if { path /down }
      - add-header Via "1.1 weir"
      - redirect location /login code 302 if { path /signin } || { path /logon }
    http_response:
      - del-header Server
      - set-header Cache-Control no-store if { status 500:599 }
    use_backend:
      - api if api or legacy
      - admin if admin internal
    default_backend: web
)";

TEST(ConfigRules, FullExampleLoadsWithItsRulesAndPositions) {
  const LoadResult r = load(std::string(kFullExample) + kBackends);

  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const FrontendConfig& fe = r.config.frontends[0];
  EXPECT_EQ(fe.acls.size(), 7u);
  ASSERT_EQ(fe.http_request.size(), 10u);
  EXPECT_EQ(fe.http_request[0].pos.line, 12);
  EXPECT_EQ(fe.http_request[0].pos.column, 9);
  EXPECT_EQ(fe.http_request[6].text, R"(replace-path ^/old/(.*) /api/\1 if legacy)");
  EXPECT_EQ(fe.http_request[6].pos.column, 10);
  EXPECT_EQ(fe.http_request[6].path, "frontends.chinook.http_request[6]");
  EXPECT_EQ(fe.http_response.size(), 2u);
  ASSERT_EQ(fe.use_backend.size(), 2u);
  EXPECT_EQ(fe.use_backend[1].text, "admin if admin internal");
  EXPECT_EQ(fe.default_backend, "web");
}

TEST(ConfigRules, FrontendWithOnlyRulesNeedsNoDefaultBackend) {
  const LoadResult r = load("frontends:\n"
                            "  fe:\n"
                            "    bind: [\"127.0.0.1:8080\"]\n"
                            "    http_request:\n"
                            "      - return status 200 string ok\n" +
                            std::string(kBackends));

  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.frontends[0].default_backend, "");
}

TEST(ConfigRules, BackendsDeclaredAfterFrontendsAreKnownToUseBackend) {
  const LoadResult r = loadRules("    use_backend: [admin]\n");

  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
}

}  // namespace
}  // namespace weir::config

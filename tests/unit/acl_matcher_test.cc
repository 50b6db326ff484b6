#include "weir/route/acl_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "weir/http/header_map.h"
#include "weir/net/address.h"

namespace weir::route {
namespace {

/// Parses `line` (which must split cleanly); errors go to *errors.
std::optional<AclMatcher> parseLine(std::string_view line, std::vector<RuleError>* errors) {
  const RuleWords split = splitRuleWords(line);
  EXPECT_TRUE(split.errors.empty()) << line;
  return AclMatcher::parse(split.words, errors);
}

AclMatcher mustParse(std::string_view line) {
  std::vector<RuleError> errors;
  std::optional<AclMatcher> m = parseLine(line, &errors);
  EXPECT_TRUE(m.has_value()) << line << ": " << (errors.empty() ? "" : errors[0].message);
  if (!m) return mustParse("path /unused-fallback");
  return std::move(*m);
}

/// The one error parsing `line` gives.
RuleError parseError(std::string_view line) {
  std::vector<RuleError> errors;
  const std::optional<AclMatcher> m = parseLine(line, &errors);
  EXPECT_FALSE(m.has_value()) << line;
  EXPECT_EQ(errors.size(), 1u) << line;
  return errors.empty() ? RuleError{999, "<no error>"} : errors[0];
}

/// A request to match against; members are owned here, facts() views them.
struct Request {
  std::string method = "GET";
  std::string path = "/";
  std::string query;
  bool hasQuery = false;  // a '?' without anything after it
  http::HeaderMap headers;
  net::Address src;
  bool ssl = false;
  int status = 0;

  RequestFacts facts() const {
    return {method, path, query, hasQuery || !query.empty(), &headers, src.valid() ? &src : nullptr, ssl, status};
  }
};

bool matchesPath(std::string_view line, std::string path) {
  Request r;
  r.path = std::move(path);
  return mustParse(line).matches(r.facts());
}

bool matchesHeader(std::string_view line, std::string_view name, std::string_view value) {
  Request r;
  r.headers.add(name, value);
  return mustParse(line).matches(r.facts());
}

bool matchesHost(std::string_view line, std::string_view host) { return matchesHeader(line, "Host", host); }

bool matchesQuery(std::string_view line, std::string query) {
  Request r;
  r.query = std::move(query);
  return mustParse(line).matches(r.facts());
}

bool matchesSrc(std::string_view line, const std::string& ip) {
  Request r;
  std::string error;
  r.src = net::resolve({ip, 40000}, &error).value_or(net::Address());
  EXPECT_TRUE(r.src.valid()) << error;
  return mustParse(line).matches(r.facts());
}

bool matchesStatus(std::string_view line, int status) {
  Request r;
  r.status = status;
  return mustParse(line).matches(r.facts());
}

// ---------------------------------------------------------------------------------------------
// Path matchers

TEST(AclMatcher, PathMatchesTheWholePathExactly) {
  EXPECT_TRUE(matchesPath("path /admin", "/admin"));
  EXPECT_FALSE(matchesPath("path /admin", "/admin/"));
  EXPECT_FALSE(matchesPath("path /admin", "/Admin"));
}

TEST(AclMatcher, SeveralValuesAreAlternatives) {
  const AclMatcher m = mustParse("path_beg /api /v1");
  Request r;

  r.path = "/v1/x";
  EXPECT_TRUE(m.matches(r.facts()));
  r.path = "/api";
  EXPECT_TRUE(m.matches(r.facts()));
  r.path = "/v2/api";
  EXPECT_FALSE(m.matches(r.facts()));
}

TEST(AclMatcher, PathBegMatchesAPrefix) {
  EXPECT_TRUE(matchesPath("path_beg /api", "/api/users"));
  EXPECT_TRUE(matchesPath("path_beg /api", "/apiv2"));
  EXPECT_FALSE(matchesPath("path_beg /api", "/ap"));
  EXPECT_FALSE(matchesPath("path_beg /api", "/v1/api"));
}

TEST(AclMatcher, PathBegIgnoresCaseWithDashI) {
  EXPECT_FALSE(matchesPath("path_beg /API", "/api/x"));
  EXPECT_TRUE(matchesPath("path_beg -i /API", "/api/x"));
}

TEST(AclMatcher, PathEndMatchesASuffix) {
  EXPECT_TRUE(matchesPath("path_end .css .js", "/static/site.js"));
  EXPECT_FALSE(matchesPath("path_end .css .js", "/static/site.json"));
  EXPECT_FALSE(matchesPath("path_end /long/suffix.css", ".css"));
}

TEST(AclMatcher, PathSubMatchesAnywhere) {
  EXPECT_TRUE(matchesPath("path_sub secret", "/a/topsecret/b"));
  EXPECT_FALSE(matchesPath("path_sub secret", "/a/secre/t"));
  EXPECT_TRUE(matchesPath("path_sub -i SECRET", "/a/Secret"));
}

TEST(AclMatcher, PathDirMatchesWholeSlashDelimitedSegments) {
  EXPECT_TRUE(matchesPath("path_dir admin", "/x/admin/y"));
  EXPECT_TRUE(matchesPath("path_dir admin", "/admin"));
  EXPECT_FALSE(matchesPath("path_dir admin", "/administrator"));
  EXPECT_FALSE(matchesPath("path_dir admin", "/x/myadmin"));
  // A value may span several segments; slashes at its ends mean nothing.
  EXPECT_TRUE(matchesPath("path_dir /api/v1/", "/x/api/v1/y"));
  EXPECT_FALSE(matchesPath("path_dir /api/v1/", "/x/api/v10"));
}

TEST(AclMatcher, PathDomMatchesDotDelimitedWords) {
  EXPECT_TRUE(matchesPath("path_dom example", "/www.example.com/x"));
  EXPECT_FALSE(matchesPath("path_dom example", "/www.examples.com"));
}

TEST(AclMatcher, PathRegSearchesAnywhereInThePath) {
  EXPECT_TRUE(matchesPath(R"(path_reg \.(css|js)$)", "/a/b.css"));
  EXPECT_FALSE(matchesPath(R"(path_reg \.(css|js)$)", "/a/b.cssx"));
  EXPECT_TRUE(matchesPath("path_reg ^/v[0-9]+/", "/v12/x"));
}

TEST(AclMatcher, PathRegHonoursInlineCaseInsensitiveFlag) {
  EXPECT_TRUE(matchesPath(R"(path_reg (?i)\.(css|png)$)", "/LOGO.PNG"));
  EXPECT_FALSE(matchesPath(R"(path_reg \.(css|png)$)", "/LOGO.PNG"));
}

TEST(AclMatcher, PathRegWithDashIIgnoresCase) {
  EXPECT_TRUE(matchesPath(R"(path_reg -i \.png$)", "/LOGO.PNG"));
}

TEST(AclMatcher, DashMChoosesTheMatchMethod) {
  EXPECT_TRUE(matchesPath("path -m reg ^/a.c$", "/abc"));
  EXPECT_FALSE(matchesPath("path -m reg ^/a.c$", "/abcd"));
  EXPECT_TRUE(matchesPath("path -m beg /api", "/api/x"));
  EXPECT_FALSE(matchesPath("path /api", "/api/x"));
}

TEST(AclMatcher, DoubleDashEndsTheFlagsSoValuesMayStartWithADash) {
  EXPECT_TRUE(matchesPath("path_sub -- -i", "/x-i"));
  EXPECT_TRUE(matchesPath("path_sub -i -- -X", "/a-x"));
  // So may quoted values.
  EXPECT_TRUE(matchesPath(R"(path_end "-old")", "/page-old"));
}

// ---------------------------------------------------------------------------------------------
// Headers

TEST(AclMatcher, HdrMatchesTheValueExactlyWithACaseInsensitiveName) {
  EXPECT_TRUE(matchesHeader("hdr(X-Env) prod", "x-env", "prod"));
  EXPECT_FALSE(matchesHeader("hdr(X-Env) prod", "x-env", "production"));
  EXPECT_FALSE(matchesHeader("hdr(X-Env) prod", "x-other", "prod"));
  EXPECT_TRUE(matchesHeader("req.hdr(x-env) prod", "X-Env", "prod"));
}

TEST(AclMatcher, HdrBegEndAndReg) {
  EXPECT_TRUE(matchesHeader("hdr_beg(user-agent) curl/", "User-Agent", "curl/8.0"));
  EXPECT_FALSE(matchesHeader("hdr_beg(user-agent) curl/", "User-Agent", "Mozilla curl/8.0"));
  EXPECT_TRUE(matchesHeader("hdr_end(host) .example.com", "Host", "www.example.com"));
  EXPECT_TRUE(matchesHeader("hdr_reg(x-id) ^[0-9]+$", "X-Id", "12345"));
  EXPECT_FALSE(matchesHeader("hdr_reg(x-id) ^[0-9]+$", "X-Id", "12a45"));
}

TEST(AclMatcher, HdrSplitsCommaSeparatedValuesAndTrimsThem) {
  EXPECT_TRUE(matchesHeader("hdr(accept) text/html", "Accept", "application/json ,  text/html , */*"));
  EXPECT_FALSE(matchesHeader("hdr(accept) text/html", "Accept", "application/json;text/html"));
}

TEST(AclMatcher, HdrLooksAtEveryOccurrence) {
  const AclMatcher m = mustParse("hdr(x-tag) b");
  Request r;
  r.headers.add("X-Tag", "a");
  r.headers.add("Other", "b");
  EXPECT_FALSE(m.matches(r.facts()));

  r.headers.add("x-tag", "c, b");

  EXPECT_TRUE(m.matches(r.facts()));
}

TEST(AclMatcher, HdrValueComparisonIsCaseSensitiveUnlessDashI) {
  EXPECT_FALSE(matchesHeader("hdr(x-env) Prod", "X-Env", "prod"));
  EXPECT_TRUE(matchesHeader("hdr(x-env) -i Prod", "X-Env", "prod"));
}

TEST(AclMatcher, DashMFoundIsTrueWhenTheHeaderIsPresent) {
  EXPECT_TRUE(matchesHeader("hdr(authorization) -m found", "Authorization", "Bearer x"));
  EXPECT_TRUE(matchesHeader("hdr(authorization) -m found", "Authorization", ""));
  EXPECT_FALSE(matchesHeader("hdr(authorization) -m found", "Cookie", "a=b"));
}

TEST(AclMatcher, HeaderMatchersAreFalseWithoutHeaders) {
  const AclMatcher m = mustParse("hdr(x) -m found");
  RequestFacts facts;

  EXPECT_FALSE(m.matches(facts));
}

// ---------------------------------------------------------------------------------------------
// host, method, query, url_param

TEST(AclMatcher, HostIgnoresThePortAndTheCase) {
  EXPECT_TRUE(matchesHost("host example.com", "Example.COM:8080"));
  EXPECT_TRUE(matchesHost("host example.com", " example.com "));
  EXPECT_FALSE(matchesHost("host example.com", "www.example.com"));
}

TEST(AclMatcher, HostKeepsTheBracketsOfAnIpv6Literal) {
  EXPECT_TRUE(matchesHost("host [::1]", "[::1]:80"));
  EXPECT_TRUE(matchesHost("host [::1]", "[::1]"));
  EXPECT_FALSE(matchesHost("host ::1", "[::1]:80"));
}

TEST(AclMatcher, HostWithSuffixMatchers) {
  EXPECT_TRUE(matchesHost("host_end .example.com", "api.example.com:443"));
  EXPECT_TRUE(matchesHost("host_dom example", "api.example.com:443"));
  EXPECT_TRUE(matchesHost("host_reg ^api\\.", "API.example.com"));
}

TEST(AclMatcher, HostIsFalseWithoutAHostHeader) {
  EXPECT_FALSE(matchesHeader("host -m found", "X-Host", "example.com"));
  EXPECT_TRUE(matchesHeader("host -m found", "host", "example.com"));
}

TEST(AclMatcher, MethodMatchesExactly) {
  const AclMatcher m = mustParse("method POST PUT");
  Request r;

  r.method = "PUT";
  EXPECT_TRUE(m.matches(r.facts()));
  r.method = "put";
  EXPECT_FALSE(m.matches(r.facts()));
  r.method = "GET";
  EXPECT_FALSE(m.matches(r.facts()));
}

TEST(AclMatcher, QueryMatchesTheWholeQueryString) {
  EXPECT_TRUE(matchesQuery("query a=1&b=2", "a=1&b=2"));
  EXPECT_FALSE(matchesQuery("query a=1", "a=1&b=2"));
  EXPECT_TRUE(matchesQuery("query_sub debug", "x=1&debug=1"));
}

TEST(AclMatcher, QueryFoundIsFalseWithoutAQuery) {
  EXPECT_FALSE(matchesQuery("query -m found", ""));
  Request emptyQuery;
  emptyQuery.hasQuery = true;  // "/path?"
  EXPECT_TRUE(mustParse("query -m found").matches(emptyQuery.facts()));
}

TEST(AclMatcher, UrlParamMatchesTheValueOfTheNamedParameter) {
  EXPECT_TRUE(matchesQuery("url_param(debug) 1", "x=2&debug=1"));
  EXPECT_FALSE(matchesQuery("url_param(debug) 1", "x=1&debug=0"));
  EXPECT_FALSE(matchesQuery("url_param(debug) 1", "nodebug=1"));
  EXPECT_TRUE(matchesQuery("urlp(debug) 1", "debug=1"));
}

TEST(AclMatcher, UrlParamLooksAtEveryOccurrence) {
  EXPECT_TRUE(matchesQuery("url_param(id) 7", "id=3&id=7"));
}

TEST(AclMatcher, UrlParamFoundWithAndWithoutValue) {
  EXPECT_TRUE(matchesQuery("url_param(flag) -m found", "a=1&flag"));
  EXPECT_TRUE(matchesQuery("url_param(flag) -m found", "flag="));
  EXPECT_FALSE(matchesQuery("url_param(flag) -m found", "flags=1"));
  EXPECT_FALSE(matchesQuery("url_param(flag) -m found", ""));
}

// ---------------------------------------------------------------------------------------------
// src, ssl_fc, status

TEST(AclMatcher, SrcMatchesAddressesAndBlocks) {
  EXPECT_TRUE(matchesSrc("src 127.0.0.1 10.0.0.0/8", "10.20.30.40"));
  EXPECT_TRUE(matchesSrc("src 127.0.0.1 10.0.0.0/8", "127.0.0.1"));
  EXPECT_FALSE(matchesSrc("src 127.0.0.1 10.0.0.0/8", "192.168.0.1"));
  EXPECT_TRUE(matchesSrc("src ::1 2001:db8::/32", "2001:db8::9"));
  EXPECT_TRUE(matchesSrc("src 10.0.0.0/8", "::ffff:10.0.0.1"));
}

TEST(AclMatcher, SrcIsFalseWithoutAClientAddress) {
  const AclMatcher m = mustParse("src 0.0.0.0/0");
  Request r;

  EXPECT_FALSE(m.matches(r.facts()));
}

TEST(AclMatcher, SslFcIsTheTlsFlag) {
  const AclMatcher m = mustParse("ssl_fc");
  Request r;

  EXPECT_FALSE(m.matches(r.facts()));
  r.ssl = true;
  EXPECT_TRUE(m.matches(r.facts()));
}

TEST(AclMatcher, StatusMatchesSingleCodesAndRanges) {
  EXPECT_TRUE(matchesStatus("status 200", 200));
  EXPECT_FALSE(matchesStatus("status 200", 201));
  EXPECT_TRUE(matchesStatus("status 200:299", 204));
  EXPECT_TRUE(matchesStatus("status 200:299", 299));
  EXPECT_FALSE(matchesStatus("status 200:299", 300));
  EXPECT_TRUE(matchesStatus("status 404 500:", 503));
  EXPECT_TRUE(matchesStatus("status :199", 101));
  EXPECT_FALSE(matchesStatus("status :199", 200));
  // status is 0 while the request is routed
  EXPECT_FALSE(matchesStatus("status 100:599", 0));
}

TEST(AclMatcher, TextIsTheMatcherAsWritten) {
  EXPECT_EQ(mustParse("path_beg  -i   /api /v1").text(), "path_beg -i /api /v1");
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(AclMatcher, UnknownMatcherSuggestsTheNearestName) {
  const RuleError e = parseError("  path_begin /api");

  EXPECT_EQ(e.offset, 2u);
  EXPECT_EQ(e.message, "unknown matcher 'path_begin', did you mean 'path_beg'?");
}

TEST(AclMatcher, UnknownMatcherSuggestionIgnoresTheArgumentAndNeedsANearName) {
  EXPECT_EQ(parseError("hrd(host) x").message, "unknown matcher 'hrd(host)', did you mean 'hdr'?");
  EXPECT_EQ(parseError("frobnicate x").message, "unknown matcher 'frobnicate'");
}

TEST(AclMatcher, SuffixOnAFetchThatTakesNoneIsUnknown) {
  EXPECT_EQ(parseError("method_beg GE").message.rfind("unknown matcher 'method_beg'", 0), 0u);
  EXPECT_EQ(parseError("src_beg 10.").message.rfind("unknown matcher 'src_beg'", 0), 0u);
}

TEST(AclMatcher, MissingEmptyUnclosedOrUnexpectedArgumentIsAnError) {
  EXPECT_EQ(parseError("hdr x").message, "'hdr' needs an argument, e.g. hdr(x-name)");
  EXPECT_EQ(parseError("url_param 1").message, "'url_param' needs an argument, e.g. url_param(x-name)");
  EXPECT_EQ(parseError("hdr() x").message, "'hdr()': expected NAME(ARGUMENT), e.g. hdr(host)");
  EXPECT_EQ(parseError("hdr(host x").message, "'hdr(host': expected NAME(ARGUMENT), e.g. hdr(host)");
  EXPECT_EQ(parseError("path_beg(x) /a").message, "'path' takes no argument");
}

TEST(AclMatcher, SslFcAndDashMFoundTakeNoValues) {
  const RuleError ssl = parseError("ssl_fc true");
  const RuleError found = parseError("hdr(x) -m found yes");

  EXPECT_EQ(ssl.offset, 7u);
  EXPECT_EQ(ssl.message, "'ssl_fc' takes no values");
  EXPECT_EQ(found.offset, 16u);
  EXPECT_EQ(found.message, "'hdr(x)' takes no values");
}

TEST(AclMatcher, MatcherWithoutValuesIsAnErrorAtItsName) {
  const RuleError e = parseError(" path_beg -i");

  EXPECT_EQ(e.offset, 1u);
  EXPECT_EQ(e.message, "'path_beg -i' needs at least one value to match");
}

TEST(AclMatcher, NoWordsAtAllIsAnError) {
  std::vector<RuleError> errors;

  EXPECT_FALSE(AclMatcher::parse({}, &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message.rfind("expected a matcher", 0), 0u);
}

TEST(AclMatcher, InvalidRegexReportsRe2ErrorAtTheWord) {
  const RuleError e = parseError("path_reg ok (unclosed");

  EXPECT_EQ(e.offset, 12u);
  EXPECT_EQ(e.message.rfind("invalid regular expression '(unclosed': ", 0), 0u) << e.message;
  EXPECT_NE(e.message.find("missing )"), std::string::npos) << e.message;
  EXPECT_EQ(parseError(R"(path_reg (a)\1)").offset, 9u);  // RE2 has no backreferences
}

TEST(AclMatcher, UnknownFlagIsAnErrorAtTheFlag) {
  const RuleError e = parseError("path_beg -x /a");

  EXPECT_EQ(e.offset, 9u);
  EXPECT_EQ(e.message, "unknown flag '-x' (flags are -i, -m METHOD and --)");
}

TEST(AclMatcher, UnknownMatchMethodIsAnErrorAtTheMethod) {
  const RuleError e = parseError("path -m prefix /a");

  EXPECT_EQ(e.offset, 8u);
  EXPECT_EQ(e.message, "'-m prefix' does not apply to path (-m takes str, beg, end, sub, dir, dom, reg or found)");
}

TEST(AclMatcher, DashMOnANonStringFetchOrWithoutAMethodIsAnError) {
  EXPECT_NE(parseError("src -m beg 10.").message.find("does not apply to src"), std::string::npos);
  EXPECT_NE(parseError("ssl_fc -m found").message.find("does not apply to ssl_fc"), std::string::npos);
  EXPECT_EQ(parseError("path -m").offset, 5u);
}

TEST(AclMatcher, InvalidSrcValueIsAnErrorAtTheValue) {
  const RuleError e = parseError("src 10.0.0.0/8 10.0.0.0/99");

  EXPECT_EQ(e.offset, 15u);
  EXPECT_EQ(e.message, "'10.0.0.0/99': the prefix length must be 0 to 32");
}

TEST(AclMatcher, InvalidStatusValuesAreErrors) {
  for (std::string_view line : {"status abc", "status 99", "status 600", "status 300:200", "status :", "status 2xx"}) {
    std::vector<RuleError> errors;
    EXPECT_FALSE(parseLine(line, &errors).has_value()) << line;
  }
  EXPECT_EQ(parseError("status 200 2xx").message, "'2xx' is not a status or a range like 200:299");
}

}  // namespace
}  // namespace weir::route

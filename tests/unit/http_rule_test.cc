#include "weir/route/http_rule.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace weir::route {
namespace {

class HttpRuleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<RuleError> errors;
    auto m = AclMatcher::parse(splitRuleWords("path_beg /health").words, &errors);
    ASSERT_TRUE(m.has_value());
    acls_.addNamed("health", std::move(*m));
  }

  void TearDown() override {
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  /// A fresh directory with `name` holding `content`.
  std::string writeFile(const std::string& name, const std::string& content) {
    if (dir_.empty()) {
      std::string tmpl = ::testing::TempDir() + "/weir_http_rule_XXXXXX";
      EXPECT_NE(::mkdtemp(tmpl.data()), nullptr);
      dir_ = tmpl;
    }
    std::ofstream(dir_ + "/" + name, std::ios::binary) << content;
    return dir_;
  }

  std::optional<HttpRule> parse(std::string_view line, RuleSide side = RuleSide::kRequest, const std::string& baseDir = "") {
    const RuleWords split = splitRuleWords(line);
    EXPECT_TRUE(split.errors.empty()) << line;
    errors_.clear();
    return parseHttpRule(split.words, side, acls_, baseDir, &errors_);
  }

  HttpRule mustParse(std::string_view line, RuleSide side = RuleSide::kRequest, const std::string& baseDir = "") {
    std::optional<HttpRule> r = parse(line, side, baseDir);
    EXPECT_TRUE(r.has_value()) << line << ": " << (errors_.empty() ? "" : errors_[0].message);
    return r ? std::move(*r) : HttpRule{};
  }

  /// The first error of parsing `line`.
  RuleError parseError(std::string_view line, RuleSide side = RuleSide::kRequest, const std::string& baseDir = "") {
    EXPECT_FALSE(parse(line, side, baseDir).has_value()) << line;
    EXPECT_EQ(errors_.size(), 1u) << line;
    return errors_.empty() ? RuleError{999, "<no error>"} : errors_[0];
  }

  AclTable acls_;
  std::vector<RuleError> errors_;
  std::string dir_;
};

// ---------------------------------------------------------------------------------------------
// return

TEST_F(HttpRuleTest, ReturnWithStatusContentTypeAndString) {
  const HttpRule r = mustParse(R"(return status 200 content-type text/plain string "healthy\n" if health)");

  EXPECT_EQ(r.action, RuleAction::kReturn);
  EXPECT_TRUE(r.terminal());
  EXPECT_EQ(r.reply.status, 200);
  EXPECT_EQ(r.reply.contentType, "text/plain");
  EXPECT_EQ(r.reply.body, "healthy\n");
  ASSERT_TRUE(r.condition.has_value());
  EXPECT_EQ(r.condition->text(), "if health");
}

TEST_F(HttpRuleTest, ReturnDefaultsToStatus200AndTextPlainForABody) {
  const HttpRule r = mustParse("return string ok");

  EXPECT_EQ(r.reply.status, 200);
  EXPECT_EQ(r.reply.contentType, "text/plain");
  EXPECT_FALSE(r.condition.has_value());
}

TEST_F(HttpRuleTest, ReturnWithHeaders) {
  const HttpRule r = mustParse(R"(return status 418 hdr X-A 1 hdr Cache-Control "no-store, max-age=0")");

  EXPECT_EQ(r.reply.status, 418);
  ASSERT_EQ(r.reply.headers.size(), 2u);
  EXPECT_EQ(r.reply.headers[1].name, "Cache-Control");
  EXPECT_EQ(r.reply.headers[1].value, "no-store, max-age=0");
  EXPECT_TRUE(r.reply.body.empty());
}

TEST_F(HttpRuleTest, ReturnFileReadsTheFileRelativeToBaseDir) {
  const std::string dir = writeFile("page.html", "<h1>down</h1>\n");

  const HttpRule r = mustParse("return status 503 content-type text/html file page.html", RuleSide::kRequest, dir);

  EXPECT_EQ(r.reply.body, "<h1>down</h1>\n");
  EXPECT_EQ(r.reply.contentType, "text/html");
  EXPECT_EQ(mustParse("return file " + dir + "/page.html", RuleSide::kRequest, "/elsewhere").reply.body, "<h1>down</h1>\n");
}

TEST_F(HttpRuleTest, ReturnFileThatCannotBeReadIsAnErrorAtItsName) {
  const RuleError e = parseError("return file missing.html", RuleSide::kRequest, "/nonexistent-dir");

  EXPECT_EQ(e.offset, 12u);
  EXPECT_EQ(e.message, "cannot read '/nonexistent-dir/missing.html'");
}

TEST_F(HttpRuleTest, ReturnFileLargerThanOneMebibyteIsRefused) {
  const std::string dir = writeFile("big.bin", std::string(1024 * 1024 + 1, 'x'));

  EXPECT_NE(parseError("return file big.bin", RuleSide::kRequest, dir).message.find("larger than 1 MiB"), std::string::npos);
}

TEST_F(HttpRuleTest, ReturnWithBothStringAndFileIsRefused) {
  const std::string dir = writeFile("a.txt", "a");

  const RuleError e = parseError("return string x file a.txt", RuleSide::kRequest, dir);

  EXPECT_EQ(e.offset, 16u);
  EXPECT_EQ(e.message, "only one of 'string' and 'file' may give the body");
}

TEST_F(HttpRuleTest, ReturnStatusOutOfRangeIsAnErrorAtTheValue) {
  const RuleError e = parseError("return status 99");

  EXPECT_EQ(e.offset, 14u);
  EXPECT_EQ(e.message, "status must be a status from 200 to 599, got '99'");
  EXPECT_EQ(parseError("return status 600").offset, 14u);
  EXPECT_EQ(parseError("return status 2OO").offset, 14u);
}

TEST_F(HttpRuleTest, ReturnOptionWithoutValueOrUnknownIsAnErrorAtTheOption) {
  const RuleError missing = parseError("return string");
  const RuleError unknown = parseError("return status 200 body x");

  EXPECT_EQ(missing.offset, 7u);
  EXPECT_EQ(missing.message, "string needs a value");
  EXPECT_EQ(unknown.offset, 18u);
  EXPECT_EQ(unknown.message, "unknown option 'body' (expected status, content-type, string, file or hdr)");
  EXPECT_EQ(parseError("return deny_status 500").message.rfind("unknown option 'deny_status'", 0), 0u);
}

TEST_F(HttpRuleTest, BodyOn204Or304IsRefused) {
  EXPECT_EQ(parseError("return status 204 string x").message, "a 204 response cannot have a body");
  EXPECT_EQ(parseError("return status 304 string x").message, "a 304 response cannot have a body");
  EXPECT_TRUE(parse("return status 204").has_value());
}

TEST_F(HttpRuleTest, BodyOn204IsReportedAtTheOffendingWord) {
  const size_t offset = parseError("return status 204 string x").offset;

  EXPECT_TRUE(offset == 14u || offset == 18u) << offset;
}

TEST_F(HttpRuleTest, ReturnHeaderThatIsAFramingHeaderIsRefused) {
  const RuleError e = parseError("return hdr Content-Length 5 string hello");

  EXPECT_EQ(e.offset, 11u);
  EXPECT_EQ(e.message, "'Content-Length' describes the connection or the framing and is managed by weir");
}

TEST_F(HttpRuleTest, ReturnDoesNotGiveTwoContentTypes) {
  const std::optional<HttpRule> r = parse("return string x hdr Content-Type text/html");

  const bool twoContentTypes = r && !r->reply.contentType.empty() && !r->reply.headers.empty() &&
                               http::equalsIgnoreCase(r->reply.headers[0].name, "content-type");

  EXPECT_FALSE(twoContentTypes);  // either refused, or one Content-Type
}

// ---------------------------------------------------------------------------------------------
// deny

TEST_F(HttpRuleTest, DenyDefaultsTo403) {
  const HttpRule r = mustParse("deny if health");

  EXPECT_EQ(r.action, RuleAction::kDeny);
  EXPECT_TRUE(r.terminal());
  EXPECT_EQ(r.reply.status, 403);
  EXPECT_TRUE(r.reply.body.empty());
}

TEST_F(HttpRuleTest, DenyTakesStatusOrDenyStatus) {
  EXPECT_EQ(mustParse("deny status 429").reply.status, 429);
  EXPECT_EQ(mustParse("deny deny_status 451 string gone").reply.status, 451);
  EXPECT_EQ(mustParse("deny deny_status 451 string gone").reply.body, "gone");
  EXPECT_EQ(parseError("deny deny_status 700").offset, 17u);
}

// ---------------------------------------------------------------------------------------------
// redirect

TEST_F(HttpRuleTest, RedirectSchemeWithCode) {
  const HttpRule r = mustParse("redirect scheme https code 301 if !{ ssl_fc } !health");

  EXPECT_EQ(r.action, RuleAction::kRedirect);
  EXPECT_TRUE(r.terminal());
  EXPECT_EQ(r.redirect.kind, RedirectSpec::Kind::kScheme);
  EXPECT_EQ(r.redirect.value, "https");
  EXPECT_EQ(r.redirect.code, 301);
  EXPECT_FALSE(r.redirect.dropQuery);
  ASSERT_TRUE(r.condition.has_value());
}

TEST_F(HttpRuleTest, RedirectLocationDefaultsTo302) {
  const HttpRule r = mustParse("redirect location /login");

  EXPECT_EQ(r.redirect.kind, RedirectSpec::Kind::kLocation);
  EXPECT_EQ(r.redirect.value, "/login");
  EXPECT_EQ(r.redirect.code, 302);
}

TEST_F(HttpRuleTest, RedirectPrefixWithDropQueryAndEveryAllowedCode) {
  const HttpRule r = mustParse("redirect prefix https://new.example.com drop-query code 308");

  EXPECT_EQ(r.redirect.kind, RedirectSpec::Kind::kPrefix);
  EXPECT_EQ(r.redirect.value, "https://new.example.com");
  EXPECT_TRUE(r.redirect.dropQuery);
  EXPECT_EQ(r.redirect.code, 308);
  for (int code : {301, 302, 303, 307, 308})
    EXPECT_EQ(mustParse("redirect location /x code " + std::to_string(code)).redirect.code, code);
}

TEST_F(HttpRuleTest, RedirectWithBadCodeIsAnErrorAtTheCode) {
  const RuleError e = parseError("redirect location /x code 300");

  EXPECT_EQ(e.offset, 26u);
  EXPECT_EQ(e.message, "code must be 301, 302, 303, 307 or 308");
}

TEST_F(HttpRuleTest, RedirectWithoutTargetIsAnErrorAtTheAction) {
  const RuleError e = parseError("  redirect code 301");

  EXPECT_EQ(e.offset, 2u);
  EXPECT_EQ(e.message, "redirect needs 'scheme', 'location' or 'prefix'");
}

TEST_F(HttpRuleTest, RedirectWithTwoTargetsOrAnUnknownOptionIsAnError) {
  const RuleError e = parseError("redirect scheme https location /x");

  EXPECT_EQ(e.offset, 22u);
  EXPECT_EQ(e.message, "only one of scheme, location and prefix");
  EXPECT_EQ(parseError("redirect location /x append-slash").offset, 21u);
}

TEST_F(HttpRuleTest, RedirectLocationWithCrLfIsRefused) {
  const RuleError e = parseError(R"(redirect location "/x\r\nSet-Cookie: a=b")");

  EXPECT_EQ(e.offset, 18u);
  EXPECT_EQ(e.message, "location must not contain CR, LF or NUL");
}

// ---------------------------------------------------------------------------------------------
// allow and edits

TEST_F(HttpRuleTest, AllowTakesOnlyACondition) {
  const HttpRule r = mustParse("allow if health");

  EXPECT_EQ(r.action, RuleAction::kAllow);
  EXPECT_FALSE(r.terminal());
  EXPECT_EQ(parseError("allow everything").message, "usage: allow [if COND]");
}

TEST_F(HttpRuleTest, SetAddAndDelHeader) {
  const HttpRule set = mustParse("set-header X-Frame-Options DENY");
  const HttpRule add = mustParse(R"(add-header Via "1.1 weir")");
  const HttpRule del = mustParse("del-header Server");

  EXPECT_EQ(set.action, RuleAction::kSetHeader);
  EXPECT_EQ(set.name, "X-Frame-Options");
  EXPECT_EQ(set.value, "DENY");
  EXPECT_EQ(add.action, RuleAction::kAddHeader);
  EXPECT_EQ(add.value, "1.1 weir");
  EXPECT_EQ(del.action, RuleAction::kDelHeader);
  EXPECT_EQ(del.name, "Server");
  EXPECT_FALSE(set.terminal() || add.terminal() || del.terminal());
}

TEST_F(HttpRuleTest, QuotedIfIsAValueNotTheCondition) {
  const HttpRule r = mustParse(R"(set-header X-Word "if" if health)");

  EXPECT_EQ(r.value, "if");
  ASSERT_TRUE(r.condition.has_value());
}

TEST_F(HttpRuleTest, SetHeaderWithWrongNumberOfWordsShowsUsage) {
  const RuleError few = parseError(" set-header X-A");
  const RuleError many = parseError("add-header X-A b c");

  EXPECT_EQ(few.offset, 1u);
  EXPECT_EQ(few.message, "usage: set-header NAME VALUE");
  EXPECT_EQ(many.offset, 17u);
  EXPECT_EQ(many.message, "usage: add-header NAME VALUE");
}

TEST_F(HttpRuleTest, FramingAndConnectionHeadersCannotBeWritten) {
  for (std::string_view name : {"Content-Length", "transfer-encoding", "Connection", "Keep-Alive", "Upgrade", "TE",
                                "Trailer", "Proxy-Connection"}) {
    const RuleError e = parseError("set-header " + std::string(name) + " x");
    EXPECT_EQ(e.offset, 11u) << name;
    EXPECT_NE(e.message.find("managed by weir"), std::string::npos) << name;
    EXPECT_FALSE(parse("add-header " + std::string(name) + " x").has_value()) << name;
  }
}

TEST_F(HttpRuleTest, InvalidHeaderNamesAreRefused) {
  EXPECT_EQ(parseError("set-header X:Y z").message, "'X:Y' is not a valid header name");
  EXPECT_EQ(parseError(R"(set-header "X Y" z)").offset, 11u);
  EXPECT_FALSE(parse(R"(del-header "")").has_value());
}

TEST_F(HttpRuleTest, HeaderValueWithCrLfOrNulIsRefused) {
  const RuleError e = parseError(R"(set-header X-A "a\r\nX-Injected: 1")");

  EXPECT_EQ(e.offset, 15u);
  EXPECT_EQ(e.message, "a header value must not contain CR, LF or NUL");
  EXPECT_FALSE(parse(R"(add-header X-A a\nb)").has_value());
  EXPECT_FALSE(parse(R"(set-header X-A a\x00b)").has_value());
}

TEST_F(HttpRuleTest, LogFormatExpressionsAreRefused) {
  const RuleError e = parseError("set-header X-Client %[src]");

  EXPECT_EQ(e.offset, 20u);
  EXPECT_NE(e.message.find("%[...]"), std::string::npos);
}

TEST_F(HttpRuleTest, SetPathNeedsALeadingSlash) {
  EXPECT_EQ(mustParse("set-path /maintenance").value, "/maintenance");
  const RuleError e = parseError("set-path maintenance");
  EXPECT_EQ(e.offset, 9u);
  EXPECT_EQ(e.message, "set-path needs a path starting with '/' without spaces, controls or '?'");
  EXPECT_FALSE(parse("set-path /a?b=1").has_value());
  EXPECT_FALSE(parse(R"(set-path "/a b")").has_value());
  EXPECT_EQ(parseError("set-path").message, "usage: set-path PATH");
}

TEST_F(HttpRuleTest, SetPathWithAMalformedEscapeIsRefusedAtLoad) {
  const RuleError e = parseError("set-path /a%zz");

  EXPECT_EQ(e.offset, 9u);
}

TEST_F(HttpRuleTest, ReplacePathCompilesTheRegexAndKeepsTheReplacement) {
  const HttpRule r = mustParse(R"(replace-path ^/old/(.*) /new/\1)");

  EXPECT_EQ(r.action, RuleAction::kReplacePath);
  ASSERT_TRUE(r.regex.has_value());
  EXPECT_EQ(r.regex->pattern(), "^/old/(.*)");
  EXPECT_EQ(r.value, R"(/new/\1)");
}

TEST_F(HttpRuleTest, ReplacePathWithBadRegexIsAnErrorAtTheRegex) {
  const RuleError e = parseError("replace-path ^/old/(.* /new");

  EXPECT_EQ(e.offset, 13u);
  EXPECT_EQ(e.message.rfind("invalid regular expression '^/old/(.*': ", 0), 0u) << e.message;
}

TEST_F(HttpRuleTest, ReplacePathReplacementWithAMissingGroupOrAQuestionMarkIsRefused) {
  const RuleError e = parseError(R"(replace-path ^/old/(.*) /new/\2)");

  EXPECT_EQ(e.offset, 24u);
  EXPECT_FALSE(e.message.empty());
  EXPECT_EQ(parseError(R"(replace-path ^/(.*) /x?y=\1)").offset, 20u);
}

// ---------------------------------------------------------------------------------------------
// Actions and sides

TEST_F(HttpRuleTest, UnknownActionListsTheRequestActions) {
  const RuleError e = parseError("  forward to api");

  EXPECT_EQ(e.offset, 2u);
  EXPECT_EQ(e.message, "unknown action 'forward' (expected return, redirect, deny, allow, set-header, add-header, "
                       "del-header, set-path, replace-path)");
}

TEST_F(HttpRuleTest, ResponseSideRefusesRequestOnlyActions) {
  for (std::string_view line : {"return status 200", "deny", "redirect location /", "allow", "set-path /a",
                                "replace-path ^/a /b"}) {
    const RuleError e = parseError(line, RuleSide::kResponse);
    EXPECT_NE(e.message.find("(expected set-header, add-header, del-header)"), std::string::npos) << line;
  }
}

TEST_F(HttpRuleTest, ResponseSideAcceptsHeaderEdits) {
  EXPECT_EQ(mustParse("set-header Strict-Transport-Security max-age=63072000", RuleSide::kResponse).action,
            RuleAction::kSetHeader);
  EXPECT_EQ(mustParse("del-header Server if { status 200:299 }", RuleSide::kResponse).action, RuleAction::kDelHeader);
}

TEST_F(HttpRuleTest, ConditionErrorsAreReported) {
  const RuleError e = parseError("deny if helth");

  EXPECT_EQ(e.offset, 8u);
  EXPECT_EQ(e.message, "undefined ACL 'helth', did you mean 'health'?");
}

TEST_F(HttpRuleTest, AppliesFollowsTheCondition) {
  const HttpRule always = mustParse("deny");
  const HttpRule onHealth = mustParse("deny unless health");
  RequestFacts facts;
  facts.path = "/health";

  EXPECT_TRUE(always.applies(acls_, facts));
  EXPECT_FALSE(onHealth.applies(acls_, facts));
}

TEST_F(HttpRuleTest, EmptyRuleIsAnError) {
  std::vector<RuleError> errors;

  EXPECT_FALSE(parseHttpRule({}, RuleSide::kRequest, acls_, "", &errors).has_value());
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].message, "empty rule");
}

// ---------------------------------------------------------------------------------------------
// redirectLocation

TEST(RedirectLocation, SchemeKeepsHostPathAndQuery) {
  const RedirectSpec r{RedirectSpec::Kind::kScheme, "https", 301, false};

  EXPECT_EQ(redirectLocation(r, "example.com", "/a/b", "x=1", true), "https://example.com/a/b?x=1");
  EXPECT_EQ(redirectLocation(r, "example.com:8080", "/", "", false), "https://example.com:8080/");
}

TEST(RedirectLocation, KeepsAnEmptyQueryUnlessDropQuery) {
  const RedirectSpec keep{RedirectSpec::Kind::kScheme, "https", 301, false};
  const RedirectSpec drop{RedirectSpec::Kind::kScheme, "https", 301, true};

  EXPECT_EQ(redirectLocation(keep, "h", "/a", "", true), "https://h/a?");
  EXPECT_EQ(redirectLocation(drop, "example.com", "/a", "x=1", true), "https://example.com/a");
}

TEST(RedirectLocation, LocationIsUsedAsWrittenAndPrefixGoesBeforeThePath) {
  const RedirectSpec location{RedirectSpec::Kind::kLocation, "https://login.example.com/", 302, false};
  const RedirectSpec prefix{RedirectSpec::Kind::kPrefix, "https://new.example.com", 301, false};

  EXPECT_EQ(redirectLocation(location, "example.com", "/a", "x=1", true), "https://login.example.com/");
  EXPECT_EQ(redirectLocation(prefix, "old.example.com", "/a", "x=1", true), "https://new.example.com/a?x=1");
}

TEST(RedirectLocation, PrefixSlashKeepsThePathAsItIs) {
  const RedirectSpec keep{RedirectSpec::Kind::kPrefix, "/", 302, false};
  const RedirectSpec drop{RedirectSpec::Kind::kPrefix, "/", 302, true};

  EXPECT_EQ(redirectLocation(keep, "h", "/a", "x=1", true), "/a?x=1");
  EXPECT_EQ(redirectLocation(drop, "h", "/a", "x=1", true), "/a");
}

}  // namespace
}  // namespace weir::route

#include "weir/route/condition.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weir::route {
namespace {

/// ACLs a, b, c, d are `path_sub A` .. `path_sub D`, so a path made of the letters of the ACLs
/// that should hold ("/AC") sets exactly those; `api` and `health` are for the suggestions.
class ConditionTest : public ::testing::Test {
 protected:
  ConditionTest() {
    for (std::string_view name : {"a", "b", "c", "d"}) add(name, "path_sub " + std::string(1, static_cast<char>(name[0] - 'a' + 'A')));
    add("api", "path_beg /api");
    add("health", "path_beg /health");
    add("tls", "ssl_fc");
  }

  void add(std::string_view name, const std::string& matcher) {
    std::vector<RuleError> errors;
    std::optional<AclMatcher> m = AclMatcher::parse(splitRuleWords(matcher).words, &errors);
    ASSERT_TRUE(m.has_value()) << matcher;
    acls_.addNamed(name, std::move(*m));
  }

  std::optional<Condition> parse(std::string_view line) {
    words_ = splitRuleWords(line);
    EXPECT_TRUE(words_.errors.empty()) << line;
    errors_.clear();
    return Condition::parse(words_.words, acls_, &errors_);
  }

  Condition mustParse(std::string_view line) {
    std::optional<Condition> c = parse(line);
    EXPECT_TRUE(c.has_value()) << line << ": " << (errors_.empty() ? "" : errors_[0].message);
    return c ? std::move(*c) : *parse("if a");
  }

  /// Whether `line` holds for a request with this path (and TLS flag).
  bool holds(std::string_view line, std::string path, bool ssl = false) {
    const Condition c = mustParse(line);
    path_ = std::move(path);
    RequestFacts facts;
    facts.path = path_;
    facts.ssl = ssl;
    return c.holds(acls_, facts);
  }

  /// The one error of parsing `line`.
  RuleError parseError(std::string_view line) {
    EXPECT_FALSE(parse(line).has_value()) << line;
    EXPECT_EQ(errors_.size(), 1u) << line;
    return errors_.empty() ? RuleError{999, "<no error>"} : errors_[0];
  }

  AclTable acls_;
  RuleWords words_;
  std::vector<RuleError> errors_;
  std::string path_;
};

// ---------------------------------------------------------------------------------------------
// Terms and operators

TEST_F(ConditionTest, SingleNamedAclHoldsWhenItMatches) {
  EXPECT_TRUE(holds("if a", "/A"));
  EXPECT_FALSE(holds("if a", "/B"));
}

TEST_F(ConditionTest, TermsSideBySideAreAnded) {
  EXPECT_TRUE(holds("if a b", "/AB"));
  EXPECT_FALSE(holds("if a b", "/A"));
  EXPECT_FALSE(holds("if a b", "/B"));
}

TEST_F(ConditionTest, OrSeparatesAlternatives) {
  EXPECT_TRUE(holds("if a or b", "/A"));
  EXPECT_TRUE(holds("if a or b", "/B"));
  EXPECT_FALSE(holds("if a or b", "/C"));
}

TEST_F(ConditionTest, DoublePipeIsOr) {
  EXPECT_TRUE(holds("if a || b", "/B"));
  EXPECT_FALSE(holds("if a || b", "/D"));
}

TEST_F(ConditionTest, AndBindsTighterThanOr) {
  // a b or c == (a and b) or c
  EXPECT_TRUE(holds("if a b or c", "/C"));
  EXPECT_TRUE(holds("if a b or c", "/AB"));
  EXPECT_FALSE(holds("if a b or c", "/A"));
  EXPECT_FALSE(holds("if a b or c", "/B"));
}

TEST_F(ConditionTest, OrBetweenTwoAndGroups) {
  // a b or c d == (a and b) or (c and d), not a and (b or c) and d
  EXPECT_TRUE(holds("if a b or c d", "/CD"));
  EXPECT_FALSE(holds("if a b or c d", "/AD"));
  EXPECT_FALSE(holds("if a b or c d", "/BC"));
}

TEST_F(ConditionTest, BangNegatesATerm) {
  EXPECT_TRUE(holds("if !a", "/B"));
  EXPECT_FALSE(holds("if !a", "/A"));
}

TEST_F(ConditionTest, BangWrittenApartNegatesTheNextTerm) {
  EXPECT_TRUE(holds("if ! a b", "/B"));
  EXPECT_FALSE(holds("if ! a b", "/AB"));
}

TEST_F(ConditionTest, BangNegatesOnlyOneTerm) {
  EXPECT_TRUE(holds("if !a b", "/B"));
  EXPECT_FALSE(holds("if !a b", "/C"));
}

TEST_F(ConditionTest, AnonymousAclIsATerm) {
  EXPECT_TRUE(holds("if { path_beg /x }", "/x/1"));
  EXPECT_FALSE(holds("if { path_beg /x }", "/y"));
}

TEST_F(ConditionTest, AnonymousAclWithFlagsAndSeveralValues) {
  EXPECT_TRUE(holds("if { path_beg -i /X /Y } a", "/y/A"));
  EXPECT_FALSE(holds("if { path_beg -i /X /Y } a", "/y/B"));
}

TEST_F(ConditionTest, NegatedAnonymousAclWithBangAgainstTheBrace) {
  EXPECT_TRUE(holds("if !{ ssl_fc }", "/", false));
  EXPECT_FALSE(holds("if !{ ssl_fc }", "/", true));
}

TEST_F(ConditionTest, NegatedAnonymousAclWithBangApart) {
  EXPECT_TRUE(holds("if ! { ssl_fc }", "/", false));
  EXPECT_FALSE(holds("if ! { ssl_fc }", "/", true));
}

TEST_F(ConditionTest, ConfigMdRedirectCondition) {
  // redirect scheme https code 301 if !{ ssl_fc } !health
  EXPECT_TRUE(holds("if !{ ssl_fc } !health", "/page", false));
  EXPECT_FALSE(holds("if !{ ssl_fc } !health", "/health", false));
  EXPECT_FALSE(holds("if !{ ssl_fc } !health", "/page", true));
}

TEST_F(ConditionTest, AnonymousAclsAreAddedToTheTable) {
  const size_t before = acls_.size();

  mustParse("if { path_beg /x } or { ssl_fc }");

  EXPECT_EQ(acls_.size(), before + 2);
  EXPECT_EQ(acls_.acl(static_cast<int>(before)).name, "");
  EXPECT_EQ(acls_.acl(static_cast<int>(before)).matchers[0].text(), "path_beg /x");
}

TEST_F(ConditionTest, UnlessInvertsTheWholeCondition) {
  EXPECT_FALSE(holds("unless a or b", "/A"));
  EXPECT_FALSE(holds("unless a or b", "/B"));
  EXPECT_TRUE(holds("unless a or b", "/C"));
}

TEST_F(ConditionTest, UnlessWithNegation) {
  EXPECT_TRUE(holds("unless !tls", "/", true));
  EXPECT_FALSE(holds("unless !tls", "/", false));
}

TEST_F(ConditionTest, TextIsTheConditionAsWritten) {
  EXPECT_EQ(mustParse("if  !{ ssl_fc }   !health").text(), "if !{ ssl_fc } !health");
}

TEST_F(ConditionTest, AclsListsEveryReferencedAclOnce) {
  const std::vector<int> acls = mustParse("if a b or !a c").acls();

  EXPECT_EQ(acls, (std::vector<int>{*acls_.find("a"), *acls_.find("b"), *acls_.find("c")}));
}

TEST_F(ConditionTest, NamedAclWithSeveralMatchersIsTheirOr) {
  add("multi", "path_beg /one");
  add("multi", "path_beg /two");

  EXPECT_TRUE(holds("if multi", "/two"));
  EXPECT_TRUE(holds("if multi", "/one"));
  EXPECT_FALSE(holds("if multi", "/three"));
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST_F(ConditionTest, UndefinedAclIsAnErrorAtItsWordWithASuggestion) {
  const RuleError e = parseError("if a !helth");

  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message, "undefined ACL 'helth', did you mean 'health'?");
}

TEST_F(ConditionTest, UndefinedAclWithoutNearNameHasNoSuggestion) {
  EXPECT_EQ(parseError("if nothing_like_it").message, "undefined ACL 'nothing_like_it'");
}

TEST_F(ConditionTest, UndefinedAclAfterSeparateBangIsReportedAtTheName) {
  const RuleError e = parseError("if ! nope");

  EXPECT_EQ(e.offset, 5u);
}

TEST_F(ConditionTest, EveryUndefinedAclIsReported) {
  EXPECT_FALSE(parse("if x1 x2").has_value());

  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_EQ(errors_[0].offset, 3u);
  EXPECT_EQ(errors_[1].offset, 6u);
}

TEST_F(ConditionTest, UndefinedAclBeforeOrGivesNoSecondError) {
  EXPECT_FALSE(parse("if x1 or x2").has_value());

  ASSERT_EQ(errors_.size(), 2u);
  EXPECT_EQ(errors_[0].message, "undefined ACL 'x1'");
  EXPECT_EQ(errors_[1].offset, 9u);
}

TEST_F(ConditionTest, BracesWithoutSpacesAreExplained) {
  const RuleError e = parseError("if !{ssl_fc}");

  EXPECT_EQ(e.offset, 3u);
  EXPECT_EQ(e.message, "undefined ACL '{ssl_fc}' (braces need spaces around them: '{ {ssl_fc} }')");
}

TEST_F(ConditionTest, MissingClosingBraceIsAnErrorAtTheOpeningBrace) {
  const RuleError e = parseError("if a { ssl_fc}");

  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message, "'{' without a matching ' }' (braces need spaces around them)");
}

TEST_F(ConditionTest, EmptyBracesAreAnError) {
  EXPECT_FALSE(parse("if a { }").has_value());

  ASSERT_FALSE(errors_.empty());
  EXPECT_EQ(errors_[0].offset, 5u);
  EXPECT_EQ(errors_[0].message, "empty anonymous ACL '{ }'");
}

TEST_F(ConditionTest, EmptyBracesGiveOnlyOneError) {
  EXPECT_EQ(parseError("if { }").message, "empty anonymous ACL '{ }'");
}

TEST_F(ConditionTest, BadMatcherInsideBracesIsReportedAtItsWord) {
  const RuleError e = parseError("if { path_bge /x }");

  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message, "unknown matcher 'path_bge', did you mean 'path_beg'?");
}

TEST_F(ConditionTest, DanglingOrAtTheEndIsAnError) {
  const RuleError e = parseError("if a or");

  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message, "a condition cannot end with 'or'");
}

TEST_F(ConditionTest, OrAtTheStartIsAnError) {
  const RuleError e = parseError("if || a");

  EXPECT_EQ(e.offset, 3u);
  EXPECT_EQ(e.message, "'||' without a term before it");
}

TEST_F(ConditionTest, TwoOrsInARowAreAnError) {
  const RuleError e = parseError("if a or or b");

  EXPECT_EQ(e.offset, 8u);
}

TEST_F(ConditionTest, BangAtTheEndIsAnError) {
  const RuleError e = parseError("if a !");

  EXPECT_EQ(e.offset, 5u);
  EXPECT_EQ(e.message, "'!' without a term after it");
}

TEST_F(ConditionTest, IfAloneIsAnError) {
  const RuleError e = parseError("if");

  EXPECT_EQ(e.offset, 0u);
  EXPECT_EQ(e.message, "'if' needs a condition after it");
}

TEST_F(ConditionTest, UnlessAloneIsAnError) {
  EXPECT_EQ(parseError("  unless").message, "'unless' needs a condition after it");
  EXPECT_EQ(parseError("  unless").offset, 2u);
}

TEST_F(ConditionTest, QuotedOrIsAnAclNameNotAnOperator) {
  EXPECT_EQ(parseError(R"(if a "or" b)").message, "undefined ACL 'or'");
}

}  // namespace
}  // namespace weir::route

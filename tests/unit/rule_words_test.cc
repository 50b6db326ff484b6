#include "weir/route/rule_words.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace weir::route {
namespace {

std::vector<std::string> texts(const RuleWords& split) {
  std::vector<std::string> out;
  for (const RuleWord& w : split.words) out.push_back(w.text);
  return out;
}

std::vector<size_t> offsets(const RuleWords& split) {
  std::vector<size_t> out;
  for (const RuleWord& w : split.words) out.push_back(w.offset);
  return out;
}

/// The single word of `line`, which must split without errors.
RuleWord onlyWord(std::string_view line) {
  const RuleWords split = splitRuleWords(line);
  EXPECT_TRUE(split.errors.empty()) << line;
  EXPECT_EQ(split.words.size(), 1u) << line;
  return split.words.empty() ? RuleWord{} : split.words[0];
}

// ---------------------------------------------------------------------------------------------
// Splitting and offsets

TEST(RuleWords, SplitsOnRunsOfSpacesAndTabs) {
  const RuleWords split = splitRuleWords("redirect  scheme\thttps   code 301");

  EXPECT_TRUE(split.errors.empty());
  EXPECT_EQ(texts(split), (std::vector<std::string>{"redirect", "scheme", "https", "code", "301"}));
}

TEST(RuleWords, RecordsTheByteOffsetWhereEachWordStarts) {
  const RuleWords split = splitRuleWords("  deny status 403 if !{ ssl_fc }");

  EXPECT_EQ(offsets(split), (std::vector<size_t>{2, 7, 14, 18, 21, 24, 31}));
}

TEST(RuleWords, OffsetOfAQuotedWordIsItsOpeningQuote) {
  const RuleWords split = splitRuleWords(R"(string "a b" x)");

  ASSERT_EQ(split.words.size(), 3u);
  EXPECT_EQ(split.words[1].offset, 7u);
  EXPECT_EQ(split.words[2].offset, 13u);
}

TEST(RuleWords, EmptyAndBlankLinesHaveNoWords) {
  EXPECT_TRUE(splitRuleWords("").words.empty());
  EXPECT_TRUE(splitRuleWords(" \t  ").words.empty());
  EXPECT_TRUE(splitRuleWords(" \t  ").errors.empty());
}

TEST(RuleWords, UnquotedWordsAreNotMarkedQuoted) {
  const RuleWord w = onlyWord("path_beg");

  EXPECT_FALSE(w.quoted);
  EXPECT_TRUE(isKeyword(w, "path_beg"));
}

// ---------------------------------------------------------------------------------------------
// Quoting

TEST(RuleWords, DoubleQuotesKeepSpacesInOneWord) {
  const RuleWord w = onlyWord(R"("hello world")");

  EXPECT_EQ(w.text, "hello world");
  EXPECT_TRUE(w.quoted);
}

TEST(RuleWords, SingleQuotesKeepSpacesInOneWord) {
  const RuleWord w = onlyWord("'hello world'");

  EXPECT_EQ(w.text, "hello world");
  EXPECT_TRUE(w.quoted);
}

TEST(RuleWords, QuotedPartsJoinTheUnquotedPartsAroundThem) {
  const RuleWord w = onlyWord(R"(ab"c d"'e f'g)");

  EXPECT_EQ(w.text, "abc de fg");
  EXPECT_TRUE(w.quoted);
}

TEST(RuleWords, EmptyQuotesMakeAnEmptyWord) {
  const RuleWords split = splitRuleWords(R"(string "" x)");

  ASSERT_EQ(split.words.size(), 3u);
  EXPECT_EQ(split.words[1].text, "");
  EXPECT_TRUE(split.words[1].quoted);
}

TEST(RuleWords, QuotedKeywordIsNotAKeyword) {
  const RuleWords split = splitRuleWords(R"(set-header X "if" 'or')");

  ASSERT_EQ(split.words.size(), 4u);
  EXPECT_FALSE(isKeyword(split.words[2], "if"));
  EXPECT_FALSE(isKeyword(split.words[3], "or"));
  EXPECT_EQ(split.words[2].text, "if");
}

TEST(RuleWords, SingleQuotesInterpretNoBackslash) {
  const RuleWord w = onlyWord(R"('a\nb\x41\"')");

  EXPECT_EQ(w.text, R"(a\nb\x41\")");
}

TEST(RuleWords, DoubleQuoteInsideSingleQuotesIsLiteral) {
  EXPECT_EQ(onlyWord(R"('say "hi"')").text, R"(say "hi")");
}

TEST(RuleWords, SingleQuoteInsideDoubleQuotesIsLiteral) {
  EXPECT_EQ(onlyWord(R"("it's")").text, "it's");
}

// ---------------------------------------------------------------------------------------------
// Backslash escapes

TEST(RuleWords, BackslashSpaceJoinsWords) {
  const RuleWords split = splitRuleWords(R"(a\ b c)");

  EXPECT_EQ(texts(split), (std::vector<std::string>{"a b", "c"}));
}

TEST(RuleWords, BackslashEscapesPunctuation) {
  EXPECT_EQ(onlyWord(R"(\#x)").text, "#x");
  EXPECT_EQ(onlyWord(R"(a\\b)").text, R"(a\b)");
  EXPECT_EQ(onlyWord(R"(\'x\')").text, "'x'");
  EXPECT_EQ(onlyWord(R"(\"x\")").text, R"("x")");
}

TEST(RuleWords, EscapedQuoteDoesNotOpenAQuoteOrMarkQuoted) {
  const RuleWords split = splitRuleWords(R"(\"a b)");

  EXPECT_EQ(texts(split), (std::vector<std::string>{R"("a)", "b"}));
  EXPECT_FALSE(split.words[0].quoted);
}

TEST(RuleWords, BackslashControlEscapes) {
  EXPECT_EQ(onlyWord(R"(a\rb)").text, "a\rb");
  EXPECT_EQ(onlyWord(R"(a\nb)").text, "a\nb");
  EXPECT_EQ(onlyWord(R"(a\tb)").text, "a\tb");
}

TEST(RuleWords, EscapesAreInterpretedInsideDoubleQuotes) {
  EXPECT_EQ(onlyWord(R"("healthy\n")").text, "healthy\n");
  EXPECT_EQ(onlyWord(R"("a \"b\" c")").text, R"(a "b" c)");
}

TEST(RuleWords, HexEscapeGivesTheByte) {
  EXPECT_EQ(onlyWord(R"(\x41\x62)").text, "Ab");
  EXPECT_EQ(onlyWord(R"(\xfF)").text, std::string(1, static_cast<char>(0xff)));
}

TEST(RuleWords, HexEscapeOfZeroGivesANulByte) {
  EXPECT_EQ(onlyWord(R"(a\x00b)").text, std::string("a\0b", 3));
}

TEST(RuleWords, UnknownEscapeKeepsTheBackslash) {
  EXPECT_EQ(onlyWord(R"(\.css$)").text, R"(\.css$)");
  EXPECT_EQ(onlyWord(R"(^/a\d+\/b)").text, R"(^/a\d+\/b)");
}

TEST(RuleWords, UnknownEscapeInsideDoubleQuotesKeepsTheBackslash) {
  EXPECT_EQ(onlyWord(R"("\.")").text, R"(\.)");
}

TEST(RuleWords, TrailingBackslashIsKept) {
  EXPECT_EQ(onlyWord(R"(abc\)").text, R"(abc\)");
}

TEST(RuleWords, RegexGroupReferenceIsKept) {
  const RuleWords split = splitRuleWords(R"(replace-path ^/old/(.*) /new/\1)");

  EXPECT_EQ(texts(split), (std::vector<std::string>{"replace-path", "^/old/(.*)", R"(/new/\1)"}));
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(RuleWords, UnterminatedDoubleQuoteIsAnErrorAtTheQuote) {
  const RuleWords split = splitRuleWords(R"(string "abc def)");

  ASSERT_EQ(split.errors.size(), 1u);
  EXPECT_EQ(split.errors[0].offset, 7u);
  EXPECT_EQ(split.errors[0].message, "unterminated double quote");
}

TEST(RuleWords, UnterminatedSingleQuoteIsAnErrorAtTheQuote) {
  const RuleWords split = splitRuleWords("a b'cd");

  ASSERT_EQ(split.errors.size(), 1u);
  EXPECT_EQ(split.errors[0].offset, 3u);
  EXPECT_EQ(split.errors[0].message, "unterminated single quote");
}

TEST(RuleWords, EscapedClosingQuoteLeavesTheQuoteOpen) {
  const RuleWords split = splitRuleWords(R"("abc\")");

  ASSERT_EQ(split.errors.size(), 1u);
  EXPECT_EQ(split.errors[0].offset, 0u);
}

TEST(RuleWords, HexEscapeWithoutTwoDigitsIsAnErrorAtTheBackslash) {
  const RuleWords split = splitRuleWords(R"(ab \xZ1)");

  ASSERT_EQ(split.errors.size(), 1u);
  EXPECT_EQ(split.errors[0].offset, 3u);
  EXPECT_NE(split.errors[0].message.find("two hexadecimal digits"), std::string::npos);
}

TEST(RuleWords, HexEscapeCutShortAtEndOfLineIsAnError) {
  EXPECT_EQ(splitRuleWords(R"(a\x4)").errors.size(), 1u);
  EXPECT_EQ(splitRuleWords(R"(a\x)").errors.size(), 1u);
}

TEST(RuleWords, EveryBadEscapeIsReported) {
  const RuleWords split = splitRuleWords(R"(\xg0 \x1)");

  ASSERT_EQ(split.errors.size(), 2u);
  EXPECT_EQ(split.errors[0].offset, 0u);
  EXPECT_EQ(split.errors[1].offset, 5u);
}

}  // namespace
}  // namespace weir::route

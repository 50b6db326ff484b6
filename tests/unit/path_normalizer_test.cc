#include "weir/route/path_normalizer.h"

#include <gtest/gtest.h>

#include <string>

namespace weir::route {
namespace {

/// The normalised form of `path`, or "<invalid>" when normalizePath refuses it.
std::string normalized(std::string_view path) {
  std::string out = "garbage from before";
  return normalizePath(path, out) ? out : "<invalid>";
}

// ---------------------------------------------------------------------------------------------
// Percent-escapes

TEST(PathNormalizer, LeavesAPlainPathAsItIs) {
  EXPECT_EQ(normalized("/api/v1/users"), "/api/v1/users");
  EXPECT_EQ(normalized("/"), "/");
}

TEST(PathNormalizer, DecodesEscapesOfUnreservedLetters) {
  EXPECT_EQ(normalized("/%61dmin"), "/admin");
  EXPECT_EQ(normalized("/%41DMIN"), "/ADMIN");
}

TEST(PathNormalizer, DecodesEscapesOfDigitsAndUnreservedPunctuation) {
  EXPECT_EQ(normalized("/%31%2d%2E%5f%7E"), "/1-._~");
}

TEST(PathNormalizer, KeepsAnEncodedSlashEncodedWithUpperCaseHex) {
  EXPECT_EQ(normalized("/a%2fb"), "/a%2Fb");
  EXPECT_EQ(normalized("/a%2Fb"), "/a%2Fb");
}

TEST(PathNormalizer, KeepsOtherReservedEscapesUpperCased) {
  EXPECT_EQ(normalized("/a%3fb%20c%25d%c3%a9"), "/a%3Fb%20c%25d%C3%A9");
}

TEST(PathNormalizer, EncodedSlashesAreNotMerged) {
  EXPECT_EQ(normalized("/a/%2f/b"), "/a/%2F/b");
}

TEST(PathNormalizer, RejectsANonHexEscape) {
  EXPECT_EQ(normalized("/%zz"), "<invalid>");
  EXPECT_EQ(normalized("/a%g1"), "<invalid>");
  EXPECT_EQ(normalized("/a%1g"), "<invalid>");
}

TEST(PathNormalizer, RejectsAnEscapeCutShortAtTheEnd) {
  EXPECT_EQ(normalized("/a%4"), "<invalid>");
  EXPECT_EQ(normalized("/a%"), "<invalid>");
}

TEST(PathNormalizer, DecodedPercentIsNotDecodedAgain) {
  EXPECT_EQ(normalized("/%2561"), "/%2561");
}

// ---------------------------------------------------------------------------------------------
// Slashes

TEST(PathNormalizer, MergesRunsOfSlashes) {
  EXPECT_EQ(normalized("//admin"), "/admin");
  EXPECT_EQ(normalized("/a///b//"), "/a/b/");
}

TEST(PathNormalizer, KeepsATrailingSlash) {
  EXPECT_EQ(normalized("/api/"), "/api/");
}

// ---------------------------------------------------------------------------------------------
// Dot segments

TEST(PathNormalizer, DotDotRemovesThePreviousSegment) {
  EXPECT_EQ(normalized("/api/../admin"), "/admin");
  EXPECT_EQ(normalized("/a/b/../c"), "/a/c");
}

TEST(PathNormalizer, SingleDotSegmentsAreRemoved) {
  EXPECT_EQ(normalized("/a/./b"), "/a/b");
  EXPECT_EQ(normalized("/./a"), "/a");
}

TEST(PathNormalizer, DotDotNeverClimbsAboveTheRoot) {
  EXPECT_EQ(normalized("/.."), "/");
  EXPECT_EQ(normalized("/../../admin"), "/admin");
  EXPECT_EQ(normalized("/a/../../b"), "/b");
}

TEST(PathNormalizer, TrailingDotSegmentsLeaveADirectory) {
  EXPECT_EQ(normalized("/a/b/.."), "/a/");
  EXPECT_EQ(normalized("/a/.."), "/");
  EXPECT_EQ(normalized("/a/b/."), "/a/b/");
  EXPECT_EQ(normalized("/."), "/");
}

TEST(PathNormalizer, SeveralDotDotsInARow) {
  EXPECT_EQ(normalized("/a/b/c/../../d"), "/a/d");
  EXPECT_EQ(normalized("/a/b/../.."), "/");
}

TEST(PathNormalizer, SegmentsThatOnlyStartWithADotAreKept) {
  EXPECT_EQ(normalized("/.well-known/x"), "/.well-known/x");
  EXPECT_EQ(normalized("/a/.../b"), "/a/.../b");
  EXPECT_EQ(normalized("/a/..b/c"), "/a/..b/c");
  EXPECT_EQ(normalized("/a/b../c"), "/a/b../c");
}

TEST(PathNormalizer, EncodedDotsAreDecodedBeforeDotSegmentsAreRemoved) {
  EXPECT_EQ(normalized("/api/%2e%2e/admin"), "/admin");
  EXPECT_EQ(normalized("/api/.%2E/admin"), "/admin");
}

TEST(PathNormalizer, MergedSlashesBeforeDotDot) {
  EXPECT_EQ(normalized("/a//..//b"), "/b");
}

TEST(PathNormalizer, EncodedSlashDoesNotSeparateDotDot) {
  EXPECT_EQ(normalized("/a/..%2fb"), "/a/..%2Fb");
}

// ---------------------------------------------------------------------------------------------
// Other inputs

TEST(PathNormalizer, RejectsDotSegmentsWithPathParameters) {
  // Tomcat and others strip ";params" and would read these as "..": refused, not guessed.
  EXPECT_EQ(normalized("/api/..;/admin"), "<invalid>");
  EXPECT_EQ(normalized("/api/%2e%2e;x/admin"), "<invalid>");
  EXPECT_EQ(normalized("/a/.;/b"), "<invalid>");
  EXPECT_EQ(normalized("/a/..;"), "<invalid>");
  EXPECT_EQ(normalized("/a/b..;c/d"), "/a/b..;c/d") << "not a dot segment";
  EXPECT_EQ(normalized("/a/...;/d"), "/a/...;/d") << "three dots are a name";
}

TEST(PathNormalizer, AsteriskAndEmptyAreCopiedUnchanged) {
  EXPECT_EQ(normalized("*"), "*");
  EXPECT_EQ(normalized(""), "");
}

TEST(PathNormalizer, ReplacesWhatWasInTheOutputString) {
  std::string out = "/previous/value";

  ASSERT_TRUE(normalizePath("/x", out));

  EXPECT_EQ(out, "/x");
}

// ---------------------------------------------------------------------------------------------
// splitTarget

TEST(SplitTarget, OriginFormWithoutQuery) {
  const TargetParts p = splitTarget("/a/b");

  EXPECT_EQ(p.authority, "");
  EXPECT_EQ(p.path, "/a/b");
  EXPECT_EQ(p.query, "");
  EXPECT_FALSE(p.hasQuery);
}

TEST(SplitTarget, OriginFormWithQuery) {
  const TargetParts p = splitTarget("/search?q=1&x=2");

  EXPECT_EQ(p.path, "/search");
  EXPECT_EQ(p.query, "q=1&x=2");
  EXPECT_TRUE(p.hasQuery);
}

TEST(SplitTarget, EmptyQueryIsStillAQuery) {
  const TargetParts p = splitTarget("/a?");

  EXPECT_EQ(p.path, "/a");
  EXPECT_EQ(p.query, "");
  EXPECT_TRUE(p.hasQuery);
}

TEST(SplitTarget, OnlyTheFirstQuestionMarkSplits) {
  const TargetParts p = splitTarget("/a?b?c");

  EXPECT_EQ(p.path, "/a");
  EXPECT_EQ(p.query, "b?c");
}

TEST(SplitTarget, AbsoluteFormGivesAuthorityPathAndQuery) {
  const TargetParts p = splitTarget("http://host:80/p?q");

  EXPECT_EQ(p.authority, "host:80");
  EXPECT_EQ(p.path, "/p");
  EXPECT_EQ(p.query, "q");
  EXPECT_TRUE(p.hasQuery);
}

TEST(SplitTarget, AbsoluteFormSchemeIsCaseInsensitiveAndMayBeHttps) {
  EXPECT_EQ(splitTarget("HTTP://Example.com/x").authority, "Example.com");
  EXPECT_EQ(splitTarget("https://h/y").path, "/y");
  EXPECT_EQ(splitTarget("https://h/y").authority, "h");
}

TEST(SplitTarget, AbsoluteFormWithoutPathHasTheRootPath) {
  const TargetParts p = splitTarget("http://host");

  EXPECT_EQ(p.authority, "host");
  EXPECT_EQ(p.path, "/");
  EXPECT_FALSE(p.hasQuery);
}

TEST(SplitTarget, AbsoluteFormWithQueryButNoPathKeepsTheQuery) {
  const TargetParts p = splitTarget("http://host?a=1");

  EXPECT_EQ(p.authority, "host");
  EXPECT_EQ(p.query, "a=1");
  EXPECT_TRUE(p.hasQuery);
}

TEST(SplitTarget, AsteriskIsThePathWithoutAuthority) {
  const TargetParts p = splitTarget("*");

  EXPECT_EQ(p.authority, "");
  EXPECT_EQ(p.path, "*");
  EXPECT_FALSE(p.hasQuery);
}

TEST(SplitTarget, OtherSchemesAreNotAbsoluteForm) {
  const TargetParts p = splitTarget("ftp://host/p");

  EXPECT_EQ(p.authority, "");
  EXPECT_EQ(p.path, "ftp://host/p");
}

}  // namespace
}  // namespace weir::route

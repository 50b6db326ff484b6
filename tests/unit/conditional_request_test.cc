#include "weir/static/conditional_request.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

namespace weir::static_files {
namespace {

using Kind = RangeDecision::Kind;

constexpr std::string_view kEtag = "\"5f3-1a2b-77\"";
constexpr std::time_t kModified = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
constexpr std::string_view kModifiedText = "Sun, 06 Nov 1994 08:49:37 GMT";
constexpr std::string_view kEarlierText = "Sun, 06 Nov 1994 08:49:36 GMT";
constexpr std::string_view kLaterText = "Sun, 06 Nov 1994 08:49:38 GMT";

const Validators kFile{kEtag, kModified};

http::HeaderMap headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  http::HeaderMap map;
  for (const auto& [name, value] : fields) map.add(name, value);
  return map;
}

Precondition pre(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  return evaluatePreconditions(headers(fields), kFile);
}

/// decideRange of `range` for a 1000-byte file with no If-Range.
RangeDecision range(std::string_view value, uint64_t size = 1000) {
  return decideRange(headers({{"Range", value}}), kFile, size);
}

void expectPartial(const RangeDecision& d, uint64_t first, uint64_t length) {
  EXPECT_EQ(d.kind, Kind::kPartial);
  EXPECT_EQ(d.range.first, first);
  EXPECT_EQ(d.range.length, length);
}

// ---------------------------------------------------------------------------------------------
// etagListMatches

TEST(EtagListMatches, FindsATagInAList) {
  EXPECT_TRUE(etagListMatches("\"a\", \"5f3-1a2b-77\", \"b\"", kEtag, false));
  EXPECT_TRUE(etagListMatches("\"5f3-1a2b-77\"", kEtag, false));
  EXPECT_TRUE(etagListMatches("\"a\",\"5f3-1a2b-77\"", kEtag, true));
  EXPECT_FALSE(etagListMatches("\"a\", \"b\"", kEtag, false));
  EXPECT_FALSE(etagListMatches("\"a\", \"b\"", kEtag, true));
}

TEST(EtagListMatches, StarMatchesAnyTag) {
  EXPECT_TRUE(etagListMatches("*", kEtag, false));
  EXPECT_TRUE(etagListMatches("  *  ", kEtag, true));
}

TEST(EtagListMatches, StrongComparisonRefusesWeakTags) {
  EXPECT_FALSE(etagListMatches("W/\"5f3-1a2b-77\"", kEtag, false));
  EXPECT_FALSE(etagListMatches("\"x\", W/\"5f3-1a2b-77\"", kEtag, false));
}

TEST(EtagListMatches, WeakComparisonIgnoresTheWeakPrefix) {
  EXPECT_TRUE(etagListMatches("W/\"5f3-1a2b-77\"", kEtag, true));
  EXPECT_TRUE(etagListMatches("\"x\", W/\"5f3-1a2b-77\"", kEtag, true));
  EXPECT_TRUE(etagListMatches("\"5f3-1a2b-77\"", "W/\"5f3-1a2b-77\"", true));
}

TEST(EtagListMatches, ComparesTheWholeQuotedTag) {
  EXPECT_FALSE(etagListMatches("5f3-1a2b-77", kEtag, true));         // unquoted
  EXPECT_FALSE(etagListMatches("\"5f3-1a2b-7\"", kEtag, true));      // a prefix
  EXPECT_FALSE(etagListMatches("\"5F3-1A2B-77\"", kEtag, false));    // case matters
  EXPECT_FALSE(etagListMatches("", kEtag, true));
}

TEST(EtagListMatches, ToleratesSpacesAndTabsAroundItems) {
  EXPECT_TRUE(etagListMatches(" \"a\" ,\t\"5f3-1a2b-77\"\t", kEtag, false));
}

// ---------------------------------------------------------------------------------------------
// evaluatePreconditions (RFC 9110 13.2.2)

TEST(Preconditions, NoConditionalHeadersProceed) {
  EXPECT_EQ(pre({}), Precondition::kProceed);
  EXPECT_EQ(pre({{"Accept", "*/*"}}), Precondition::kProceed);
}

TEST(Preconditions, IfMatchWithTheCurrentTagProceeds) {
  EXPECT_EQ(pre({{"If-Match", kEtag}}), Precondition::kProceed);
  EXPECT_EQ(pre({{"If-Match", "\"old\", \"5f3-1a2b-77\""}}), Precondition::kProceed);
  EXPECT_EQ(pre({{"if-match", "*"}}), Precondition::kProceed);
}

TEST(Preconditions, IfMatchWithAnotherTagFails) {
  EXPECT_EQ(pre({{"If-Match", "\"old\""}}), Precondition::kFailed);
}

TEST(Preconditions, IfMatchComparesStronglySoAWeakTagFails) {
  EXPECT_EQ(pre({{"If-Match", "W/\"5f3-1a2b-77\""}}), Precondition::kFailed);
}

TEST(Preconditions, IfUnmodifiedSinceFailsOnlyWhenModifiedAfterTheDate) {
  EXPECT_EQ(pre({{"If-Unmodified-Since", kEarlierText}}), Precondition::kFailed);
  EXPECT_EQ(pre({{"If-Unmodified-Since", kModifiedText}}), Precondition::kProceed);
  EXPECT_EQ(pre({{"If-Unmodified-Since", kLaterText}}), Precondition::kProceed);
}

TEST(Preconditions, AnInvalidIfUnmodifiedSinceIsIgnored) {
  EXPECT_EQ(pre({{"If-Unmodified-Since", "not a date"}}), Precondition::kProceed);
}

TEST(Preconditions, IfMatchTakesPrecedenceOverIfUnmodifiedSince) {
  // A matching If-Match makes a failing If-Unmodified-Since irrelevant...
  EXPECT_EQ(pre({{"If-Unmodified-Since", kEarlierText}, {"If-Match", kEtag}}), Precondition::kProceed);
  // ...and a failing If-Match fails whatever the date says.
  EXPECT_EQ(pre({{"If-Match", "\"old\""}, {"If-Unmodified-Since", kLaterText}}), Precondition::kFailed);
}

TEST(Preconditions, IfNoneMatchWithTheCurrentTagIsNotModified) {
  EXPECT_EQ(pre({{"If-None-Match", kEtag}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-None-Match", "\"a\", \"b\", \"5f3-1a2b-77\""}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-None-Match", "*"}}), Precondition::kNotModified);
}

TEST(Preconditions, IfNoneMatchComparesWeakly) {
  EXPECT_EQ(pre({{"If-None-Match", "W/\"5f3-1a2b-77\""}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-None-Match", "\"x\", W/\"5f3-1a2b-77\""}}), Precondition::kNotModified);
}

TEST(Preconditions, IfNoneMatchWithOtherTagsProceeds) {
  EXPECT_EQ(pre({{"If-None-Match", "\"a\", W/\"b\""}}), Precondition::kProceed);
}

TEST(Preconditions, IfModifiedSinceIsNotModifiedWhenNotChangedAfterTheDate) {
  EXPECT_EQ(pre({{"If-Modified-Since", kModifiedText}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-Modified-Since", kLaterText}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-Modified-Since", kEarlierText}}), Precondition::kProceed);
}

TEST(Preconditions, IfModifiedSinceAcceptsTheObsoleteDateForms) {
  EXPECT_EQ(pre({{"If-Modified-Since", "Sunday, 06-Nov-94 08:49:37 GMT"}}), Precondition::kNotModified);
  EXPECT_EQ(pre({{"If-Modified-Since", "Sun Nov  6 08:49:37 1994"}}), Precondition::kNotModified);
}

TEST(Preconditions, AnInvalidIfModifiedSinceIsIgnored) {
  EXPECT_EQ(pre({{"If-Modified-Since", "garbage"}}), Precondition::kProceed);
}

TEST(Preconditions, IfNoneMatchTakesPrecedenceOverIfModifiedSince) {
  // Tags differ: the unchanged date must not turn it into a 304.
  EXPECT_EQ(pre({{"If-Modified-Since", kLaterText}, {"If-None-Match", "\"old\""}}), Precondition::kProceed);
  // Tags match: 304 even though the date says the file changed.
  EXPECT_EQ(pre({{"If-None-Match", kEtag}, {"If-Modified-Since", kEarlierText}}), Precondition::kNotModified);
}

TEST(Preconditions, AFailedIfMatchWinsOverAMatchingIfNoneMatch) {
  EXPECT_EQ(pre({{"If-Match", "\"old\""}, {"If-None-Match", kEtag}}), Precondition::kFailed);
}

TEST(Preconditions, APassingIfMatchStillLetsIfNoneMatchAnswer304) {
  EXPECT_EQ(pre({{"If-Match", kEtag}, {"If-None-Match", kEtag}}), Precondition::kNotModified);
}

// ---------------------------------------------------------------------------------------------
// decideRange

TEST(DecideRange, NoRangeHeaderIsTheWholeFile) {
  EXPECT_EQ(decideRange(headers({}), kFile, 1000).kind, Kind::kWhole);
}

TEST(DecideRange, AClosedRange) {
  expectPartial(range("bytes=0-99"), 0, 100);
  expectPartial(range("bytes=500-500"), 500, 1);
  expectPartial(range("bytes=0-999"), 0, 1000);
}

TEST(DecideRange, AnOpenEndedRangeRunsToTheEnd) {
  expectPartial(range("bytes=100-"), 100, 900);
  expectPartial(range("bytes=999-"), 999, 1);
}

TEST(DecideRange, ASuffixRangeIsTheLastBytes) {
  expectPartial(range("bytes=-100"), 900, 100);
  expectPartial(range("bytes=-1"), 999, 1);
}

TEST(DecideRange, ASuffixLongerThanTheFileIsTheWholeFileAsAPart) {
  expectPartial(range("bytes=-5000"), 0, 1000);
}

TEST(DecideRange, ALastPositionPastTheEndIsClipped) {
  expectPartial(range("bytes=900-5000"), 900, 100);
}

TEST(DecideRange, AFirstPositionAtOrBeyondTheSizeIsUnsatisfiable) {
  EXPECT_EQ(range("bytes=1000-").kind, Kind::kUnsatisfiable);
  EXPECT_EQ(range("bytes=1000-2000").kind, Kind::kUnsatisfiable);
  EXPECT_EQ(range("bytes=5000-6000").kind, Kind::kUnsatisfiable);
}

TEST(DecideRange, AZeroSuffixIsUnsatisfiable) {
  EXPECT_EQ(range("bytes=-0").kind, Kind::kUnsatisfiable);
}

TEST(DecideRange, EveryRangeOfAnEmptyFileIsUnsatisfiable) {
  EXPECT_EQ(range("bytes=0-", 0).kind, Kind::kUnsatisfiable);
  EXPECT_EQ(range("bytes=-10", 0).kind, Kind::kUnsatisfiable);
}

TEST(DecideRange, SeveralRangesAreAnsweredWithTheWholeFile) {
  EXPECT_EQ(range("bytes=0-1,5-6").kind, Kind::kWhole);
  EXPECT_EQ(range("bytes=0-1, -5").kind, Kind::kWhole);
}

TEST(DecideRange, AnUnknownUnitIsIgnored) {
  EXPECT_EQ(range("items=0-1").kind, Kind::kWhole);
  EXPECT_EQ(range("0-1").kind, Kind::kWhole);
}

TEST(DecideRange, AMalformedRangeIsIgnored) {
  for (std::string_view bad : {"bytes=", "bytes=-", "bytes=abc", "bytes=5", "bytes=10-5", "bytes=a-5", "bytes=5-b",
                               "bytes=--5", "bytes=+1-2", "bytes=0-1-2"})
    EXPECT_EQ(range(bad).kind, Kind::kWhole) << bad;
}

TEST(DecideRange, ALastPositionTooLargeForSixtyFourBitsIsIgnored) {
  // Questionable: RFC 9110 14.1.1 would clip it to the end (206 0-999); ignoring Range is allowed.
  EXPECT_EQ(range("bytes=0-99999999999999999999999999").kind, Kind::kWhole);
}

TEST(DecideRange, SpacesAroundTheWholeValueAreTolerated) {
  expectPartial(range("  bytes=0-9  "), 0, 10);
}

TEST(DecideRange, IfRangeWithTheCurrentEtagHonoursTheRange) {
  expectPartial(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", kEtag}}), kFile, 1000), 0, 10);
}

TEST(DecideRange, IfRangeWithAnotherEtagSendsTheWholeFile) {
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", "\"old\""}}), kFile, 1000).kind, Kind::kWhole);
}

TEST(DecideRange, IfRangeWithAWeakEtagSendsTheWholeFile) {
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", "W/\"5f3-1a2b-77\""}}), kFile, 1000).kind,
            Kind::kWhole);
}

TEST(DecideRange, IfRangeWithTheExactLastModifiedDateHonoursTheRange) {
  expectPartial(decideRange(headers({{"Range", "bytes=10-19"}, {"If-Range", kModifiedText}}), kFile, 1000), 10, 10);
}

TEST(DecideRange, IfRangeWithAnyOtherDateSendsTheWholeFile) {
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", kLaterText}}), kFile, 1000).kind, Kind::kWhole);
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", kEarlierText}}), kFile, 1000).kind, Kind::kWhole);
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=0-9"}, {"If-Range", "garbage"}}), kFile, 1000).kind, Kind::kWhole);
}

TEST(DecideRange, IfRangeDoesNotShieldAnUnsatisfiableRangeWhenCurrent) {
  EXPECT_EQ(decideRange(headers({{"Range", "bytes=2000-"}, {"If-Range", kEtag}}), kFile, 1000).kind,
            Kind::kUnsatisfiable);
}

TEST(DecideRange, IfRangeWithoutRangeIsTheWholeFile) {
  EXPECT_EQ(decideRange(headers({{"If-Range", kEtag}}), kFile, 1000).kind, Kind::kWhole);
}

TEST(DecideRange, TheRangeUnitIsCaseInsensitive) {
  expectPartial(range("Bytes=0-9"), 0, 10);
  expectPartial(range("BYTES=0-9"), 0, 10);
}

}  // namespace
}  // namespace weir::static_files

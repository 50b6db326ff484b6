#include "weir/http/http_date.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace weir::http {
namespace {

using Parsed = std::optional<std::time_t>;

// ---------------------------------------------------------------------------------------------
// formatHttpDate

TEST(HttpDate, FormatsTheRfcExampleInstant) {
  EXPECT_EQ(formatHttpDate(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

TEST(HttpDate, FormatsTheEpoch) {
  EXPECT_EQ(formatHttpDate(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

TEST(HttpDate, FormatsALeapDayWithTwoDigitDayAndTime) {
  EXPECT_EQ(formatHttpDate(951868799), "Tue, 29 Feb 2000 23:59:59 GMT");
  EXPECT_EQ(formatHttpDate(946684799), "Fri, 31 Dec 1999 23:59:59 GMT");
}

TEST(HttpDate, FormatsInstantsPast2038) {
  EXPECT_EQ(formatHttpDate(2147483648), "Tue, 19 Jan 2038 03:14:08 GMT");
}

TEST(HttpDate, FormattedDatesAreAlways29Characters) {
  for (std::time_t t : {std::time_t{0}, std::time_t{784111777}, std::time_t{1735603200}, std::time_t{4102444800}})
    EXPECT_EQ(formatHttpDate(t).size(), 29u) << t;
}

// ---------------------------------------------------------------------------------------------
// parseHttpDate: the three forms of RFC 9110 5.6.7

TEST(HttpDate, ParsesImfFixdate) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), Parsed(784111777));
  EXPECT_EQ(parseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), Parsed(0));
  EXPECT_EQ(parseHttpDate("Tue, 29 Feb 2000 23:59:59 GMT"), Parsed(951868799));
}

TEST(HttpDate, ParsesObsoleteRfc850Date) {
  EXPECT_EQ(parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), Parsed(784111777));
  EXPECT_EQ(parseHttpDate("Tuesday, 31-Dec-24 00:00:00 GMT"), Parsed(1735603200));
}

TEST(HttpDate, ParsesAsctimeDateWithSpacePaddedDay) {
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994"), Parsed(784111777));
}

TEST(HttpDate, ParsesAsctimeDateWithTwoDigitDay) {
  EXPECT_EQ(parseHttpDate("Tue Dec 31 00:00:00 2024"), Parsed(1735603200));
}

TEST(HttpDate, ParseUndoesFormat) {
  for (std::time_t t : {std::time_t{0}, std::time_t{784111777}, std::time_t{951868799}, std::time_t{1735603200},
                        std::time_t{2147483648}, std::time_t{4102444799}})
    EXPECT_EQ(parseHttpDate(formatHttpDate(t)), Parsed(t)) << t;
}

// ---------------------------------------------------------------------------------------------
// parseHttpDate: what is not a date

TEST(HttpDate, RefusesEmptyAndGarbage) {
  EXPECT_EQ(parseHttpDate(""), std::nullopt);
  EXPECT_EQ(parseHttpDate("yesterday"), std::nullopt);
  EXPECT_EQ(parseHttpDate("\"5f3-1a2b\""), std::nullopt);
  EXPECT_EQ(parseHttpDate("784111777"), std::nullopt);
  EXPECT_EQ(parseHttpDate("1994-11-06T08:49:37Z"), std::nullopt);
}

TEST(HttpDate, RefusesATruncatedDate) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37"), std::nullopt);
}

TEST(HttpDate, RefusesTrailingCharacters) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT garbage"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 GMTx"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun Nov  6 08:49:37 1994 x"), std::nullopt);
}

TEST(HttpDate, RefusesAZoneOtherThanGmt) {
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 UTC"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:49:37 +0000"), std::nullopt);
}

TEST(HttpDate, RefusesOutOfRangeFields) {
  EXPECT_EQ(parseHttpDate("Sun, 32 Nov 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 24:49:37 GMT"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Sun, 06 Nov 1994 08:60:37 GMT"), std::nullopt);
  EXPECT_EQ(parseHttpDate("Xyz, 06 Nov 1994 08:49:37 GMT"), std::nullopt);
}

TEST(HttpDate, RefusesAnOverlongValue) {
  const std::string longValue = "Sun, 06 Nov 1994 08:49:37 GMT" + std::string(100, ' ');
  EXPECT_EQ(parseHttpDate(longValue), std::nullopt);
  EXPECT_EQ(parseHttpDate(std::string(65, 'a')), std::nullopt);
}

TEST(HttpDate, RefusesADateFollowedByANulAndGarbage) {
  const std::string withNul = std::string("Sun, 06 Nov 1994 08:49:37 GMT") + '\0' + "garbage";
  EXPECT_EQ(parseHttpDate(withNul), std::nullopt);
}

}  // namespace
}  // namespace weir::http

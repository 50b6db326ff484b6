#include "weir/config/units.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace weir::config {
namespace {

using std::chrono::milliseconds;

std::string durationError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parseDuration(text, &error).has_value()) << text;
  return error;
}

std::string sizeError(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parseSize(text, &error).has_value()) << text;
  return error;
}

TEST(Units, ParsesEveryDurationUnit) {
  std::string error;
  EXPECT_EQ(parseDuration("250ms", &error), milliseconds(250));
  EXPECT_EQ(parseDuration("5s", &error), milliseconds(5'000));
  EXPECT_EQ(parseDuration("2m", &error), milliseconds(120'000));
  EXPECT_EQ(parseDuration("1h", &error), milliseconds(3'600'000));
  EXPECT_EQ(parseDuration("1d", &error), milliseconds(86'400'000));
  EXPECT_EQ(parseDuration("1y", &error), milliseconds(31'536'000'000));
  EXPECT_EQ(error, "");
}

TEST(Units, BareNumberDurationIsMilliseconds) {
  std::string error;
  EXPECT_EQ(parseDuration("1500", &error), milliseconds(1500));
  EXPECT_EQ(parseDuration("0", &error), milliseconds(0));
}

TEST(Units, RejectsNegativeDuration) { EXPECT_EQ(durationError("-5s"), "'-5s' is negative"); }

TEST(Units, RejectsDurationWithUnknownUnit) {
  EXPECT_EQ(durationError("5x"), "'5x' is not a duration (use ms, s, m, h, d or y)");
}

TEST(Units, RejectsMalformedDurations) {
  for (const char* text : {"s", "5 s", "1.5s", "+5s", "5S", "5sec", "0x10", " 5s", "5s "})
    EXPECT_EQ(durationError(text),
              "'" + std::string(text) + "' is not a duration (use ms, s, m, h, d or y)");
}

TEST(Units, RejectsEmptyDuration) { EXPECT_EQ(durationError(""), "empty duration"); }

TEST(Units, RejectsDurationOverflow) {
  EXPECT_EQ(durationError("300000000y"), "'300000000y' is too large");
  EXPECT_EQ(durationError("99999999999999999999"), "'99999999999999999999' is too large");
  EXPECT_EQ(durationError("9223372036854775808"), "'9223372036854775808' is too large");
}

TEST(Units, AcceptsLargestDurationThatFits) {
  std::string error;
  EXPECT_EQ(parseDuration("9223372036854775807", &error), milliseconds(9'223'372'036'854'775'807));
}

TEST(Units, ParsesSizesInBinaryMultiples) {
  std::string error;
  EXPECT_EQ(parseSize("512", &error), 512u);
  EXPECT_EQ(parseSize("16k", &error), 16u * 1024);
  EXPECT_EQ(parseSize("64m", &error), 64u * 1024 * 1024);
  EXPECT_EQ(parseSize("1g", &error), 1024u * 1024 * 1024);
  EXPECT_EQ(error, "");
}

TEST(Units, AcceptsUpperCaseSizeUnits) {
  std::string error;
  EXPECT_EQ(parseSize("16K", &error), 16u * 1024);
  EXPECT_EQ(parseSize("2M", &error), 2u * 1024 * 1024);
  EXPECT_EQ(parseSize("1G", &error), 1024u * 1024 * 1024);
}

TEST(Units, RejectsNegativeSize) { EXPECT_EQ(sizeError("-1k"), "'-1k' is negative"); }

TEST(Units, RejectsMalformedSizes) {
  for (const char* text : {"k", "16kb", "1.5m", "16 k", "16t", "+1"})
    EXPECT_EQ(sizeError(text), "'" + std::string(text) + "' is not a size (use k, m or g)");
}

TEST(Units, RejectsEmptySize) { EXPECT_EQ(sizeError(""), "empty size"); }

TEST(Units, RejectsSizeOverflow) {
  EXPECT_EQ(sizeError("17179869184g"), "'17179869184g' is too large");
  EXPECT_EQ(sizeError("99999999999999999999"), "'99999999999999999999' is too large");
}

}  // namespace
}  // namespace weir::config

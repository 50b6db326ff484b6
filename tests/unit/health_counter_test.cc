#include "weir/upstream/health_counter.h"

#include <gtest/gtest.h>

#include <string>

namespace weir::upstream {
namespace {

using namespace std::chrono_literals;
using Change = HealthCounter::Change;

/// Feeds "+" (success) and "-" (failure); returns U/D per step for a change, '.' otherwise.
std::string run(HealthCounter& c, std::string_view checks) {
  std::string out;
  for (char ch : checks) {
    const Change change = ch == '+' ? c.onSuccess() : c.onFailure();
    out += change == Change::kWentUp ? 'U' : change == Change::kWentDown ? 'D' : '.';
  }
  return out;
}

TEST(HealthCounter, StartsUpAtTheTopOrDownAtZero) {
  HealthCounter up(2, 3, true), down(2, 3, false);
  EXPECT_TRUE(up.up());
  EXPECT_EQ(up.value(), 4);
  EXPECT_EQ(up.describe(), "UP");
  EXPECT_FALSE(down.up());
  EXPECT_EQ(down.value(), 0);
  EXPECT_EQ(down.describe(), "DOWN");
}

TEST(HealthCounter, GoesDownAfterFallFailuresInARow) {
  HealthCounter c(2, 3, true);
  EXPECT_EQ(run(c, "--"), "..");
  EXPECT_EQ(c.describe(), "UP, going down 2/3");
  EXPECT_EQ(run(c, "-"), "D");
  EXPECT_EQ(c.value(), 0);
}

TEST(HealthCounter, ASingleFailureDoesNotFlapAndASuccessRestoresTheTop) {
  HealthCounter c(2, 3, true);
  EXPECT_EQ(run(c, "-+-+-+-+"), "........");
  EXPECT_TRUE(c.up());
  EXPECT_EQ(c.describe(), "UP");
}

TEST(HealthCounter, ComesUpAfterRiseSuccessesAndJumpsToTheTop) {
  HealthCounter c(2, 3, false);
  EXPECT_EQ(run(c, "+"), ".");
  EXPECT_EQ(c.describe(), "DOWN, going up 1/2");
  EXPECT_EQ(run(c, "+"), "U");
  EXPECT_EQ(c.value(), 4);  // so it now takes `fall` failures to go down again
  EXPECT_EQ(run(c, "---"), "..D");
}

TEST(HealthCounter, AFailureOnTheWayUpStartsOverFromZero) {
  HealthCounter c(3, 2, false);
  EXPECT_EQ(run(c, "++-"), "...");
  EXPECT_EQ(c.value(), 0);
  EXPECT_EQ(run(c, "++"), "..");
  EXPECT_EQ(run(c, "+"), "U");
}

TEST(HealthCounter, RiseAndFallOfOne) {
  HealthCounter c(1, 1, true);
  EXPECT_EQ(run(c, "-+-+"), "DUDU");
}

TEST(HealthCounter, FailuresWhileDownAndSuccessesWhileUpChangeNothing) {
  HealthCounter down(2, 2, false), up(2, 2, true);
  EXPECT_EQ(run(down, "---"), "...");
  EXPECT_EQ(down.value(), 0);
  EXPECT_EQ(run(up, "+++"), "...");
  EXPECT_EQ(up.value(), 3);
}

TEST(HealthCounter, PicksFastinterWhileChangingAndDowninterWhileDown) {
  HealthCounter c(2, 3, true);
  EXPECT_EQ(c.nextDelay(2000ms, 500ms, 10000ms), 2000ms);  // steady UP: inter
  c.onFailure();
  EXPECT_EQ(c.nextDelay(2000ms, 500ms, 10000ms), 500ms);  // UP, going down: fastinter
  c.onFailure();
  c.onFailure();
  EXPECT_EQ(c.nextDelay(2000ms, 500ms, 10000ms), 10000ms);  // DOWN: downinter
  c.onSuccess();
  EXPECT_EQ(c.nextDelay(2000ms, 500ms, 10000ms), 500ms);  // DOWN, going up: fastinter
}

}  // namespace
}  // namespace weir::upstream

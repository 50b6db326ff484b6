#include "weir/upstream/connection_reuse.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string_view>

namespace weir::upstream {
namespace {

using std::chrono::milliseconds;

ExchangeEnd clean() {
  ExchangeEnd e;
  e.requestSent = true;
  e.responseComplete = true;
  e.responseKeepAlive = true;
  e.responseVersionMinor = 1;
  e.upgraded = false;
  e.bytesLeft = false;
  return e;
}

TEST(MayReuse, CleanHttp11ExchangeIsReusable) { EXPECT_TRUE(mayReuse(clean())); }

TEST(MayReuse, DefaultExchangeIsNotReusable) { EXPECT_FALSE(mayReuse(ExchangeEnd{})); }

TEST(MayReuse, EachDoubtMakesItNotReusable) {
  {
    ExchangeEnd e = clean();
    e.requestSent = false;
    EXPECT_FALSE(mayReuse(e)) << "request not fully sent";
  }
  {
    ExchangeEnd e = clean();
    e.responseComplete = false;
    EXPECT_FALSE(mayReuse(e)) << "response not complete";
  }
  {
    ExchangeEnd e = clean();
    e.responseKeepAlive = false;
    EXPECT_FALSE(mayReuse(e)) << "Connection: close";
  }
  {
    ExchangeEnd e = clean();
    e.responseVersionMinor = 0;
    EXPECT_FALSE(mayReuse(e)) << "HTTP/1.0";
  }
  {
    ExchangeEnd e = clean();
    e.upgraded = true;
    EXPECT_FALSE(mayReuse(e)) << "upgraded";
  }
  {
    ExchangeEnd e = clean();
    e.bytesLeft = true;
    EXPECT_FALSE(mayReuse(e)) << "bytes left";
  }
}

milliseconds budget(std::string_view header) { return idleBudget(milliseconds(4000), header); }

TEST(IdleBudget, NoHeaderKeepsConfigured) { EXPECT_EQ(budget(""), milliseconds(4000)); }

TEST(IdleBudget, ServerTimeoutLongerThanConfiguredKeepsConfigured) {
  EXPECT_EQ(budget("timeout=5"), milliseconds(4000));  // min(4000, 5000 - 1000)
  EXPECT_EQ(budget("timeout=60"), milliseconds(4000));
}

TEST(IdleBudget, ShorterServerTimeoutWithMargin) {
  EXPECT_EQ(budget("timeout=3, max=100"), milliseconds(2000));
  EXPECT_EQ(budget("max=5, timeout=2"), milliseconds(1000));
  EXPECT_EQ(budget("timeout=4"), milliseconds(3000));
}

TEST(IdleBudget, TooShortMeansDoNotKeep) {
  EXPECT_EQ(budget("timeout=1"), milliseconds(0));
  EXPECT_EQ(budget("timeout=0"), milliseconds(0));
}

TEST(IdleBudget, ParameterNameIsCaseInsensitive) {
  EXPECT_EQ(budget("Timeout=10"), milliseconds(4000));
  EXPECT_EQ(budget("TIMEOUT=2"), milliseconds(1000));
}

TEST(IdleBudget, MalformedValueIsIgnored) {
  EXPECT_EQ(budget("timeout=abc"), milliseconds(4000));
  EXPECT_EQ(budget("timeout="), milliseconds(4000));
  EXPECT_EQ(budget("timeout=-3"), milliseconds(4000));
  EXPECT_EQ(budget("timeout=2s"), milliseconds(4000));
  EXPECT_EQ(budget("timeout"), milliseconds(4000));
  EXPECT_EQ(budget("max=100"), milliseconds(4000));
}

TEST(IdleBudget, SpacesAroundNameAndValue) {
  EXPECT_EQ(budget(" timeout = 2 "), milliseconds(1000));
  EXPECT_EQ(budget("max=100 ,\ttimeout=3\t"), milliseconds(2000));
}

TEST(IdleBudget, ConfiguredZeroStaysZero) { EXPECT_EQ(idleBudget(milliseconds(0), "timeout=5"), milliseconds(0)); }

}  // namespace
}  // namespace weir::upstream

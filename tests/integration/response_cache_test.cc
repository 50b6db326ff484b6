// Issue 6, response cache end to end: a second request served
// without reaching the backend, Vary splitting entries, no-store / private / POST not cached,
// HEAD and If-None-Match answered from a stored GET, objects over max_object_size passed on.

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <string>

#include "support/fake_backend.h"
#include "support/http_get.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

class ResponseCacheTest : public ::testing::Test {
 protected:
  FakeBackend backend_{"app"};
  WeirInstance weir_{fmt::format(R"(global: {{ threads: 1, log: stdout }}
frontends:
  fe:
    bind: ["127.0.0.1:0"]
    cache:
      - use: assets if {{ path_beg /c/ }}
    default_backend: be
caches:
  assets: {{ total_max_size: 1m, max_object_size: 16k, max_age: 1h }}
backends:
  be: {{ servers: [{{ name: s1, address: "{}" }}] }}
)",
                                 backend_.address())};

  size_t backendSaw(const std::string& prefix) const { return backend_.countTarget(prefix); }
};

TEST_F(ResponseCacheTest, ASecondRequestIsServedWithoutTheBackend) {
  const HttpResponse first = httpGet(weir_.port(), "/c/page?header=ETag:%20%22v1%22");
  EXPECT_EQ(first.header("Cache-Status"), "weir; fwd=miss; stored");
  const HttpResponse second = httpGet(weir_.port(), "/c/page?header=ETag:%20%22v1%22");
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, first.body);
  EXPECT_EQ(second.header("Cache-Status"), "weir; hit");
  EXPECT_FALSE(second.header("Age").empty());
  EXPECT_EQ(backendSaw("/c/page"), 1u);

  EXPECT_EQ(httpRequest(weir_.port(), "HEAD", "/c/page?header=ETag:%20%22v1%22").header("Cache-Status"), "weir; hit");
  const HttpResponse revalidated = httpGet(weir_.port(), "/c/page?header=ETag:%20%22v1%22", {"If-None-Match: \"v1\""});
  EXPECT_EQ(revalidated.status, 304);
  EXPECT_EQ(backendSaw("/c/page"), 1u);
}

TEST_F(ResponseCacheTest, OnlyRequestsTheCacheRuleSelectsUseIt) {
  httpGet(weir_.port(), "/other");
  EXPECT_EQ(httpGet(weir_.port(), "/other").header("Cache-Status"), "");
  EXPECT_EQ(backendSaw("/other"), 2u);
}

TEST_F(ResponseCacheTest, VarySplitsEntriesByTheRequestsHeader) {
  const std::string target = "/c/v?header=Vary:%20Accept-Language";
  httpGet(weir_.port(), target, {"Accept-Language: en"});
  httpGet(weir_.port(), target, {"Accept-Language: fr"});
  EXPECT_EQ(backendSaw("/c/v"), 2u) << "a different language is another entry";
  EXPECT_EQ(httpGet(weir_.port(), target, {"Accept-Language: en"}).header("Cache-Status"), "weir; hit");
  EXPECT_EQ(httpGet(weir_.port(), target, {"Accept-Language: fr"}).header("Cache-Status"), "weir; hit");
  EXPECT_EQ(backendSaw("/c/v"), 2u);
}

TEST_F(ResponseCacheTest, NoStorePrivateSetCookieAndPostAreNotCached) {
  for (const std::string target : {"/c/ns?header=Cache-Control:%20no-store", "/c/pr?header=Cache-Control:%20private",
                                   "/c/ck?header=Set-Cookie:%20a%3Db"}) {
    httpGet(weir_.port(), target);
    EXPECT_EQ(httpGet(weir_.port(), target).header("Cache-Status"), "weir; fwd=miss") << target;
  }
  httpRequest(weir_.port(), "POST", "/c/post", {}, "x");
  httpRequest(weir_.port(), "POST", "/c/post", {}, "x");
  EXPECT_EQ(backendSaw("/c/post"), 2u);
}

TEST_F(ResponseCacheTest, ObjectsOverMaxObjectSizeArePassedOnButNotKept) {
  const HttpResponse big = httpGet(weir_.port(), "/c/big?size=65536");
  EXPECT_EQ(big.body.size(), 65536u);
  EXPECT_EQ(httpGet(weir_.port(), "/c/big?size=65536").header("Cache-Status"), "weir; fwd=miss");
  EXPECT_EQ(httpGet(weir_.port(), "/c/chunky?size=65536&chunked=1").body.size(), 65536u);
  EXPECT_EQ(httpGet(weir_.port(), "/c/chunky?size=65536&chunked=1").header("Cache-Status"), "weir; fwd=miss");
  EXPECT_EQ(httpGet(weir_.port(), "/c/small?size=1000&chunked=1").body.size(), 1000u);
  EXPECT_EQ(httpGet(weir_.port(), "/c/small?size=1000&chunked=1").header("Cache-Status"), "weir; hit")
      << "a chunked response small enough is kept";
}

}  // namespace
}  // namespace weir::test

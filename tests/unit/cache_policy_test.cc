#include "weir/cache/cache_policy.h"

#include <gtest/gtest.h>

#include <initializer_list>
#include <utility>

namespace weir::cache {
namespace {

using Fields = std::initializer_list<std::pair<std::string_view, std::string_view>>;

http::RequestHead request(std::string method = "GET", Fields fields = {}) {
  http::RequestHead r;
  r.method = std::move(method);
  r.target = "/a";
  for (const auto& [name, value] : fields) r.headers.add(name, value);
  return r;
}

http::ResponseHead response(int status, Fields fields = {}) {
  http::ResponseHead r;
  r.status = status;
  for (const auto& [name, value] : fields) r.headers.add(name, value);
  return r;
}

constexpr std::time_t kNow = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT

Storability decide(const http::ResponseHead& resp, const http::RequestHead& req = request()) {
  return storability(req, resp, kNow, 300, 3600);
}

TEST(CachePolicy, OnlyGetAndHeadLookUpTheCache) {
  EXPECT_EQ(requestPolicy(request("GET")), RequestPolicy::kLookup);
  EXPECT_EQ(requestPolicy(request("HEAD")), RequestPolicy::kLookup);
  EXPECT_EQ(requestPolicy(request("POST")), RequestPolicy::kBypass);
  EXPECT_EQ(requestPolicy(request("DELETE")), RequestPolicy::kBypass);
  http::RequestHead websocket = request("GET", {{"Connection", "Upgrade"}, {"Upgrade", "websocket"}});
  websocket.upgrade = true;
  EXPECT_EQ(requestPolicy(websocket), RequestPolicy::kBypass) << "a tunnel is neither cached nor collapsed";
}

TEST(CachePolicy, RequestNoStoreNoCacheAndPragmaBypass) {
  EXPECT_EQ(requestPolicy(request("GET", {{"Cache-Control", "no-store"}})), RequestPolicy::kBypass);
  EXPECT_EQ(requestPolicy(request("GET", {{"Cache-Control", "max-age=0, No-Cache"}})), RequestPolicy::kBypass);
  EXPECT_EQ(requestPolicy(request("GET", {{"Pragma", "no-cache"}})), RequestPolicy::kBypass);
  EXPECT_EQ(requestPolicy(request("GET", {{"Cache-Control", "max-stale=10"}})), RequestPolicy::kLookup);
}

TEST(CachePolicy, DirectivesAreFoundCaseInsensitivelyWithQuotedValues) {
  http::HeaderMap h;
  h.add("Cache-Control", "public");
  h.add("cache-control", "S-MaxAge=\"60\", max-age=10");
  EXPECT_EQ(cacheControlDirective(h, "s-maxage"), std::optional<std::string_view>("60"));
  EXPECT_EQ(cacheControlDirective(h, "max-age"), std::optional<std::string_view>("10"));
  EXPECT_EQ(cacheControlDirective(h, "public"), std::optional<std::string_view>(""));
  EXPECT_EQ(cacheControlDirective(h, "private"), std::nullopt);
}

TEST(CachePolicy, StatusesCacheableByDefaultAreStoredForTheDefaultTime) {
  for (int status : {200, 203, 204, 301, 404, 410}) {
    const Storability s = decide(response(status));
    EXPECT_TRUE(s.store) << status;
    EXPECT_EQ(s.freshSeconds, 300) << status;
  }
  for (int status : {201, 302, 307, 400, 500, 502, 503}) EXPECT_FALSE(decide(response(status)).store) << status;
}

TEST(CachePolicy, OtherStatusesNeedExplicitFreshnessAndPartialOnesAreNeverStored) {
  EXPECT_TRUE(decide(response(302, {{"Cache-Control", "max-age=60"}})).store);
  EXPECT_FALSE(decide(response(206, {{"Cache-Control", "max-age=60"}})).store);
  EXPECT_FALSE(decide(response(304, {{"Cache-Control", "max-age=60"}})).store);
}

TEST(CachePolicy, SMaxAgeWinsOverMaxAgeWhichWinsOverExpires) {
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "max-age=50, s-maxage=70"}})).freshSeconds, 70);
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "max-age=50"}, {"Expires", "Sun, 06 Nov 1994 09:49:37 GMT"}})).freshSeconds,
            50);
  EXPECT_EQ(decide(response(200, {{"Date", "Sun, 06 Nov 1994 08:49:37 GMT"}, {"Expires", "Sun, 06 Nov 1994 08:59:37 GMT"}}))
                .freshSeconds,
            600);
}

TEST(CachePolicy, FreshnessIsCappedByTheCachesMaxAge) {
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "max-age=999999"}})).freshSeconds, 3600);
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "max-age=99999999999999999999999"}})).freshSeconds, 3600);
}

TEST(CachePolicy, ExpiredOrInvalidExpiresIsNotStored) {
  EXPECT_FALSE(decide(response(200, {{"Expires", "Sat, 05 Nov 1994 08:49:37 GMT"}})).store);
  EXPECT_FALSE(decide(response(200, {{"Expires", "0"}})).store);
  EXPECT_FALSE(decide(response(200, {{"Cache-Control", "max-age=0"}})).store);
}

TEST(CachePolicy, NoStorePrivateAndNoCacheAreNotStored) {
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "no-store"}})).reason, "no-store");
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "private, max-age=60"}})).reason, "private");
  EXPECT_EQ(decide(response(200, {{"Cache-Control", "no-cache"}})).reason, "no-cache");
}

TEST(CachePolicy, SetCookieAndAuthorizationNeedPublic) {
  EXPECT_EQ(decide(response(200, {{"Set-Cookie", "a=b"}})).reason, "set-cookie");
  EXPECT_TRUE(decide(response(200, {{"Set-Cookie", "a=b"}, {"Cache-Control", "public, max-age=60"}})).store);
  const http::RequestHead authorized = request("GET", {{"Authorization", "Bearer x"}});
  EXPECT_EQ(decide(response(200), authorized).reason, "authorization");
  EXPECT_TRUE(decide(response(200, {{"Cache-Control", "public"}}), authorized).store);
  EXPECT_TRUE(decide(response(200, {{"Cache-Control", "s-maxage=10"}}), authorized).store);
}

TEST(CachePolicy, VaryNamesAreCollectedLowerCaseOnceAndVaryStarIsNotStored) {
  const Storability s = decide(response(200, {{"Vary", "Accept-Encoding, Accept-Language"}, {"Vary", "accept-encoding"}}));
  ASSERT_TRUE(s.store);
  EXPECT_EQ(s.vary, (std::vector<std::string>{"accept-encoding", "accept-language"}));
  EXPECT_EQ(decide(response(200, {{"Vary", "*"}})).reason, "vary-star");
}

TEST(CachePolicy, ABypassedRequestStoresNothing) {
  EXPECT_FALSE(decide(response(200), request("POST")).store);
  EXPECT_FALSE(decide(response(200), request("GET", {{"Cache-Control", "no-store"}})).store);
}

}  // namespace
}  // namespace weir::cache

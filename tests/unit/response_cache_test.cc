#include "weir/cache/response_cache.h"

#include <gtest/gtest.h>

namespace weir::cache {
namespace {

std::shared_ptr<CachedResponse> response(std::string body, int64_t expiresAtMs = 1'000'000,
                                         std::vector<std::pair<std::string, std::string>> vary = {}) {
  auto r = std::make_shared<CachedResponse>();
  r->body = std::move(body);
  r->expiresAtMs = expiresAtMs;
  r->varyValues = std::move(vary);
  return r;
}

http::HeaderMap headers(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  http::HeaderMap h;
  for (const auto& [name, value] : fields) h.add(name, value);
  return h;
}

TEST(ResponseCache, AStoredResponseIsAHitUntilItExpires) {
  ResponseCache cache(1 << 20, 1 << 16);
  ASSERT_TRUE(cache.store("h\n/a", response("body", 500)));
  const auto hit = cache.lookup("h\n/a", {}, 100);
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->body, "body");
  EXPECT_EQ(cache.lookup("h\n/b", {}, 100), nullptr);
  EXPECT_EQ(cache.lookup("h\n/a", {}, 500), nullptr) << "expired";
  EXPECT_EQ(cache.entries(), 0u) << "a stale entry is dropped";
  EXPECT_EQ(cache.counters().hits, 1u);
  EXPECT_EQ(cache.counters().misses, 2u);
  EXPECT_EQ(cache.counters().stores, 1u);
}

TEST(ResponseCache, VaryKeepsOneVariantPerRequestValue) {
  ResponseCache cache(1 << 20, 1 << 16);
  cache.store("k", response("gzip body", 1000, {{"accept-encoding", "gzip"}}));
  cache.store("k", response("plain body", 1000, {{"accept-encoding", ""}}));
  EXPECT_EQ(cache.lookup("k", headers({{"Accept-Encoding", "gzip"}}), 1)->body, "gzip body");
  EXPECT_EQ(cache.lookup("k", {}, 1)->body, "plain body");
  EXPECT_EQ(cache.lookup("k", headers({{"Accept-Encoding", "br"}}), 1), nullptr);
  cache.store("k", response("gzip body 2", 1000, {{"accept-encoding", "gzip"}}));
  EXPECT_EQ(cache.entries(), 2u) << "the same variant is replaced";
  EXPECT_EQ(cache.lookup("k", headers({{"Accept-Encoding", "gzip"}}), 1)->body, "gzip body 2");
}

TEST(ResponseCache, VaryValuesJoinFieldsAndIgnoreSpacing) {
  EXPECT_EQ(ResponseCache::varyValue(headers({{"Accept-Language", "en ,  fr"}, {"accept-language", "de"}}), "accept-language"),
            "en, fr, de");
  EXPECT_EQ(ResponseCache::varyValue({}, "accept-language"), "");
}

TEST(ResponseCache, ObjectsOverMaxObjectSizeAreNotStored) {
  ResponseCache cache(1 << 20, 1000);
  EXPECT_FALSE(cache.store("big", response(std::string(2000, 'x'))));
  EXPECT_EQ(cache.entries(), 0u);
}

TEST(ResponseCache, LeastRecentlyUsedEntriesAreEvictedToStayUnderTheTotal) {
  ResponseCache cache(3 * 1300, 2000);  // room for three 1000-byte bodies with their bookkeeping
  cache.store("a", response(std::string(1000, 'a')));
  cache.store("b", response(std::string(1000, 'b')));
  cache.store("c", response(std::string(1000, 'c')));
  ASSERT_NE(cache.lookup("a", {}, 1), nullptr);  // a is now the most recent
  cache.store("d", response(std::string(1000, 'd')));
  EXPECT_EQ(cache.lookup("b", {}, 1), nullptr) << "the least recently used went";
  EXPECT_NE(cache.lookup("a", {}, 1), nullptr);
  EXPECT_NE(cache.lookup("d", {}, 1), nullptr);
  EXPECT_LE(cache.bytes(), 3u * 1300u);
  EXPECT_EQ(cache.counters().evictions, 1u);
}

TEST(ResponseCache, PurgeRemovesOneUrlOrAPrefix) {
  ResponseCache cache(1 << 20, 1 << 16);
  cache.store("h\n/img/a.png", response("a"));
  cache.store("h\n/img/b.png", response("b", 1000, {{"accept", "x"}}));
  cache.store("h\n/img/b.png", response("b2", 1000, {{"accept", "y"}}));
  cache.store("h\n/index.html", response("i"));
  EXPECT_EQ(cache.purge("h", "/index.html", false), 1u);
  EXPECT_EQ(cache.purge("h", "/img/", true), 3u);
  EXPECT_EQ(cache.entries(), 0u);
  EXPECT_EQ(cache.bytes(), 0u);
  EXPECT_EQ(cache.purge("h", "/none", false), 0u);
  EXPECT_EQ(cache.counters().purged, 4u);
}

TEST(ResponseCache, PurgeWithoutAHostReachesEveryHost) {
  ResponseCache cache(1 << 20, 1 << 16);
  cache.store("a.example\n/img/a.png", response("a"));
  cache.store("b.example\n/img/a.png", response("b"));
  cache.store("b.example\n/img/b.png", response("c"));
  cache.store("b.example\n/imgs", response("d"));
  EXPECT_EQ(cache.purge("", "/img/a.png", false), 2u);
  EXPECT_EQ(cache.purge("", "/img/", true), 1u);
  EXPECT_EQ(cache.entries(), 1u) << "/imgs is not under /img/";
  EXPECT_EQ(cache.purge("a.example", "/imgs", false), 0u) << "another host's entry stays";
  EXPECT_EQ(cache.entries(), 1u);
}

TEST(ResponseCache, VaryMatchesComparesTheNamedRequestHeaders) {
  auto r = response("x", 1000, {{"accept-encoding", "gzip"}});
  const http::HeaderMap gzip = headers({{"Accept-Encoding", "gzip"}});
  EXPECT_TRUE(ResponseCache::varyMatches(*r, gzip));
  EXPECT_FALSE(ResponseCache::varyMatches(*r, {}));
  EXPECT_TRUE(ResponseCache::varyMatches(*response("y"), gzip)) << "no Vary: every request matches";
}

TEST(ResponseCache, AHitStaysValidAfterItsEntryIsPurged) {
  ResponseCache cache(1 << 20, 1 << 16);
  cache.store("h\n/k", response("still here"));
  const auto held = cache.lookup("h\n/k", {}, 1);
  cache.purge("h", "/k", false);
  EXPECT_EQ(held->body, "still here") << "a response being sent outlives its entry";
}

}  // namespace
}  // namespace weir::cache

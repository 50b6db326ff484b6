// Issue 5, point 6: evaluating a frontend's rules allocates nothing per request. The global
// operator new of this test binary counts allocations while a test asks it to.

// Replacing operator new/delete with malloc/free is what this file is for.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include <fmt/format.h>

#include "weir/net/address.h"
#include "weir/route/router.h"

namespace {
thread_local bool gCounting = false;
thread_local size_t gAllocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (gCounting) ++gAllocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace weir::route {
namespace {

config::RuleLine line(std::string text, int n) { return {std::move(text), {n, 1}, "rule" + std::to_string(n)}; }

/// 50 ACLs of every kind and 20 use_backend rules, none matching the test's request.
config::Config manyRules() {
  config::Config c;
  for (const char* name : {"app", "other"}) {
    config::BackendConfig b;
    b.name = name;
    c.backends.push_back(b);
  }
  config::FrontendConfig fe;
  fe.name = "fe";
  const char* kinds[] = {"path_beg /svc{}/", "hdr(host) -i svc{}.example", "path_reg ^/re{}/[a-z]+[.]json$",
                         "src 10.{}.0.0/16", "hdr_beg(x-tenant) t{}", "url_param(k{}) v", "method PUT",
                         "path_dir v{}", "host -m end .svc{}.example", "query a={}"};
  for (int i = 1; i <= 50; ++i) {
    std::string m = kinds[i % 10];
    m.replace(m.find("{}") == std::string::npos ? m.size() : m.find("{}"), m.find("{}") == std::string::npos ? 0 : 2,
              std::to_string(i));
    fe.acls.push_back({"a" + std::to_string(i), line(m, i)});
  }
  for (int i = 0; i < 20; ++i)
    fe.use_backend.push_back(line(fmt::format("other if a{} a{} or !a{} a{}", i + 1, i + 21, i + 31, i + 2), 100 + i));
  fe.http_request.push_back(line("deny if { path_beg /never } !{ src 127.0.0.0/8 }", 200));
  fe.default_backend = "app";
  c.frontends.push_back(fe);
  return c;
}

TEST(RouterAllocation, RoutingThroughFiftyAclsAndTwentyRulesAllocatesNothing) {
  const config::Config c = manyRules();
  std::optional<Router> router = Router::build(c.frontends[0], c, "", [](const config::RuleLine& l, size_t, const std::string& m) {
    ADD_FAILURE() << l.text << ": " << m;
  });
  ASSERT_TRUE(router);
  std::string error;
  const net::Address src = *net::resolve({"192.0.2.1", 0}, &error);
  http::HeaderMap headers;
  headers.add("Host", "www.example.com:8080");
  headers.add("X-Tenant", "acme, beta");
  headers.add("Accept", "*/*");
  std::string path = "/catalog/items/42";
  path.reserve(64);

  gAllocations = 0;
  gCounting = true;
  RouteResult result;
  for (int i = 0; i < 100; ++i) {
    RequestFacts facts{"GET", path, "page=2&sort=asc", true, &headers, &src, false, 0};
    result = router->route(facts, headers, path);
  }
  gCounting = false;

  EXPECT_EQ(result.kind, RouteResult::Kind::kBackend);
  EXPECT_EQ(result.backend, 0) << "no rule matched: default_backend";
  EXPECT_EQ(gAllocations, 0u);
}

TEST(RouterAllocation, CounterSeesAnAllocation) {
  gAllocations = 0;
  gCounting = true;
  auto p = std::make_unique<int>(1);
  gCounting = false;
  EXPECT_EQ(gAllocations, 1u) << "the counting operator new is in use";
}

}  // namespace
}  // namespace weir::route

// weir-route-cost: what routing costs per request, measured in-process (no network noise):
// the bench's `rules` frontend (50 ACLs of five kinds, 20 use_backend rules, none matching the
// bench's request, so every request walks them all) against a frontend with one ACL and one
// rule. bench/run.sh prints it next to the end-to-end figures, which on a shared 2-core
// machine drift by more than the effect measured here.

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <vector>

#include "weir/net/address.h"
#include "weir/route/router.h"

namespace {

using namespace weir;

config::RuleLine line(std::string text, int n) { return {std::move(text), {n, 1}, fmt::format("rule{}", n)}; }

/// The frontend of bench/run.sh's `rules` mode (rules_conf), or one ACL and one rule.
config::Config frontend(bool many) {
  config::Config c;
  config::BackendConfig app;
  app.name = "app";
  c.backends.push_back(app);
  config::FrontendConfig fe;
  fe.name = "bench";
  if (!many) {
    fe.acls.push_back({"a1", line("path_beg /svc1/", 1)});
    fe.use_backend.push_back(line("app if a1", 2));
  }
  for (int i = 1; many && i <= 50; ++i) {
    static constexpr const char* kKinds[] = {"path_beg /svc{}/", "hdr(host) -i svc{}.example", "path_reg ^/re{}/[a-z]+[.]json$",
                                             "src 10.{}.0.0/16", "hdr_beg(x-tenant) t{}"};
    fe.acls.push_back({fmt::format("a{}", i), line(fmt::format(fmt::runtime(kKinds[i % 5]), i), i)});
  }
  for (int i = 0; many && i < 20; ++i)
    fe.use_backend.push_back(line(fmt::format("app if a{} a{} or a{}", i * 2 + 1, i * 2 + 2, (i * 2 + 11) % 50 + 1), 100 + i));
  fe.default_backend = "app";
  c.frontends.push_back(fe);
  return c;
}

/// Median over 5 runs of the nanoseconds one route() takes, for wrk's request (GET /, Host).
double nanosPerRoute(bool many) {
  const config::Config c = frontend(many);
  std::optional<route::Router> router =
      route::Router::build(c.frontends[0], c, "", [](const config::RuleLine& l, size_t, const std::string& m) {
        fmt::print(stderr, "{}: {}\n", l.text, m);
      });
  if (!router) return -1;
  std::string error;
  const net::Address src = *net::resolve({"127.0.0.1", 0}, &error);
  http::HeaderMap headers;
  headers.add("Host", "127.0.0.1:8080");
  std::string path = "/";
  std::vector<double> runs;
  int sink = 0;
  for (int run = 0; run < 5; ++run) {
    constexpr int kRequests = 500'000;
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kRequests; ++i) {
      route::RequestFacts facts{"GET", path, "", false, &headers, &src, false, 0};
      sink += router->route(facts, headers, path).backend;
    }
    runs.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count() / kRequests);
  }
  if (sink < 0) fmt::print("");
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

}  // namespace

int main() {
  const double many = nanosPerRoute(true);
  const double one = nanosPerRoute(false);
  fmt::print("routing per request: 50 ACLs + 20 use_backend rules {:.0f} ns, 1 ACL + 1 rule {:.0f} ns, difference {:.0f} ns\n",
             many, one, many - one);
  return many < 0 || one < 0 ? 1 : 0;
}

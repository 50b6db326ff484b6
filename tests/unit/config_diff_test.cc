// `weir -c --diff-against`: what a reload from one config to another would change.

#include "weir/config/config_diff.h"

#include <gtest/gtest.h>

#include "weir/config/config_loader.h"

namespace weir::config {
namespace {

Config load(const std::string& text) {
  LoadResult r = loadConfigText(text, "weir.yaml");
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  return r.config;
}

const char* kBefore = R"(frontends:
  web:
    bind: ["127.0.0.1:8080"]
    acl:
      api: path_beg /api
    http_request:
      - deny if { path_beg /admin }
      - return status 200 string ok if { path /health }
    use_backend:
      - api if api
    default_backend: app
backends:
  app:
    servers:
      - { name: a1, address: "127.0.0.1:9001" }
      - { name: a2, address: "127.0.0.1:9002", weight: 2 }
  api:
    servers:
      - { name: p1, address: "127.0.0.1:9101" }
)";

TEST(ConfigDiff, TheSameConfigHasNoChanges) { EXPECT_TRUE(diffConfigs(load(kBefore), load(kBefore)).empty()); }

TEST(ConfigDiff, ListsAddedRemovedAndModifiedParts) {
  const std::string after = R"(frontends:
  web:
    bind: ["127.0.0.1:8080", "127.0.0.1:8081"]
    acl:
      api: path_beg /api/
    http_request:
      - return status 200 string ok if { path /health }
      - deny if { path_beg /admin }
    use_backend:
      - old if api
    default_backend: app
    timeout: { client: 5s }
backends:
  app:
    balance: leastconn
    servers:
      - { name: a1, address: "127.0.0.1:9001", weight: 3 }
      - { name: a3, address: "127.0.0.1:9003" }
  old:
    servers:
      - { name: o1, address: "127.0.0.1:9201" }
)";
  EXPECT_EQ(diffConfigs(load(kBefore), load(after)),
            (std::vector<std::string>{
                "~ frontend web: bind [127.0.0.1:8080] -> [127.0.0.1:8080, 127.0.0.1:8081]",
                "- frontend web acl: api: path_beg /api",
                "+ frontend web acl: api: path_beg /api/",
                "~ frontend web: http_request reordered",
                "- frontend web use_backend: api if api",
                "+ frontend web use_backend: old if api",
                "~ frontend web: timeout.client 50000ms -> 5000ms",
                "- backend api",
                "+ backend old",
                "~ backend app: balance roundrobin -> leastconn",
                "- server app/a2",
                "+ server app/a3",
                "~ server app/a1: weight 1 -> 3",
            }));
}

TEST(ConfigDiff, ShowsDiscoveryChanges) {
  std::string after = std::string("global: { resolvers: [\"127.0.0.1:5353\"] }\n") + kBefore;
  const std::string a2 = R"({ name: a2, address: "127.0.0.1:9002", weight: 2 })";
  after.replace(after.find(a2), a2.size(),
                R"({ name: a2, address: "app.test:9002", weight: 2, resolve: true, count: 3, resolve_interval: 2s })");
  EXPECT_EQ(diffConfigs(load(kBefore), load(after)),
            (std::vector<std::string>{
                "~ global: resolvers [] -> [127.0.0.1:5353]",
                "~ server app/a2: address 127.0.0.1:9002 -> app.test:9002",
                "~ server app/a2: discovery resolved at start -> resolve: 3 slot(s) every 2000ms",
            }));
}

}  // namespace
}  // namespace weir::config

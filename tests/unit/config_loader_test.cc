#include "weir/config/config_loader.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "support/test_certificates.h"

namespace weir::config {
namespace {

using std::chrono::milliseconds;
using Messages = std::vector<std::string>;

// A valid frontend and backend; tests put the part under test before or after them, so the
// line numbers of that part do not depend on these.
constexpr const char* kFrontend = R"(frontends:
  web:
    bind: ["127.0.0.1:8080"]
    default_backend: app
)";
constexpr const char* kBackend = R"(backends:
  app:
    servers:
      - { name: s1, address: "127.0.0.1:9001" }
)";

LoadResult load(const std::string& text) { return loadConfigText(text, "weir.yaml"); }

/// A directory with the certificates the TLS configs below name (a config's TLS files must
/// load): a.pem, b.pem, site.pem and chinook.pem (chain + key), ec.crt with ec.key.
const std::string& certDir() {
  static const std::string dir = [] {
    const std::string d = ::testing::TempDir() + "weir-config-certs-" + std::to_string(::getpid());
    std::filesystem::create_directories(d);
    tls::EvpPkeyPtr rsa = tls::testing::makeKey(false), ec = tls::testing::makeKey(true);
    for (const char* name : {"a.pem", "b.pem", "site.pem", "chinook.pem"})
      tls::testing::writePem(d + "/" + name, tls::testing::makeCert(rsa.get(), name, {"example.test"}).get(), rsa.get(), true);
    tls::testing::writePem(d + "/ec.crt", tls::testing::makeCert(ec.get(), "ec", {"ec.test"}).get(), ec.get(), false,
                           d + "/ec.key");
    return d;
  }();
  return dir;
}

/// `text` with CONFIG.md's certificate path pointing at certDir()'s chinook.pem.
std::string withTestCertificate(std::string text) {
  const std::string from = "/etc/weir/certs/chinook.pem";
  const size_t at = text.find(from);
  if (at != std::string::npos) text.replace(at, from.size(), certDir() + "/chinook.pem");
  return text;
}

/// Loads `text` as if it were certDir()/weir.yaml, so that relative certificate paths are found.
LoadResult loadInCertDir(const std::string& text) { return loadConfigText(text, certDir() + "/weir.yaml"); }

/// The errors of a config made of `text` followed by the valid frontend and backend.
Messages errorsBefore(const std::string& text) { return load(text + kFrontend + kBackend).errors; }

// ---------------------------------------------------------------------------------------------
// Valid configs

TEST(ConfigLoader, LoadsMinimalConfigWithDocumentedDefaults) {
  const LoadResult r = load(std::string(kFrontend) + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.warnings, Messages{});
  const Config& c = r.config;
  EXPECT_EQ(c.source_file, "weir.yaml");
  EXPECT_EQ(c.global.threads, 0);
  EXPECT_EQ(c.global.maxconn, 4096);
  EXPECT_EQ(c.global.log, "stdout");
  EXPECT_EQ(c.global.log_format, LogFormat::kHttpLog);
  EXPECT_EQ(c.global.limits.max_head_bytes, 16u * 1024);
  ASSERT_EQ(c.frontends.size(), 1u);
  const FrontendConfig& fe = c.frontends[0];
  EXPECT_EQ(fe.name, "web");
  EXPECT_EQ(fe.pos.line, 2);
  EXPECT_EQ(fe.pos.column, 3);
  ASSERT_EQ(fe.binds.size(), 1u);
  EXPECT_EQ(fe.binds[0].text, "127.0.0.1:8080");
  EXPECT_EQ(fe.binds[0].address.toString(), "127.0.0.1:8080");
  EXPECT_FALSE(fe.binds[0].ssl);
  EXPECT_EQ(fe.default_backend, "app");
  EXPECT_EQ(fe.options.timeout.connect, milliseconds(5000));
  EXPECT_EQ(fe.options.retries, 3);
  ASSERT_EQ(c.backends.size(), 1u);
  const BackendConfig& be = c.backends[0];
  EXPECT_EQ(be.balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(be.keepalive, 32);
  EXPECT_EQ(be.max_fails, 1);
  EXPECT_EQ(be.fail_timeout, milliseconds(10000));
  ASSERT_EQ(be.servers.size(), 1u);
  EXPECT_EQ(be.servers[0].name, "s1");
  EXPECT_EQ(be.servers[0].address.toString(), "127.0.0.1:9001");
  EXPECT_EQ(be.servers[0].weight, 1);
  EXPECT_EQ(be.servers[0].maxconn, 0);
  EXPECT_FALSE(be.servers[0].backup);
  EXPECT_EQ(be.servers[0].pos.line, 8);
  EXPECT_EQ(be.servers[0].pos.column, 9);
}

// The example of CONFIG.md, with the servers at 127.0.0.1 (app1..app5 do not resolve here).
constexpr const char* kConfigMdExample = R"(global:
  threads: auto            # worker event loops; auto = one per core
  maxconn: 4096            # client connections in total; past it, accept pauses
  log: stdout              # stdout | stderr | none | a file path
  log_format: httplog      # httplog | json

defaults:
  timeout:
    connect: 5s
    client: 50s            # client inactivity
    server: 50s            # server inactivity
    http_request: 10s      # the whole request head must arrive within this
    http_keep_alive: 10s   # idle time allowed between two requests of one client
    queue: 30s             # wait for a server slot when every server is at maxconn
    tunnel: 1h             # upgraded (WebSocket) connections
  retries: 3
  redispatch: true         # a retry after a connect failure goes to another server
  forwardfor: true         # add X-Forwarded-For, X-Real-IP, X-Forwarded-Proto
  dontlognull: true        # no log line for connections that sent nothing

frontends:
  chinook:
    bind:
      - ":80"
      - address: ":443"
        ssl:
          certs: [/etc/weir/certs/chinook.pem]   # PEM: certificate chain + key; several = SNI
    acl:
      health: path_beg /health
      api: path_beg /api
      admin: path_beg /admin
      static: path_reg (?i)\.(css|js|png|jpe?g|gif|ico|svg|woff2?|ttf)$
      internal: src 127.0.0.1 10.0.0.0/8
    http_request:
      - redirect scheme https code 301 if !{ ssl_fc } !health
      - return status 200 content-type text/plain string "healthy\n" if health
      - deny status 403 if { path_beg /nginx_status } !internal
    static:
      - if: static
        root: /var/www/chinook/public
        expires: 1y          # Cache-Control: public, max-age=31536000, immutable
        fallback: backend    # no such file -> proxy to the backend (nginx: try_files $uri @backend)
    cache:
      - use: assets if static
    use_backend:
      - api if api
      - admin if admin
    default_backend: web

caches:
  assets:
    total_max_size: 64m
    max_object_size: 1m
    max_age: 1h

backends:
  web:
    balance: roundrobin      # roundrobin | leastconn | source
    keepalive: 32            # idle upstream connections kept per server
    health_check:
      http: GET /health      # HAProxy: option httpchk GET /health
      expect: status 200-399
      interval: 2s           # HAProxy inter
      timeout: 1s
      rise: 2
      fall: 3
    max_fails: 3             # passive: max_fails failures within fail_timeout ...
    fail_timeout: 30s        # ... take the server out for fail_timeout (nginx semantics)
    servers:
      - { name: web1, address: "127.0.0.1:8001", maxconn: 100 }
      - { name: web2, address: "127.0.0.1:8002", maxconn: 100 }
      - { name: web3, address: "127.0.0.1:8003", maxconn: 100 }
      - { name: web4, address: "127.0.0.1:8004", maxconn: 100, backup: true }
      - { name: web5, address: "127.0.0.1:8005", maxconn: 100, backup: true }
  api:
    balance: leastconn
    health_check: { http: GET /api/health }
    servers:
      - { name: api1, address: "127.0.0.1:8001", maxconn: 50 }
      - { name: api2, address: "127.0.0.1:8002", maxconn: 50 }
      - { name: api3, address: "127.0.0.1:8003", maxconn: 50 }
  admin:
    balance: source
    health_check: { http: GET /admin/health }
    servers:
      - { name: admin1, address: "127.0.0.1:8001", maxconn: 25 }
      - { name: admin2, address: "127.0.0.1:8002", maxconn: 25 }

stats:
  bind: ":8404"
  uri: /stats                # HTML; /stats;csv and /stats;json beside it; /metrics for Prometheus
  refresh: 30s
  auth: { user: admin, password: "${WEIR_STATS_PASSWORD}" }
  admin: true                # state changes from the page (needs auth)
)";

/// The example of CONFIG.md, whose stats password comes from the environment.
LoadResult loadConfigMdExample() {
  ::setenv("WEIR_STATS_PASSWORD", "test-password", 0);
  return load(withTestCertificate(kConfigMdExample));
}

TEST(ConfigLoader, LoadsConfigMdExampleWithItsValues) {
  const LoadResult r = loadConfigMdExample();
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const Config& c = r.config;
  EXPECT_EQ(c.global.threads, 0);
  EXPECT_EQ(c.global.maxconn, 4096);
  EXPECT_EQ(c.defaults.timeout.client, milliseconds(50'000));
  EXPECT_EQ(c.defaults.timeout.tunnel, milliseconds(3'600'000));
  EXPECT_TRUE(c.defaults.redispatch);

  ASSERT_EQ(c.frontends.size(), 1u);
  const FrontendConfig& fe = c.frontends[0];
  EXPECT_EQ(fe.name, "chinook");
  ASSERT_EQ(fe.binds.size(), 2u);
  EXPECT_EQ(fe.binds[0].address.toString(), "0.0.0.0:80");
  EXPECT_FALSE(fe.binds[0].ssl);
  EXPECT_EQ(fe.binds[1].text, ":443");
  EXPECT_EQ(fe.binds[1].address.toString(), "0.0.0.0:443");
  EXPECT_TRUE(fe.binds[1].ssl);
  EXPECT_EQ(fe.default_backend, "web");
  EXPECT_EQ(fe.options.timeout.http_request, milliseconds(10'000));

  ASSERT_EQ(c.backends.size(), 3u);
  const BackendConfig& web = c.backends[0];
  EXPECT_EQ(web.name, "web");
  EXPECT_EQ(web.balance, BalanceAlgorithm::kRoundRobin);
  EXPECT_EQ(web.max_fails, 3);
  EXPECT_EQ(web.fail_timeout, milliseconds(30'000));
  ASSERT_EQ(web.servers.size(), 5u);
  EXPECT_EQ(web.servers[0].maxconn, 100);
  EXPECT_FALSE(web.servers[2].backup);
  EXPECT_TRUE(web.servers[3].backup);
  EXPECT_EQ(web.servers[4].address.toString(), "127.0.0.1:8005");
  EXPECT_EQ(c.backends[1].balance, BalanceAlgorithm::kLeastConn);
  EXPECT_EQ(c.backends[1].servers.size(), 3u);
  EXPECT_EQ(c.backends[2].balance, BalanceAlgorithm::kSource);
  EXPECT_EQ(c.backends[2].servers[1].name, "admin2");
  EXPECT_EQ(c.findBackend("admin"), 2);
  EXPECT_TRUE(c.stats.enabled);
  EXPECT_EQ(c.stats.bind.address.toString(), "0.0.0.0:8404");
  EXPECT_EQ(c.stats.refresh, milliseconds(30'000));
  EXPECT_EQ(c.stats.password, "test-password");
  EXPECT_TRUE(c.stats.admin);
}

TEST(ConfigLoader, WarnsOnlyAboutTheMissingStaticRootOfConfigMdExample) {
  const LoadResult r = loadConfigMdExample();
  EXPECT_EQ(r.warnings,
            (Messages{
                "weir.yaml:40:15: frontends.chinook.static[0].root: '/var/www/chinook/public' does not exist: this "
                "rule finds no file until it does (and weir restarts)",
            }));
}

TEST(ConfigLoader, ShippedExampleConfigIsValid) {
  // tests/unit/config_loader_test.cc -> conf/weir.yaml
  std::string path = __FILE__;
  path = path.substr(0, path.rfind("/tests/")) + "/conf/weir.yaml";
  ::setenv("WEIR_STATS_PASSWORD", "test-password", 0);  // stats.auth.password uses it
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty()) << path;
  // Its certificate is where a deployment keeps it; the test's stands in for it.
  const LoadResult r = loadConfigText(withTestCertificate(text), path);
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.source_file, path);
  EXPECT_FALSE(r.config.frontends.empty());
  EXPECT_FALSE(r.config.backends.empty());
}

TEST(ConfigLoader, ParsesGlobalSection) {
  const LoadResult r = load(std::string(R"(global:
  threads: 4
  maxconn: 100
  log: /var/log/weir/access.log
  log_format: json
  tune: { http_max_head: 32k, http_max_headers: 64, http_max_uri: 4k }
)") + kFrontend + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const GlobalConfig& g = r.config.global;
  EXPECT_EQ(g.threads, 4);
  EXPECT_EQ(g.maxconn, 100);
  EXPECT_EQ(g.log, "/var/log/weir/access.log");
  EXPECT_EQ(g.log_format, LogFormat::kJson);
  EXPECT_EQ(g.limits.max_head_bytes, 32u * 1024);
  EXPECT_EQ(g.limits.max_headers, 64u);
  EXPECT_EQ(g.limits.max_uri_bytes, 4u * 1024);
}

TEST(ConfigLoader, ParsesBackendAndServerKeys) {
  const LoadResult r = load(std::string(kFrontend) + R"(backends:
  app:
    keepalive: 0
    max_fails: 0
    fail_timeout: 250ms
    servers:
      - name: s1
        address: "127.0.0.1:9001"
        weight: 256
        maxconn: 10
        backup: true
      - { name: s2, address: "[::1]:9002" }
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const BackendConfig& be = r.config.backends[0];
  EXPECT_EQ(be.keepalive, 0);
  EXPECT_EQ(be.max_fails, 0);
  EXPECT_EQ(be.fail_timeout, milliseconds(250));
  ASSERT_EQ(be.servers.size(), 2u);
  EXPECT_EQ(be.servers[0].address_text, "127.0.0.1:9001");
  EXPECT_EQ(be.servers[0].weight, 256);
  EXPECT_EQ(be.servers[0].maxconn, 10);
  EXPECT_TRUE(be.servers[0].backup);
  EXPECT_EQ(be.servers[1].address.toString(), "[::1]:9002");
}

TEST(ConfigLoader, ResolvesServerHostnameAtLoad) {
  const LoadResult r = load(std::string(kFrontend) + R"(backends:
  app:
    servers: [{ name: s1, address: "localhost:9001" }]
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const ServerConfig& s = r.config.backends[0].servers[0];
  EXPECT_EQ(s.address_text, "localhost:9001");
  EXPECT_TRUE(s.address.valid());
  EXPECT_EQ(s.address.port(), 9001);
}

TEST(ConfigLoader, ReadsDiscoveredServersWithoutLookingThemUp) {
  const LoadResult r = load(std::string("global: { resolvers: [\"127.0.0.1:5353\", \"[::1]\"] }\n") + kFrontend +
                            R"(backends:
  app:
    balance: source
    servers:
      - { name: web, address: "nowhere.invalid:80", resolve: true, resolve_interval: 2s, maxconn: 7 }
      - { template: { prefix: app, count: 3, address: "app.invalid:8080" }, weight: 5, backup: true }
      - { name: s1, address: "127.0.0.1:9001" }
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.global.resolvers, (std::vector<std::string>{"127.0.0.1:5353", "[::1]"}));
  const std::vector<ServerConfig>& servers = r.config.backends[0].servers;
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_TRUE(servers[0].resolve);
  EXPECT_FALSE(servers[0].address.valid()) << "a resolved name is looked up at run time, not at load";
  EXPECT_EQ(servers[0].address_text, "nowhere.invalid:80");
  EXPECT_EQ(servers[0].slots, 8) << "the default count of a resolve: true server";
  EXPECT_EQ(servers[0].resolve_interval, milliseconds(2000));
  EXPECT_EQ(discoveredServerName(servers[0], 0), "web");
  EXPECT_EQ(discoveredServerName(servers[0], 1), "web-2");
  EXPECT_TRUE(servers[1].resolve && servers[1].templated);
  EXPECT_EQ(servers[1].slots, 3);
  EXPECT_EQ(servers[1].weight, 5);
  EXPECT_EQ(discoveredServerName(servers[1], 0), "app1");
  EXPECT_EQ(discoveredServerName(servers[1], 2), "app3");
}

TEST(ConfigLoader, RejectsMisusedDiscoveryKeys) {
  const auto errors = [](const std::string& server) {
    return load(std::string(kFrontend) + "backends:\n  app:\n    servers:\n      - " + server + "\n").errors;
  };
  EXPECT_EQ(errors(R"({ name: s, address: "127.0.0.1:80", count: 2 })"),
            Messages{"weir.yaml:8:9: backends.app.servers[0]: count needs resolve: true"});
  EXPECT_EQ(errors(R"({ name: s, template: { prefix: a, count: 2, address: "a:80" } })"),
            Messages{"weir.yaml:8:9: backends.app.servers[0]: name: a template has its own prefix, count and address"});
  EXPECT_EQ(errors(R"({ template: { prefix: a, address: "a:80" } })"),
            Messages{"weir.yaml:8:11: backends.app.servers[0].template: missing required key 'count'"});
  EXPECT_EQ(errors(R"({ name: s, address: "app", resolve: true })").size(), 1u) << "a resolved address needs a port";
  EXPECT_EQ(errors(R"({ template: { prefix: s, count: 2, address: "a:80" } }
      - { name: s2, address: "127.0.0.1:80" })"),
            Messages{"weir.yaml:9:17: backends.app.servers[1].name: duplicate server name 's2', first defined at line 8"});
  const Messages resolvers = errorsBefore("global: { resolvers: [dns.example] }\n");
  ASSERT_EQ(resolvers.size(), 1u);
  EXPECT_NE(resolvers[0].find("not a numeric IP or IP:port"), std::string::npos) << resolvers[0];
}

TEST(ConfigLoader, ThreadsAutoMeansOnePerCore) {
  const LoadResult r = load(std::string("global: { threads: auto }\n") + kFrontend + kBackend);
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.config.global.threads, 0);
}

TEST(ConfigLoader, AcceptsSingleAddressAsBind) {
  const LoadResult r = load(std::string(R"(frontends:
  web:
    bind: "127.0.0.1:8080"
    default_backend: app
)") + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  ASSERT_EQ(r.config.frontends[0].binds.size(), 1u);
  EXPECT_EQ(r.config.frontends[0].binds[0].pos.line, 3);
  EXPECT_EQ(r.config.frontends[0].binds[0].pos.column, 11);
}

// ---------------------------------------------------------------------------------------------
// defaults and their overrides

TEST(ConfigLoader, FrontendsAndBackendsInheritDefaults) {
  const LoadResult r = load(std::string(R"(defaults:
  timeout: { connect: 1s, tunnel: 2h }
  retries: 5
  redispatch: false
  forwardfor: no
  dontlognull: off
)") + kFrontend + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  for (const ProxyOptions* o :
       {&r.config.defaults, &r.config.frontends[0].options, &r.config.backends[0].options}) {
    EXPECT_EQ(o->timeout.connect, milliseconds(1000));
    EXPECT_EQ(o->timeout.tunnel, milliseconds(7'200'000));
    EXPECT_EQ(o->timeout.client, milliseconds(50'000));
    EXPECT_EQ(o->retries, 5);
    EXPECT_FALSE(o->redispatch);
    EXPECT_FALSE(o->forwardfor);
    EXPECT_FALSE(o->dontlognull);
  }
}

TEST(ConfigLoader, PartialTimeoutOverridesOnlyItsKeys) {
  // defaults come last in the file: they still apply to everything above them.
  const LoadResult r = load(R"(frontends:
  web:
    bind: ["127.0.0.1:8080"]
    default_backend: app
    timeout: { client: 7s }
    dontlognull: false
backends:
  app:
    timeout: { server: 9s, queue: 1m }
    retries: 0
    servers: [{ name: s1, address: "127.0.0.1:9001" }]
defaults:
  timeout: { connect: 2s, client: 20s, server: 30s }
  retries: 2
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const ProxyOptions& fe = r.config.frontends[0].options;
  EXPECT_EQ(fe.timeout.connect, milliseconds(2000));
  EXPECT_EQ(fe.timeout.client, milliseconds(7000));
  EXPECT_EQ(fe.timeout.server, milliseconds(30'000));
  EXPECT_EQ(fe.retries, 2);
  EXPECT_FALSE(fe.dontlognull);
  const ProxyOptions& be = r.config.backends[0].options;
  EXPECT_EQ(be.timeout.connect, milliseconds(2000));
  EXPECT_EQ(be.timeout.client, milliseconds(20'000));
  EXPECT_EQ(be.timeout.server, milliseconds(9000));
  EXPECT_EQ(be.timeout.queue, milliseconds(60'000));
  EXPECT_EQ(be.retries, 0);
  EXPECT_TRUE(be.dontlognull);
  EXPECT_EQ(r.config.defaults.timeout.client, milliseconds(20'000));
}

// ---------------------------------------------------------------------------------------------
// ${VAR}

TEST(ConfigLoader, ExpandsEnvironmentVariablesInValues) {
  ::setenv("WEIR_TEST_HOST", "127.0.0.1", 1);
  ::setenv("WEIR_TEST_WEIGHT", "7", 1);
  const LoadResult r = load(std::string(kFrontend) + R"(backends:
  app:
    servers: [{ name: s1, address: "${WEIR_TEST_HOST}:9001", weight: "${WEIR_TEST_WEIGHT}" }]
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.backends[0].servers[0].address_text, "127.0.0.1:9001");
  EXPECT_EQ(r.config.backends[0].servers[0].weight, 7);
}

TEST(ConfigLoader, RejectsMissingEnvironmentVariableWithPosition) {
  ::unsetenv("WEIR_TEST_UNSET");
  EXPECT_EQ(errorsBefore("global:\n  log: \"/var/log/${WEIR_TEST_UNSET}.log\"\n"),
            Messages{"weir.yaml:2:8: global.log: environment variable 'WEIR_TEST_UNSET' "
                     "is not set"});
}

TEST(ConfigLoader, RejectsUnterminatedEnvironmentReference) {
  EXPECT_EQ(errorsBefore("global:\n  log: ${HOME\n"),
            Messages{"weir.yaml:2:8: global.log: unterminated '${' in '${HOME'"});
}

TEST(ConfigLoader, RejectsInvalidEnvironmentVariableName) {
  EXPECT_EQ(errorsBefore("global:\n  log: /x/${1A}\n"),
            Messages{"weir.yaml:2:8: global.log: '${1A}' is not a valid environment "
                     "variable name"});
}

// ---------------------------------------------------------------------------------------------
// Whole-file errors

TEST(ConfigLoader, ReportsYamlSyntaxErrorWithPosition) {
  const LoadResult r = load("global:\n  maxconn: [1, 2\n");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.errors, Messages{"weir.yaml:3:1: YAML syntax error: end of sequence flow not found"});
}

TEST(ConfigLoader, RejectsBadIndentationAsSyntaxError) {
  EXPECT_EQ(load("global:\n  maxconn: 1\n   log: x\n").errors,
            Messages{"weir.yaml:3:7: YAML syntax error: illegal map value"});
}

TEST(ConfigLoader, RejectsSecondYamlDocument) {
  EXPECT_EQ(load(std::string(kFrontend) + kBackend + "---\nglobal: {}\n").errors,
            Messages{"weir.yaml:10:1: only one YAML document is allowed"});
}

TEST(ConfigLoader, RejectsTopLevelThatIsNotMapping) {
  EXPECT_EQ(load("- global\n").errors,
            Messages{"weir.yaml:1:1: expected a mapping, got a sequence"});
}

TEST(ConfigLoader, RequiresFrontendsSection) {
  EXPECT_EQ(load("").errors, Messages{"weir.yaml:1:1: missing required key 'frontends'"});
  EXPECT_EQ(load(kBackend).errors, Messages{"weir.yaml:1:1: missing required key 'frontends'"});
}

TEST(ConfigLoader, RequiresAtLeastOneFrontend) {
  EXPECT_EQ(load(std::string("frontends: {}\n") + kBackend).errors,
            Messages{"weir.yaml:1:1: frontends: at least one frontend is required"});
}

TEST(ConfigLoader, RejectsSectionOfWrongKind) {
  EXPECT_EQ(errorsBefore("global: 5\n"),
            Messages{"weir.yaml:1:9: global: expected a mapping, got '5'"});
}

TEST(ConfigLoader, ReportsUnreadableFile) {
  const LoadResult r = loadConfigFile("/nonexistent/weir.yaml");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.config.source_file, "/nonexistent/weir.yaml");
  EXPECT_EQ(r.errors,
            Messages{"/nonexistent/weir.yaml: cannot read the file: No such file or directory"});
}

TEST(ConfigLoader, NamesTheFilePathInMessages) {
  char path[] = "/tmp/weir_config_test_XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << kFrontend << kBackend << "global: { maxconn: 0 }\n";
  const LoadResult r = loadConfigFile(path);
  ::unlink(path);
  EXPECT_EQ(r.config.source_file, path);
  EXPECT_EQ(r.errors, Messages{std::string(path) +
                               ":9:20: global.maxconn: 0 is out of range (must be >= 1)"});
}

TEST(ConfigLoader, ReportsEveryErrorInFileOrder) {
  EXPECT_EQ(load(R"(backends:
  app:
    servers: [{ name: s1, address: "127.0.0.1:9001", weight: 0 }]
global:
  maxconn: -1
  threads: 0
frontends:
  web:
    bind: ":8080"
    default_backend: app
    retries: x
)")
                .errors,
            (Messages{
                "weir.yaml:3:62: backends.app.servers[0].weight: 0 is out of range 1-256",
                "weir.yaml:5:12: global.maxconn: -1 is out of range (must be >= 1)",
                "weir.yaml:6:12: global.threads: 0 is out of range 1-1024",
                "weir.yaml:11:14: frontends.web.retries: 'x' is not an integer",
            }));
}

TEST(ConfigLoader, NeverThrowsOnHostileInput) {
  const std::string deep = "a: " + std::string(10000, '[') + std::string(10000, ']') + "\n";
  const std::string binary("\0\x01\xff\xfe{[:\t\"", 10);
  for (const std::string& text :
       {deep, binary, std::string("&a [*a]"), std::string("frontends: &f { web: *f }"),
        std::string("? [a, b]\n: 1\n"), std::string("!!binary 5"), std::string(":")}) {
    LoadResult r;
    EXPECT_NO_THROW(r = load(text));
    EXPECT_FALSE(r.ok);
    EXPECT_FALSE(r.errors.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// Keys

TEST(ConfigLoader, RejectsUnknownKeyWithSuggestion) {
  EXPECT_EQ(errorsBefore("defaults:\n  timeout:\n    conect: 5s\n"),
            Messages{"weir.yaml:3:5: defaults.timeout.conect: unknown key, did you mean "
                     "'connect'?"});
}

TEST(ConfigLoader, RejectsUnknownKeyListingTheValidOnes) {
  EXPECT_EQ(errorsBefore("global:\n  workers: 4\n"),
            Messages{"weir.yaml:2:3: global.workers: unknown key (expected one of: threads, "
                     "maxconn, log, log_format, tune, grace, resolvers)"});
}

TEST(ConfigLoader, RejectsUnknownTopLevelKey) {
  EXPECT_EQ(errorsBefore("backend: {}\n"),
            Messages{"weir.yaml:1:1: backend: unknown key, did you mean 'backends'?"});
}

TEST(ConfigLoader, RejectsDuplicateYamlKey) {
  EXPECT_EQ(errorsBefore("defaults:\n  retries: 1\n  retries: 2\n"),
            Messages{"weir.yaml:3:3: defaults.retries: duplicate key 'retries', first defined "
                     "at line 2"});
}

TEST(ConfigLoader, RejectsNonScalarKey) {
  EXPECT_EQ(errorsBefore("global:\n  ? [a]\n  : 1\n"),
            Messages{"weir.yaml:2:5: global: keys must be plain strings, got a sequence"});
}

TEST(ConfigLoader, ReportsEmptyValueAtItsKey) {
  EXPECT_EQ(errorsBefore("global:\n  maxconn:\n  log: stdout\n"),
            Messages{"weir.yaml:2:3: global.maxconn: expected an integer, got an empty value"});
}

TEST(ConfigLoader, RejectsValueOfWrongKind) {
  EXPECT_EQ(errorsBefore("global:\n  log: [a]\n"),
            Messages{"weir.yaml:2:8: global.log: expected a string, got a sequence"});
}

TEST(ConfigLoader, ReadsTheStatsSection) {
  const LoadResult r = load(std::string(kFrontend) + kBackend + R"(stats:
  bind: "127.0.0.1:8404"
  uri: /haproxy
  refresh: 5s
  auth: { user: admin, password: s3cret }
  admin: true
  allow: [127.0.0.0/8, "::1"]
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.warnings, Messages{});
  const StatsConfig& s = r.config.stats;
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.bind.address.toString(), "127.0.0.1:8404");
  EXPECT_EQ(s.uri, "/haproxy");
  EXPECT_EQ(s.metrics_uri, "/metrics");
  EXPECT_EQ(s.stub_status_uri, "/stub_status");
  EXPECT_EQ(s.refresh, milliseconds(5000));
  EXPECT_EQ(s.user, "admin");
  EXPECT_EQ(s.password, "s3cret");
  EXPECT_TRUE(s.admin);
  EXPECT_EQ(s.allow, (std::vector<std::string>{"127.0.0.0/8", "::1"}));
  EXPECT_FALSE(load(std::string(kFrontend) + kBackend).config.stats.enabled) << "off unless configured";
}

TEST(ConfigLoader, RejectsBadStatsSettings) {
  const auto errors = [](const std::string& stats) { return load(std::string(kFrontend) + kBackend + stats).errors; };
  EXPECT_EQ(errors("stats: { uri: /s }\n"), Messages{"weir.yaml:9:1: stats: missing required key 'bind'"});
  EXPECT_EQ(errors("stats: { bind: \":8404\", admin: true }\n"),
            Messages{"weir.yaml:9:1: stats: admin: true needs auth (user and password)"});
  EXPECT_EQ(errors("stats: { bind: \":8404\", allow: [10.0.0.0/33] }\n").size(), 1u);
  EXPECT_EQ(errors("stats: { bind: \":8404\", uri: stats }\n"),
            Messages{"weir.yaml:9:30: stats.uri: must be a path starting with '/', without '?', '#', ';' or spaces"});
  EXPECT_EQ(errors("stats: { bind: \"127.0.0.1:8080\" }\n"),
            Messages{"weir.yaml:9:16: stats.bind: 127.0.0.1:8080 is already bound by frontend web"});
  EXPECT_EQ(errors("stats: { bind: \":8404\", auth: { user: admin } }\n"),
            Messages{"weir.yaml:9:25: stats.auth: missing required key 'password'"});
}

TEST(ConfigLoader, RejectsUnimplementedKeyOfWrongKind) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    bind: \":80\"\n    use_backend: api\n"
                             "    default_backend: app\n") +
                 kBackend)
                .errors,
            Messages{"weir.yaml:4:18: frontends.web.use_backend: expected a sequence, got "
                     "'api'"});
}

// ---------------------------------------------------------------------------------------------
// Values

TEST(ConfigLoader, RejectsWeightOutOfRangeWithPosition) {
  EXPECT_EQ(load(R"(frontends:
  web:
    bind: ["127.0.0.1:8080"]
    default_backend: api
backends:
  api:
    servers:
      - { name: api1, address: "127.0.0.1:9001" }
      - name: api2
        address: "127.0.0.1:9002"
        weight: 0
)")
                .errors,
            Messages{"weir.yaml:11:17: backends.api.servers[1].weight: 0 is out of range 1-256"});
}

TEST(ConfigLoader, RejectsNonIntegerValue) {
  EXPECT_EQ(errorsBefore("global:\n  maxconn: 10.5\n"),
            Messages{"weir.yaml:2:12: global.maxconn: '10.5' is not an integer"});
}

TEST(ConfigLoader, RejectsIntegerBelowMinimum) {
  EXPECT_EQ(errorsBefore("defaults:\n  retries: -1\n"),
            Messages{"weir.yaml:2:12: defaults.retries: -1 is out of range (must be >= 0)"});
}

TEST(ConfigLoader, RejectsIntegerTooLarge) {
  EXPECT_EQ(errorsBefore("global:\n  maxconn: 99999999999999999999\n"),
            Messages{"weir.yaml:2:12: global.maxconn: 99999999999999999999 is too large"});
}

TEST(ConfigLoader, RejectsNonBoolean) {
  EXPECT_EQ(errorsBefore("defaults:\n  redispatch: maybe\n"),
            Messages{"weir.yaml:2:15: defaults.redispatch: 'maybe' is not a boolean (true or "
                     "false)"});
}

TEST(ConfigLoader, RejectsBadDuration) {
  EXPECT_EQ(errorsBefore("defaults:\n  timeout: { client: 5 s }\n"),
            Messages{"weir.yaml:2:22: defaults.timeout.client: '5 s' is not a duration (use "
                     "ms, s, m, h, d or y)"});
}

TEST(ConfigLoader, RejectsNegativeDuration) {
  EXPECT_EQ(errorsBefore("defaults:\n  timeout: { client: -5s }\n"),
            Messages{"weir.yaml:2:22: defaults.timeout.client: '-5s' is negative"});
}

TEST(ConfigLoader, RejectsZeroTimeout) {
  EXPECT_EQ(errorsBefore("defaults:\n  timeout: { connect: 0s }\n"),
            Messages{"weir.yaml:2:23: defaults.timeout.connect: '0s' must be greater than 0"});
}

TEST(ConfigLoader, RejectsBadSize) {
  EXPECT_EQ(errorsBefore("global:\n  tune: { http_max_uri: 8kb }\n"),
            Messages{"weir.yaml:2:25: global.tune.http_max_uri: '8kb' is not a size (use k, "
                     "m or g)"});
}

TEST(ConfigLoader, RejectsSizeOutOfRange) {
  EXPECT_EQ(errorsBefore("global:\n  tune: { http_max_head: 8g }\n"),
            Messages{"weir.yaml:2:26: global.tune.http_max_head: 8g is out of range "
                     "1024-4294967295"});
}

TEST(ConfigLoader, RejectsThreadsThatIsNeitherAutoNorNumber) {
  EXPECT_EQ(errorsBefore("global:\n  threads: all\n"),
            Messages{"weir.yaml:2:12: global.threads: 'all' is neither 'auto' nor an integer"});
}

TEST(ConfigLoader, RejectsThreadsOutOfRange) {
  EXPECT_EQ(errorsBefore("global:\n  threads: 5000\n"),
            Messages{"weir.yaml:2:12: global.threads: 5000 is out of range 1-1024"});
}

TEST(ConfigLoader, RejectsUnknownLogFormatWithSuggestion) {
  EXPECT_EQ(errorsBefore("global:\n  log_format: jsno\n"),
            Messages{"weir.yaml:2:15: global.log_format: 'jsno' is not one of httplog, json, "
                     "did you mean 'json'?"});
}

TEST(ConfigLoader, RejectsEmptyLogTarget) {
  EXPECT_EQ(errorsBefore("global:\n  log: \"\"\n"),
            Messages{"weir.yaml:2:8: global.log: expected stdout, stderr, none or a file "
                     "path, got an empty string"});
}

TEST(ConfigLoader, RejectsUnknownBalanceWithSuggestion) {
  EXPECT_EQ(
      load(std::string(kFrontend) + "backends:\n  app:\n    balance: leastconnn\n"
                                    "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n")
          .errors,
      Messages{"weir.yaml:7:14: backends.app.balance: 'leastconnn' is not one of "
               "roundrobin, leastconn, source, did you mean 'leastconn'?"});
}

TEST(ConfigLoader, ParsesLeastconnWithoutWarning) {
  const LoadResult r = load(std::string(kFrontend) +
                            "backends:\n  app:\n    balance: leastconn\n"
                            "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n");
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.config.backends[0].balance, BalanceAlgorithm::kLeastConn);
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(r.warnings);
}

TEST(ConfigLoader, RejectsInvalidName) {
  EXPECT_EQ(load(std::string(kFrontend) + kBackend + "  \"my app\":\n    servers: []\n").errors,
            (Messages{"weir.yaml:9:3: backends.my app: 'my app' is not a valid name (use "
                      "letters, digits, '-', '_', '.', ':')",
                      "weir.yaml:10:14: backends.my app.servers: a backend needs at least one "
                      "server"}));
}

// ---------------------------------------------------------------------------------------------
// Frontends

TEST(ConfigLoader, RejectsDuplicateFrontendName) {
  EXPECT_EQ(load(std::string(kFrontend) + "  web:\n    bind: \":81\"\n" + kBackend).errors,
            Messages{"weir.yaml:5:3: frontends.web: duplicate frontend 'web', first defined at "
                     "line 2"});
}

TEST(ConfigLoader, RequiresBind) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    default_backend: app\n") + kBackend).errors,
            Messages{"weir.yaml:2:3: frontends.web: missing required key 'bind'"});
}

TEST(ConfigLoader, RejectsEmptyBindList) {
  EXPECT_EQ(
      load(std::string("frontends:\n  web:\n    bind: []\n    default_backend: app\n") + kBackend)
          .errors,
      Messages{"weir.yaml:3:11: frontends.web.bind: a frontend needs at least one bind address"});
}

TEST(ConfigLoader, RejectsInvalidBindAddress) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    bind: [\"127.0.0.1\"]\n"
                             "    default_backend: app\n") +
                 kBackend)
                .errors,
            Messages{"weir.yaml:3:12: frontends.web.bind[0]: invalid address '127.0.0.1': "
                     "missing :port"});
}

TEST(ConfigLoader, RejectsBindOfWrongKind) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    bind:\n      - [\":80\"]\n"
                             "    default_backend: app\n") +
                 kBackend)
                .errors,
            Messages{"weir.yaml:4:9: frontends.web.bind[0]: expected an address or a mapping "
                     "with 'address', got a sequence"});
}

TEST(ConfigLoader, RejectsSameBindAddressTwice) {
  EXPECT_EQ(load(std::string(kFrontend) +
                 "  admin:\n    bind: [\"127.0.0.1:8080\"]\n    default_backend: app\n" + kBackend)
                .errors,
            Messages{"weir.yaml:6:12: frontends.admin.bind[0]: 127.0.0.1:8080 is already bound "
                     "by frontends.web.bind[0]"});
}

TEST(ConfigLoader, AllowsSeveralBindsOnPortZero) {
  const LoadResult r =
      load(std::string("frontends:\n  web:\n    bind: [\"127.0.0.1:0\", \"127.0.0.1:0\"]\n"
                       "    default_backend: app\n") +
           kBackend);
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
}

TEST(ConfigLoader, ParsesSslBind) {
  const LoadResult r = loadInCertDir(std::string(R"(frontends:
  web:
    bind:
      - address: "127.0.0.1:8443"
        ssl: { certs: [a.pem, b.pem] }
    default_backend: app
)") + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const BindConfig& bind = r.config.frontends[0].binds[0];
  EXPECT_TRUE(bind.ssl);
  EXPECT_EQ(bind.address.toString(), "127.0.0.1:8443");
  ASSERT_EQ(bind.certs.size(), 2u);
  EXPECT_EQ(bind.certs[1].cert, certDir() + "/b.pem") << "relative to the config file";
  EXPECT_TRUE(r.warnings.empty()) << ::testing::PrintToString(r.warnings);
}

TEST(ConfigLoader, ACertificateThatDoesNotLoadIsAnErrorNamingIt) {
  const LoadResult r = loadInCertDir(std::string(R"(frontends:
  web:
    bind:
      - address: "127.0.0.1:8443"
        ssl: { certs: [a.pem, { cert: ec.crt, key: a.pem }, nope.pem] }
    default_backend: app
)") + kBackend);
  ASSERT_EQ(r.errors.size(), 2u) << ::testing::PrintToString(r.errors);
  EXPECT_TRUE(r.errors[0].starts_with(certDir() + "/weir.yaml:5:31: frontends.web.bind[0].ssl.certs[1]: " + certDir() +
                                      "/a.pem: the private key does not match the certificate of " + certDir() + "/ec.crt"))
      << r.errors[0];
  EXPECT_TRUE(r.errors[1].starts_with(certDir() + "/weir.yaml:5:61: frontends.web.bind[0].ssl.certs[2]: " + certDir() +
                                      "/nope.pem: no certificate could be read"))
      << r.errors[1];
}

TEST(ConfigLoader, RequiresCertsForSslBind) {
  EXPECT_EQ(load(std::string(R"(frontends:
  web:
    bind:
      - address: "127.0.0.1:8443"
        ssl: {}
    default_backend: app
)") + kBackend)
                .errors,
            Messages{"weir.yaml:5:9: frontends.web.bind[0].ssl: missing required key 'certs'"});
}

TEST(ConfigLoader, RejectsEmptyCertsList) {
  EXPECT_EQ(load(std::string(R"(frontends:
  web:
    bind:
      - address: "127.0.0.1:8443"
        ssl: { certs: [] }
    default_backend: app
)") + kBackend)
                .errors,
            Messages{"weir.yaml:5:23: frontends.web.bind[0].ssl.certs: needs at least one "
                     "certificate file"});
}

TEST(ConfigLoader, ReadsTlsSettingsOfABind) {
  const LoadResult r = loadInCertDir(std::string(R"(frontends:
  web:
    bind:
      - address: "127.0.0.1:8443"
        ssl:
          certs: [site.pem, { cert: ec.crt, key: ec.key }]
          min_version: TLSv1.3
          ciphers: ECDHE-RSA-AES128-GCM-SHA256
          ciphersuites: TLS_AES_256_GCM_SHA384
    default_backend: app
)") + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const BindConfig& b = r.config.frontends[0].binds[0];
  EXPECT_TRUE(b.ssl);
  ASSERT_EQ(b.certs.size(), 2u);
  EXPECT_EQ(b.certs[0].cert, certDir() + "/site.pem");
  EXPECT_EQ(b.certs[0].key, "");
  EXPECT_EQ(b.certs[1].cert, certDir() + "/ec.crt");
  EXPECT_EQ(b.certs[1].key, certDir() + "/ec.key");
  EXPECT_EQ(b.min_version, "TLSv1.3");
  EXPECT_EQ(b.ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(b.ciphersuites, "TLS_AES_256_GCM_SHA384");
}

TEST(ConfigLoader, RejectsBadTlsSettings) {
  const auto errors = [](const std::string& ssl) {
    return loadInCertDir("frontends:\n  web:\n    bind:\n      - address: \"127.0.0.1:8443\"\n        ssl: " + ssl +
                         "\n    default_backend: app\n" + kBackend)
        .errors;
  };
  const std::string at = certDir() + "/weir.yaml:5:";
  EXPECT_EQ(errors("{ certs: [a.pem], min_version: TLSv1.1 }").size(), 1u) << "TLS 1.0 and 1.1 are not offered";
  EXPECT_EQ(errors("{ certs: [a.pem], ciphers: NOPE }"),
            Messages{at + "41: frontends.web.bind[0].ssl.ciphers: no usable cipher in 'NOPE'"});
  EXPECT_EQ(errors("{ certs: [a.pem], ciphersuites: TLS_NOPE }"),
            Messages{at + "46: frontends.web.bind[0].ssl.ciphersuites: no usable suite in 'TLS_NOPE'"});
  EXPECT_EQ(errors("{ certs: [{ key: a.key }] }"),
            Messages{at + "24: frontends.web.bind[0].ssl.certs[0]: missing required key 'cert'"});
}

TEST(ConfigLoader, RejectsDefaultBackendThatDoesNotExist) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    bind: \":8080\"\n"
                             "    default_backend: apq\n") +
                 kBackend)
                .errors,
            Messages{"weir.yaml:4:22: frontends.web.default_backend: no backend named 'apq', "
                     "did you mean 'app'?"});
}

TEST(ConfigLoader, RequiresDefaultBackendWhenNoRuleCanAnswer) {
  EXPECT_EQ(load(std::string("frontends:\n  web:\n    bind: \":8080\"\n") + kBackend).errors,
            Messages{"weir.yaml:2:3: frontends.web: missing required key 'default_backend'"});
}

TEST(ConfigLoader, AcceptsMissingDefaultBackendWhenRulesExist) {
  const LoadResult r = load(std::string("frontends:\n  web:\n    bind: \":8080\"\n"
                                        "    acl: { api: path_beg /api }\n"
                                        "    use_backend: [app if api]\n") +
                            kBackend);
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_EQ(r.config.frontends[0].default_backend, "");
}

// ---------------------------------------------------------------------------------------------
// Backends and servers

TEST(ConfigLoader, RejectsDuplicateBackendName) {
  EXPECT_EQ(load(std::string(kFrontend) + kBackend + "  app:\n    servers: []\n").errors,
            Messages{"weir.yaml:9:3: backends.app: duplicate backend 'app', first defined at "
                     "line 6"});
}

TEST(ConfigLoader, RequiresServers) {
  EXPECT_EQ(load(std::string(kFrontend) + "backends:\n  app:\n    balance: roundrobin\n").errors,
            Messages{"weir.yaml:6:3: backends.app: missing required key 'servers'"});
}

TEST(ConfigLoader, RejectsEmptyServerList) {
  EXPECT_EQ(load(std::string(kFrontend) + "backends:\n  app:\n    servers: []\n").errors,
            Messages{"weir.yaml:7:14: backends.app.servers: a backend needs at least one "
                     "server"});
}

TEST(ConfigLoader, RequiresServerNameAndAddress) {
  EXPECT_EQ(
      load(std::string(kFrontend) + "backends:\n  app:\n    servers:\n      - { weight: 2 }\n")
          .errors,
      (Messages{"weir.yaml:8:9: backends.app.servers[0]: missing required key 'name'",
                "weir.yaml:8:9: backends.app.servers[0]: missing required key 'address'"}));
}

TEST(ConfigLoader, RejectsServerThatIsNotMapping) {
  EXPECT_EQ(load(std::string(kFrontend) + "backends:\n  app:\n    servers:\n      - 127.0.0.1:80\n")
                .errors,
            Messages{"weir.yaml:8:9: backends.app.servers[0]: expected a mapping, got "
                     "'127.0.0.1:80'"});
}

TEST(ConfigLoader, RejectsDuplicateServerNameWithinBackend) {
  EXPECT_EQ(load(std::string(kFrontend) + R"(backends:
  app:
    servers:
      - { name: s1, address: "127.0.0.1:9001" }
      - { name: s1, address: "127.0.0.1:9002" }
)")
                .errors,
            Messages{"weir.yaml:9:17: backends.app.servers[1].name: duplicate server name 's1', "
                     "first defined at line 8"});
}

TEST(ConfigLoader, AllowsSameServerNameInDifferentBackends) {
  const LoadResult r = load(std::string(kFrontend) + kBackend +
                            "  other:\n    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n");
  EXPECT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
}

TEST(ConfigLoader, RejectsServerAddressWithoutHost) {
  EXPECT_EQ(load(std::string(kFrontend) +
                 "backends:\n  app:\n    servers: [{ name: s1, address: \":9001\" }]\n")
                .errors,
            Messages{"weir.yaml:7:36: backends.app.servers[0].address: invalid address ':9001': "
                     "a server needs a host"});
}

TEST(ConfigLoader, RejectsServerPortZero) {
  EXPECT_EQ(load(std::string(kFrontend) +
                 "backends:\n  app:\n    servers: [{ name: s1, address: \"127.0.0.1:0\" }]\n")
                .errors,
            Messages{"weir.yaml:7:36: backends.app.servers[0].address: invalid address "
                     "'127.0.0.1:0': a server needs a port other than 0"});
}

TEST(ConfigLoader, RejectsUnresolvableServerAddressWithPosition) {
  const LoadResult r =
      load(std::string(kFrontend) +
           "backends:\n  app:\n    servers: [{ name: s1, address: \"nosuchhost.invalid:80\" }]\n");
  ASSERT_EQ(r.errors.size(), 1u);
  // The resolver's own words follow (they differ with and without a network).
  EXPECT_EQ(r.errors[0].rfind("weir.yaml:7:36: backends.app.servers[0].address: cannot resolve "
                              "'nosuchhost.invalid': ",
                              0),
            0u)
      << r.errors[0];
}

TEST(ConfigLoader, ReadsPoolKeysAndLetsServerOverrideSlowstart) {
  const LoadResult r = load(std::string(kFrontend) + R"(backends:
  app:
    allbackups: true
    maxqueue: 50
    slowstart: 30s
    timeout: { upstream_idle: 2s }
    servers:
      - { name: s1, address: "127.0.0.1:9001" }
      - { name: s2, address: "127.0.0.1:9002", slowstart: 5s }
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const BackendConfig& app = r.config.backends[0];
  EXPECT_TRUE(app.allbackups);
  EXPECT_EQ(app.maxqueue, 50);
  EXPECT_EQ(app.options.timeout.upstream_idle, Millis(2000));
  EXPECT_EQ(app.servers[0].slowstart, Millis(30000));
  EXPECT_EQ(app.servers[1].slowstart, Millis(5000));
}

TEST(ConfigLoader, PoolKeysDefaultAsDocumented) {
  const LoadResult r = load(std::string(kFrontend) + kBackend);
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const BackendConfig& app = r.config.backends[0];
  EXPECT_FALSE(app.allbackups);
  EXPECT_EQ(app.maxqueue, 0);
  EXPECT_EQ(app.options.timeout.upstream_idle, Millis(4000));
  EXPECT_EQ(app.servers[0].slowstart, Millis(0));
}

TEST(ConfigLoader, ReadsEveryHealthCheckKey) {
  const LoadResult r = load(std::string(kFrontend) + R"(backends:
  app:
    health_check:
      http: HEAD /status
      host: app.internal
      headers: { X-Check: weir }
      expect: status 200-204
      interval: 1s
      fastinter: 200ms
      downinter: 5s
      timeout: 300ms
      rise: 3
      fall: 4
      port: 9100
      init_state: down
    servers: [{ name: s1, address: "127.0.0.1:9001" }]
)");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const HealthCheckConfig& hc = r.config.backends[0].health;
  EXPECT_TRUE(hc.enabled);
  EXPECT_FALSE(hc.tcp);
  EXPECT_EQ(hc.method, "HEAD");
  EXPECT_EQ(hc.path, "/status");
  EXPECT_EQ(hc.host, "app.internal");
  ASSERT_EQ(hc.headers.size(), 1u);
  EXPECT_EQ(hc.headers[0].first, "X-Check");
  EXPECT_EQ(hc.expectStatusLow, 200);
  EXPECT_EQ(hc.expectStatusHigh, 204);
  EXPECT_EQ(hc.interval, Millis(1000));
  EXPECT_EQ(hc.fastinter, Millis(200));
  EXPECT_EQ(hc.downinter, Millis(5000));
  EXPECT_EQ(hc.timeout, Millis(300));
  EXPECT_EQ(hc.rise, 3);
  EXPECT_EQ(hc.fall, 4);
  EXPECT_EQ(hc.port, 9100);
  EXPECT_FALSE(hc.initUp);
}

TEST(ConfigLoader, HealthCheckDefaultsAsHaproxy) {
  const LoadResult r = load(std::string(kFrontend) +
                            "backends:\n  app:\n    health_check: { http: GET /health, expect: string ok }\n"
                            "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  const HealthCheckConfig& hc = r.config.backends[0].health;
  EXPECT_EQ(hc.interval, Millis(2000));
  EXPECT_EQ(hc.rise, 2);
  EXPECT_EQ(hc.fall, 3);
  EXPECT_FALSE(hc.timeout.has_value());
  EXPECT_TRUE(hc.initUp);
  EXPECT_EQ(hc.expectString, "ok");
}

TEST(ConfigLoader, AcceptsATcpHealthCheck) {
  const LoadResult r = load(std::string(kFrontend) +
                            "backends:\n  app:\n    health_check: { tcp: true }\n"
                            "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n");
  ASSERT_TRUE(r.ok) << ::testing::PrintToString(r.errors);
  EXPECT_TRUE(r.config.backends[0].health.tcp);
}

TEST(ConfigLoader, RejectsBadHealthCheckValuesWithPositions) {
  EXPECT_EQ(load(std::string(kFrontend) +
                 "backends:\n  app:\n    health_check: { http: health, expect: status 700 }\n"
                 "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n")
                .errors,
            (Messages{"weir.yaml:7:27: backends.app.health_check.http: expected 'METHOD /path' (for example "
                      "'GET /health'), got 'health'",
                      "weir.yaml:7:43: backends.app.health_check.expect: expected 'status N', 'status N-M' "
                      "(100-599) or 'string TEXT', got 'status 700'"}));
  EXPECT_EQ(load(std::string(kFrontend) +
                 "backends:\n  app:\n    health_check: { interval: 1s }\n"
                 "    servers: [{ name: s1, address: \"127.0.0.1:9001\" }]\n")
                .errors,
            Messages{"weir.yaml:7:19: backends.app.health_check: missing required key 'http' (or 'tcp: true')"});
}

}  // namespace
}  // namespace weir::config

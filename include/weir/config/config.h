#pragma once
// The configuration as plain data. The YAML loader (config_loader.h) fills and validates these
// structs once; runtime objects are built from them and never see YAML.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "weir/net/address.h"

namespace weir::config {

using Millis = std::chrono::milliseconds;

/// Where a value was written, for messages that point at it ("weir.yaml:42:7").
struct SourcePos {
  int line = 0;    // 1-based; 0 = not from a file
  int column = 0;  // 1-based
};

struct Timeouts {
  Millis connect{5000};
  Millis client{50000};
  Millis server{50000};
  Millis client_handshake{10000};  // a TLS handshake (HAProxy: timeout client-hs)
  Millis http_request{10000};
  Millis http_keep_alive{10000};
  Millis queue{30000};
  Millis tunnel{3600000};
  // How long an idle upstream keep-alive connection is kept: shorter than the usual server
  // defaults (nginx 75s, Apache 5s, Node 5s) so that we close first, not the server.
  Millis upstream_idle{4000};
};

/// The keys of `defaults` that every frontend and backend may override. The loader resolves
/// each frontend's and backend's effective values (its own keys over `defaults`).
struct ProxyOptions {
  Timeouts timeout;
  int retries = 3;
  bool redispatch = true;
  bool forwardfor = true;
  bool dontlognull = true;
};

enum class LogFormat { kHttpLog, kJson };

/// Limits on the request head (HAProxy: tune.bufsize / tune.http.maxhdr).
struct HttpLimits {
  uint32_t max_head_bytes = 16 * 1024;   // over it: 431
  uint32_t max_headers = 100;            // over it: 431
  uint32_t max_uri_bytes = 8 * 1024;     // over it: 414
  uint64_t max_body_bytes = 0;           // request bodies over it: 413; 0 = no limit
};

/// The per-worker open-file cache of static files (weir's keys under global.tune).
struct StaticCacheConfig {
  Millis revalidate{1000};            // static_revalidate: an edited file is seen within this
  uint64_t max_file = 64 * 1024;      // static_cache_max_file: larger files are not kept
  uint64_t total = 16 * 1024 * 1024;  // static_cache_size: per worker
};

struct GlobalConfig {
  int threads = 0;  // 0 = auto (one per core)
  int maxconn = 4096;
  std::string log = "stdout";  // stdout | stderr | none | a file path
  LogFormat log_format = LogFormat::kHttpLog;
  HttpLimits limits;  // global.tune: { http_max_head, http_max_headers, http_max_uri }
  StaticCacheConfig static_cache;  // global.tune: { static_revalidate, static_cache_max_file, static_cache_size }
  Millis grace{30000};  // SIGTERM: how long connections may take to finish before weir exits anyway
  // Name servers for DNS discovery ("IP" or "IP:port"); empty: /etc/resolv.conf and /etc/hosts.
  std::vector<std::string> resolvers;
};

/// One certificate of a TLS bind: a PEM with the chain and the key, or `cert` + `key`.
struct CertConfig {
  std::string cert;
  std::string key;  // "" = in the cert's PEM
  SourcePos pos;
};

struct BindConfig {
  std::string text;  // as written, for messages
  net::Address address;
  bool ssl = false;
  std::vector<CertConfig> certs;  // ssl.certs (absolute paths); the first is the default, the others by SNI
  std::string min_version = "TLSv1.2";  // ssl.min_version: TLSv1.2 | TLSv1.3
  std::string ciphers;       // ssl.ciphers (TLS 1.2); "" = Mozilla intermediate
  std::string ciphersuites;  // ssl.ciphersuites (TLS 1.3); "" = the default three
  SourcePos pos;
};

/// A rule or ACL written in HAProxy's syntax, kept as text: src/route parses it (router.h),
/// once when the config is loaded to report errors, and again for each worker's own copy.
struct RuleLine {
  std::string text;
  SourcePos pos;     // where the text starts (after a quote, if quoted)
  std::string path;  // key path, for messages: "frontends.web.http_request[2]"
};

struct AclLine {
  std::string name;
  RuleLine matcher;  // "path_beg /api"
};

/// One `static` rule: files under `root` answer the requests its condition selects.
struct StaticRuleConfig {
  std::optional<RuleLine> condition;  // `if`: a condition as after HAProxy's "if"; none: every request
  std::string root;                   // a directory, made absolute at load
  std::optional<Millis> expires;      // Cache-Control max-age (+ immutable from 1y) and Expires
  bool fallback_backend = false;      // fallback: backend (else 404) when there is no such file
  std::string index;                  // served for a directory ("" = none: directories are 404)
  bool dotfiles = false;              // serve names starting with '.' (weir's key)
  bool precompressed = true;          // serve NAME.br / NAME.gz to clients that accept them (weir's key)
  SourcePos pos;
};

/// A response cache (`caches.NAME`), used by frontends' `cache` rules.
struct CacheConfig {
  std::string name;
  uint64_t total_max_size = 64 * 1024 * 1024;  // split between the workers (one cache each)
  uint64_t max_object_size = 1024 * 1024;
  Millis max_age{3600000};  // cap on any response's freshness; also the default without one
  SourcePos pos;
};

struct FrontendConfig {
  std::string name;
  std::vector<BindConfig> binds;
  std::vector<AclLine> acls;            // in file order; a name may appear several times (OR)
  std::vector<RuleLine> http_request;   // return, redirect, deny, allow, header and path edits
  std::vector<RuleLine> http_response;  // header edits of proxied responses
  std::vector<StaticRuleConfig> statics;  // `static`, in order
  std::vector<RuleLine> use_backend;    // "BACKEND [if|unless COND]"
  std::vector<RuleLine> cache_rules;    // `cache: - use: "CACHE [if|unless COND]"`
  std::string default_backend;  // "" when every request is answered locally
  uint32_t maxconn_per_src = 0;  // client connections from one address at a time; 0 = no limit
  ProxyOptions options;
  SourcePos pos;
};

/// TLS to a server (`servers[].ssl` and the keys beside it).
struct ServerTlsConfig {
  bool enabled = false;           // ssl
  bool verify = true;             // verify: required (default) | none
  std::string ca_file;            // "" = the system's CA store; absolute once loaded
  std::string sni;                // "" = the address's host when it is a name
  std::vector<std::string> alpn;  // offered protocols, e.g. [http/1.1]; none by default
};

struct ServerConfig {
  std::string name;
  std::string address_text;  // as written
  net::Address address;      // resolved at load
  int weight = 1;            // 1..256
  int maxconn = 0;           // 0 = no limit
  bool backup = false;
  std::optional<Millis> slowstart;  // unset: the backend's
  ServerTlsConfig tls;
  // DNS discovery (`resolve: true`, or `template:`): the address's name is looked up again
  // every `resolve_interval`; each address of the answer fills one of `slots` servers, named
  // by discoveredServerName(). `address` stays unset: nothing is resolved at load.
  bool resolve = false;
  bool templated = false;  // `template: {prefix, count, address}`: HAProxy's server-template names
  int slots = 1;
  Millis resolve_interval{10000};
  SourcePos pos;
};

/// The name of discovered server `slot` (0-based) of `server`: a template's PREFIX1..PREFIXn
/// (HAProxy's server-template); a `resolve: true` server's NAME, then NAME-2..NAME-n.
inline std::string discoveredServerName(const ServerConfig& server, int slot) {
  if (server.templated) return server.name + std::to_string(slot + 1);
  return slot == 0 ? server.name : server.name + "-" + std::to_string(slot + 1);
}

enum class BalanceAlgorithm { kRoundRobin, kLeastConn, kSource };

/// Active health checks of a backend's servers (`health_check`; HAProxy's option httpchk,
/// http-check expect, inter/fastinter/downinter, rise/fall, port).
struct HealthCheckConfig {
  bool enabled = false;
  bool tcp = false;  // a plain connect check instead of HTTP
  std::string method = "GET";
  std::string path = "/";
  std::string host;  // Host header; "" = the server's address
  std::vector<std::pair<std::string, std::string>> headers;
  // expect: `status N`, `status N-M` or `string TEXT` (the body contains TEXT)
  int expectStatusLow = 200;
  int expectStatusHigh = 399;
  std::string expectString;  // non-empty: a body check instead of a status check
  Millis interval{2000};
  std::optional<Millis> fastinter;  // while a server is changing state; default: interval
  std::optional<Millis> downinter;  // while a server is down; default: interval
  std::optional<Millis> timeout;    // default: interval
  int rise = 2;
  int fall = 3;
  int port = 0;  // 0: the server's own port
  bool initUp = true;  // init_state: up | down
  SourcePos pos;
};

struct BackendConfig {
  std::string name;
  BalanceAlgorithm balance = BalanceAlgorithm::kRoundRobin;
  int keepalive = 32;  // idle upstream connections kept per server (per worker)
  int max_fails = 1;
  Millis fail_timeout{10000};
  bool allbackups = false;  // spread over every usable backup, not only the first
  int maxqueue = 0;         // requests waiting for a server slot; 0 = unbounded
  int spare_servers = 0;    // slots for servers the runtime API adds (weir's key)
  Millis slowstart{0};      // ramp-up of a server coming back; 0 = none
  HealthCheckConfig health;
  ProxyOptions options;
  std::vector<ServerConfig> servers;
  SourcePos pos;
};

/// The stats listener (`stats`): dashboard, CSV/JSON, Prometheus, stub_status, runtime API.
struct StatsConfig {
  bool enabled = false;
  BindConfig bind;
  std::string uri = "/stats";             // HTML; uri;csv and uri;json beside it; uri/api/... the runtime API
  std::string metrics_uri = "/metrics";   // Prometheus (weir's key)
  std::string stub_status_uri = "/stub_status";  // nginx stub_status format (weir's key)
  Millis refresh{0};                      // the page reloads itself this often; 0 = never
  std::string user;                       // auth: HTTP Basic; "" = no auth
  std::string password;
  bool admin = false;                     // state changes allowed (needs auth)
  std::vector<std::string> allow;         // CIDRs allowed in; empty = everyone
  SourcePos pos;
};

struct Config {
  std::string source_file;
  GlobalConfig global;
  ProxyOptions defaults;
  std::vector<FrontendConfig> frontends;
  std::vector<BackendConfig> backends;
  std::vector<CacheConfig> caches;
  StatsConfig stats;

  /// Index into caches, or -1.
  int findCache(const std::string& name) const {
    for (size_t i = 0; i < caches.size(); ++i)
      if (caches[i].name == name) return static_cast<int>(i);
    return -1;
  }

  /// Index into frontends, or -1.
  int findFrontend(const std::string& name) const {
    for (size_t i = 0; i < frontends.size(); ++i)
      if (frontends[i].name == name) return static_cast<int>(i);
    return -1;
  }

  /// Index into backends, or -1.
  int findBackend(const std::string& name) const {
    for (size_t i = 0; i < backends.size(); ++i)
      if (backends[i].name == name) return static_cast<int>(i);
    return -1;
  }
};

}  // namespace weir::config

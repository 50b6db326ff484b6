#include "weir/config/config_diff.h"

#include <fmt/format.h>

#include <algorithm>

namespace weir::config {
namespace {

std::string text(Millis d) { return fmt::format("{}ms", d.count()); }
std::string text(const std::optional<Millis>& d) { return d ? text(*d) : "unset"; }
std::string text(bool b) { return b ? "true" : "false"; }
std::string text(int n) { return std::to_string(n); }
std::string text(uint64_t n) { return std::to_string(n); }  // also size_t
std::string text(const std::string& s) { return s.empty() ? "\"\"" : s; }

std::string text(BalanceAlgorithm b) {
  switch (b) {
    case BalanceAlgorithm::kRoundRobin: return "roundrobin";
    case BalanceAlgorithm::kLeastConn: return "leastconn";
    case BalanceAlgorithm::kSource: return "source";
  }
  return "?";
}

std::string text(const std::vector<BindConfig>& binds) {
  std::string out;
  for (const BindConfig& b : binds) {
    if (!out.empty()) out += ", ";
    out += b.address.toString();
    if (b.ssl) out += " ssl";
  }
  return "[" + out + "]";
}

std::string text(const HealthCheckConfig& h) {
  if (!h.enabled) return "off";
  return fmt::format("{} {} expect {} interval {} rise {} fall {}", h.tcp ? "tcp" : h.method, h.tcp ? "" : h.path,
                     h.expectString.empty() ? fmt::format("status {}-{}", h.expectStatusLow, h.expectStatusHigh)
                                            : "string " + h.expectString,
                     text(h.interval), h.rise, h.fall);
}

std::string text(const ServerTlsConfig& t) {
  if (!t.enabled) return "off";
  std::string alpn;
  for (const std::string& a : t.alpn) alpn += (alpn.empty() ? "" : ",") + a;
  return fmt::format("verify {} ca_file {} sni {} alpn {}", t.verify ? "required" : "none", text(t.ca_file),
                     text(t.sni), text(alpn));
}

std::string text(const std::vector<std::string>& list) {
  std::string out;
  for (const std::string& item : list) out += (out.empty() ? "" : ", ") + item;
  return "[" + out + "]";
}

/// How a server's address is used: resolved once, or asked again for its discovered servers.
std::string discovery(const ServerConfig& s) {
  if (!s.resolve) return "resolved at start";
  return fmt::format("{} {} slot(s) every {}", s.templated ? "template of" : "resolve:", s.slots, text(s.resolve_interval));
}

/// Collects the lines; `scope` names what the next fields belong to ("backend api").
class Diff {
 public:
  std::vector<std::string> lines;

  template <class T>
  void field(const std::string& scope, const char* name, const T& before, const T& after) {
    const std::string a = text(before), b = text(after);
    if (a != b) lines.push_back(fmt::format("~ {}: {} {} -> {}", scope, name, a, b));
  }

  void options(const std::string& scope, const ProxyOptions& a, const ProxyOptions& b) {
    field(scope, "timeout.connect", a.timeout.connect, b.timeout.connect);
    field(scope, "timeout.client", a.timeout.client, b.timeout.client);
    field(scope, "timeout.server", a.timeout.server, b.timeout.server);
    field(scope, "timeout.client_handshake", a.timeout.client_handshake, b.timeout.client_handshake);
    field(scope, "timeout.http_request", a.timeout.http_request, b.timeout.http_request);
    field(scope, "timeout.http_keep_alive", a.timeout.http_keep_alive, b.timeout.http_keep_alive);
    field(scope, "timeout.queue", a.timeout.queue, b.timeout.queue);
    field(scope, "timeout.tunnel", a.timeout.tunnel, b.timeout.tunnel);
    field(scope, "timeout.upstream_idle", a.timeout.upstream_idle, b.timeout.upstream_idle);
    field(scope, "retries", a.retries, b.retries);
    field(scope, "redispatch", a.redispatch, b.redispatch);
    field(scope, "forwardfor", a.forwardfor, b.forwardfor);
    field(scope, "dontlognull", a.dontlognull, b.dontlognull);
  }

  /// An ordered rule list: lines only in one of them, and a note when the same lines moved.
  void rules(const std::string& scope, const char* name, const std::vector<RuleLine>& a, const std::vector<RuleLine>& b) {
    const auto has = [](const std::vector<RuleLine>& list, const std::string& t) {
      return std::any_of(list.begin(), list.end(), [&](const RuleLine& r) { return r.text == t; });
    };
    const size_t before = lines.size();
    for (const RuleLine& r : a)
      if (!has(b, r.text)) lines.push_back(fmt::format("- {} {}: {}", scope, name, r.text));
    for (const RuleLine& r : b)
      if (!has(a, r.text)) lines.push_back(fmt::format("+ {} {}: {}", scope, name, r.text));
    const bool changed = lines.size() != before;
    const auto same = [](const RuleLine& x, const RuleLine& y) { return x.text == y.text; };
    if (!changed && !std::equal(a.begin(), a.end(), b.begin(), b.end(), same))
      lines.push_back(fmt::format("~ {}: {} reordered", scope, name));
  }

  void acls(const std::string& scope, const std::vector<AclLine>& a, const std::vector<AclLine>& b) {
    const auto asRules = [](const std::vector<AclLine>& acls) {
      std::vector<RuleLine> out;
      for (const AclLine& acl : acls) out.push_back({acl.name + ": " + acl.matcher.text, {}, ""});
      return out;
    };
    rules(scope, "acl", asRules(a), asRules(b));
  }

  void server(const std::string& scope, const ServerConfig& a, const ServerConfig& b) {
    field(scope, "address", a.address_text, b.address_text);
    field(scope, "discovery", discovery(a), discovery(b));
    field(scope, "weight", a.weight, b.weight);
    field(scope, "maxconn", a.maxconn, b.maxconn);
    field(scope, "backup", a.backup, b.backup);
    field(scope, "slowstart", a.slowstart, b.slowstart);
    field(scope, "ssl", a.tls, b.tls);
  }

  void backend(const BackendConfig& a, const BackendConfig& b) {
    const std::string scope = "backend " + a.name;
    field(scope, "balance", a.balance, b.balance);
    field(scope, "keepalive", a.keepalive, b.keepalive);
    field(scope, "max_fails", a.max_fails, b.max_fails);
    field(scope, "fail_timeout", a.fail_timeout, b.fail_timeout);
    field(scope, "allbackups", a.allbackups, b.allbackups);
    field(scope, "maxqueue", a.maxqueue, b.maxqueue);
    field(scope, "spare_servers", a.spare_servers, b.spare_servers);
    field(scope, "slowstart", a.slowstart, b.slowstart);
    field(scope, "health_check", a.health, b.health);
    options(scope, a.options, b.options);
    named(a.servers, b.servers, "server " + a.name + "/",
          [&](const ServerConfig& x, const ServerConfig& y) { server("server " + a.name + "/" + x.name, x, y); });
  }

  void frontend(const FrontendConfig& a, const FrontendConfig& b) {
    const std::string scope = "frontend " + a.name;
    field(scope, "bind", a.binds, b.binds);
    acls(scope, a.acls, b.acls);
    rules(scope, "http_request", a.http_request, b.http_request);
    rules(scope, "http_response", a.http_response, b.http_response);
    rules(scope, "use_backend", a.use_backend, b.use_backend);
    rules(scope, "cache", a.cache_rules, b.cache_rules);
    field(scope, "static rules", a.statics.size(), b.statics.size());
    field(scope, "default_backend", a.default_backend, b.default_backend);
    options(scope, a.options, b.options);
  }

  /// Items matched by name: removed, added, and `both` for those in both.
  template <class T, class Both>
  void named(const std::vector<T>& a, const std::vector<T>& b, const std::string& kind, Both both) {
    const auto find = [](const std::vector<T>& list, const std::string& name) -> const T* {
      for (const T& item : list)
        if (item.name == name) return &item;
      return nullptr;
    };
    for (const T& item : a)
      if (find(b, item.name) == nullptr) lines.push_back(fmt::format("- {}{}", kind, item.name));
    for (const T& item : b)
      if (find(a, item.name) == nullptr) lines.push_back(fmt::format("+ {}{}", kind, item.name));
    for (const T& item : a)
      if (const T* other = find(b, item.name)) both(item, *other);
  }
};

}  // namespace

std::vector<std::string> diffConfigs(const Config& before, const Config& after) {
  Diff d;
  d.field("global", "threads", before.global.threads, after.global.threads);
  d.field("global", "maxconn", before.global.maxconn, after.global.maxconn);
  d.field("global", "log", before.global.log, after.global.log);
  d.field("global", "grace", before.global.grace, after.global.grace);
  d.field("global", "resolvers", before.global.resolvers, after.global.resolvers);
  d.options("defaults", before.defaults, after.defaults);
  d.named(before.frontends, after.frontends, "frontend ",
          [&](const FrontendConfig& a, const FrontendConfig& b) { d.frontend(a, b); });
  d.named(before.backends, after.backends, "backend ",
          [&](const BackendConfig& a, const BackendConfig& b) { d.backend(a, b); });
  d.named(before.caches, after.caches, "cache ", [&](const CacheConfig& a, const CacheConfig& b) {
    d.field("cache " + a.name, "total_max_size", a.total_max_size, b.total_max_size);
    d.field("cache " + a.name, "max_object_size", a.max_object_size, b.max_object_size);
    d.field("cache " + a.name, "max_age", a.max_age, b.max_age);
  });
  d.field("stats", "enabled", before.stats.enabled, after.stats.enabled);
  if (before.stats.enabled && after.stats.enabled) {
    d.field("stats", "bind", before.stats.bind.address.toString(), after.stats.bind.address.toString());
    d.field("stats", "uri", before.stats.uri, after.stats.uri);
    d.field("stats", "user", before.stats.user, after.stats.user);
    if (before.stats.password != after.stats.password) d.lines.push_back("~ stats: password changed");
    d.field("stats", "admin", before.stats.admin, after.stats.admin);
  }
  return d.lines;
}

}  // namespace weir::config

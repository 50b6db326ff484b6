// The `backends` section: named pools of servers.

#include <array>
#include <filesystem>
#include <map>

#include "sections.h"
#include "weir/tls/client_tls.h"

namespace weir::config {
namespace {

constexpr std::array<std::string_view, 3> kBalanceNames{"roundrobin", "leastconn", "source"};
constexpr std::array kBalances{BalanceAlgorithm::kRoundRobin, BalanceAlgorithm::kLeastConn,
                               BalanceAlgorithm::kSource};

/// Server name -> line of its first definition, within one backend.
using ServerNames = std::map<std::string, int, std::less<>>;

/// Servers a `resolve: true` entry may fill when it has no `count`.
constexpr int kDefaultResolvedSlots = 8;

void readBalance(const YamlCursor& value, BalanceAlgorithm* balance) {
  const std::optional<size_t> index = value.readChoice(kBalanceNames);
  if (!index) return;
  *balance = kBalances[*index];
}

/// Claims `name` within the backend; a second server of that name is an error at `at`.
void claimServerName(const YamlCursor& at, ServerNames* names, const std::string& name) {
  auto [it, inserted] = names->emplace(name, at.pos().line);
  if (!inserted) at.error("duplicate server name '" + name + "', first defined at line " + std::to_string(it->second));
}

std::optional<std::string> readName(const YamlCursor& value) {
  std::optional<std::string> text = value.readString();
  if (!text) return std::nullopt;
  if (std::optional<std::string> invalid = nameError(*text)) {
    value.error(*invalid);
    return std::nullopt;
  }
  return text;
}

/// `template: {prefix, count, address}`, HAProxy's server-template: `count` servers named
/// PREFIX1..PREFIXn, filled from the DNS answer for `address`.
void readTemplate(const YamlCursor& v, ServerConfig* server, std::optional<YamlCursor>* address) {
  if (!v.expect(NodeKind::kMapping)) return;
  server->resolve = true;
  server->templated = true;
  const std::vector<KeyRule> rules{
      {"prefix", [&](const YamlCursor& p) { server->name = readName(p).value_or(""); }},
      {"count",
       [&](const YamlCursor& c) {
         if (auto n = c.readInt(1, 256)) server->slots = static_cast<int>(*n);
       }},
      {"address", [&](const YamlCursor& a) { address->emplace(a); }},
  };
  const KeySet seen = v.readKeys(rules);
  for (const char* key : {"prefix", "count", "address"}) v.require(seen, key);
}

/// `alpn`: one protocol name or a list of them.
void readAlpn(const YamlCursor& v, std::vector<std::string>* alpn) {
  if (v.isScalar()) {
    if (auto name = v.readString()) alpn->push_back(*name);
    return;
  }
  if (!v.expect(NodeKind::kSequence)) return;
  for (const YamlCursor& item : v.items())
    if (auto name = item.readString()) alpn->push_back(*name);
}

/// The TLS keys of a server: they need `ssl: true`, and the context they make must build
/// (a CA file that loads, valid ALPN names).
void checkServerTls(const YamlCursor& item, const KeySet& seen, const std::string& baseDir, ServerConfig* server) {
  ServerTlsConfig& tls = server->tls;
  if (!tls.enabled) {
    for (const char* key : {"verify", "ca_file", "sni", "alpn"})
      if (seen.count(key)) item.error(std::string(key) + " needs ssl: true");
    return;
  }
  if (!tls.ca_file.empty() && std::filesystem::path(tls.ca_file).is_relative() && !baseDir.empty())
    tls.ca_file = (std::filesystem::path(baseDir) / tls.ca_file).string();
  std::string why;
  // An unusable address was reported when it was read.
  const bool addressRead = server->resolve ? !server->address_text.empty() : server->address.port() != 0;
  if (addressRead && !tls::ClientTls::forServer(*server, &why)) item.error(why);
}

/// The keys that only a discovered server (resolve: true or a template) may have.
void checkDiscovery(const YamlCursor& item, const KeySet& seen, ServerConfig* server) {
  if (seen.count("template")) {
    for (const char* key : {"name", "address", "resolve", "count"})
      if (seen.count(key)) item.error(std::string(key) + ": a template has its own prefix, count and address");
    return;
  }
  if (!server->resolve) {
    for (const char* key : {"count", "resolve_interval"})
      if (seen.count(key)) item.error(std::string(key) + " needs resolve: true");
    return;
  }
  if (!seen.count("count")) server->slots = kDefaultResolvedSlots;
}

ServerConfig loadServer(const YamlCursor& item, const std::string& baseDir, ServerNames* names) {
  static constexpr std::string_view kVerify[] = {"required", "none"};
  ServerConfig server;
  server.pos = item.pos();
  if (!item.expect(NodeKind::kMapping)) return server;
  // Read once every key is known: a resolved address is not looked up at load.
  std::optional<YamlCursor> address;
  std::optional<YamlCursor> name;
  const std::vector<KeyRule> rules{
      {"name", [&](const YamlCursor& v) { name.emplace(v); }},
      {"address", [&](const YamlCursor& v) { address.emplace(v); }},
      {"template", [&](const YamlCursor& v) { readTemplate(v, &server, &address); }},
      {"resolve",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) server.resolve = *b;
       }},
      {"count",
       [&](const YamlCursor& v) {
         if (auto n = v.readInt(1, 256)) server.slots = static_cast<int>(*n);
       }},
      {"resolve_interval",
       [&](const YamlCursor& v) {
         if (auto d = v.readDuration()) server.resolve_interval = *d;
       }},
      {"weight",
       [&](const YamlCursor& v) {
         if (auto n = v.readInt(1, 256)) server.weight = static_cast<int>(*n);
       }},
      {"maxconn",
       [&](const YamlCursor& v) {
         if (auto n = v.readInt(0)) server.maxconn = static_cast<int>(*n);
       }},
      {"backup",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) server.backup = *b;
       }},
      {"slowstart",
       [&](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) server.slowstart = *d;
       }},
      {"ssl",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) server.tls.enabled = *b;
       }},
      {"verify",
       [&](const YamlCursor& v) {
         if (auto i = v.readChoice(kVerify)) server.tls.verify = *i == 0;
       }},
      {"ca_file", [&](const YamlCursor& v) { server.tls.ca_file = v.readString().value_or(""); }},
      {"sni", [&](const YamlCursor& v) { server.tls.sni = v.readString().value_or(""); }},
      {"alpn", [&](const YamlCursor& v) { readAlpn(v, &server.tls.alpn); }},
  };
  const KeySet seen = item.readKeys(rules);
  checkDiscovery(item, seen, &server);
  if (!seen.count("template")) {
    item.require(seen, "name");
    item.require(seen, "address");
  }
  if (name) server.name = readName(*name).value_or("");
  if (!server.name.empty()) {
    const YamlCursor& at = name ? *name : item;
    for (int i = 0; i < (server.resolve ? server.slots : 1); ++i)
      claimServerName(at, names, server.resolve ? discoveredServerName(server, i) : server.name);
  }
  if (address && server.resolve) {
    if (!readServerHostPort(*address, &server.address_text)) server.address_text.clear();
  } else if (address) {
    if (auto resolved = readAddress(*address, AddressUse::kServer, &server.address_text)) server.address = *resolved;
  }
  checkServerTls(item, seen, baseDir, &server);
  return server;
}

void loadServers(const YamlCursor& list, const std::string& baseDir, BackendConfig* backend) {
  if (!list.expect(NodeKind::kSequence)) return;
  const std::vector<YamlCursor> items = list.items();
  if (items.empty()) {
    list.error("a backend needs at least one server");
    return;
  }
  ServerNames names;
  for (const YamlCursor& item : items) backend->servers.push_back(loadServer(item, baseDir, &names));
}

void loadBackend(const YamlCursor& section, const std::string& baseDir, BackendConfig* backend) {
  if (!section.expect(NodeKind::kMapping)) return;
  std::vector<KeyRule> rules{
      {"balance", [backend](const YamlCursor& v) { readBalance(v, &backend->balance); }},
      {"keepalive",
       [backend](const YamlCursor& v) {
         if (auto n = v.readInt(0)) backend->keepalive = static_cast<int>(*n);
       }},
      {"max_fails",
       [backend](const YamlCursor& v) {
         if (auto n = v.readInt(0)) backend->max_fails = static_cast<int>(*n);
       }},
      {"fail_timeout",
       [backend](const YamlCursor& v) {
         if (auto d = v.readDuration()) backend->fail_timeout = *d;
       }},
      {"allbackups",
       [backend](const YamlCursor& v) {
         if (auto b = v.readBool()) backend->allbackups = *b;
       }},
      {"maxqueue",
       [backend](const YamlCursor& v) {
         if (auto n = v.readInt(0)) backend->maxqueue = static_cast<int>(*n);
       }},
      {"spare_servers",
       [backend](const YamlCursor& v) {
         if (auto n = v.readInt(0, 256)) backend->spare_servers = static_cast<int>(*n);
       }},
      {"slowstart",
       [backend](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) backend->slowstart = *d;
       }},
      {"servers", [backend, &baseDir](const YamlCursor& v) { loadServers(v, baseDir, backend); }},
      {"health_check", [backend](const YamlCursor& v) { loadHealthCheck(v, &backend->health); }},
  };
  addProxyOptionRules(&backend->options, &rules);
  const KeySet seen = section.readKeys(rules);
  section.require(seen, "servers");
  if (backend->spare_servers > 0 && backend->balance == BalanceAlgorithm::kSource)
    section.errorAtKey("spare_servers: servers added at run time cannot join balance: source's hash ring");
  for (ServerConfig& server : backend->servers)
    if (!server.slowstart) server.slowstart = backend->slowstart;
}

}  // namespace

void loadBackends(const YamlCursor& section, Config* config) {
  if (!section.expect(NodeKind::kMapping)) return;
  for (const YamlCursor& entry : section.entries("backend")) {
    BackendConfig backend;
    backend.name = entry.key();
    backend.pos = entry.keyPos();
    backend.options = config->defaults;
    if (std::optional<std::string> invalid = nameError(backend.name)) entry.errorAtKey(*invalid);
    loadBackend(entry, std::filesystem::path(config->source_file).parent_path().string(), &backend);
    config->backends.push_back(std::move(backend));
  }
}

}  // namespace weir::config

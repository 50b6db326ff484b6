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

void readBalance(const YamlCursor& value, BalanceAlgorithm* balance) {
  const std::optional<size_t> index = value.readChoice(kBalanceNames);
  if (!index) return;
  *balance = kBalances[*index];
}

void readServerName(const YamlCursor& value, ServerNames* names, std::string* name) {
  std::optional<std::string> text = value.readString();
  if (!text) return;
  if (std::optional<std::string> invalid = nameError(*text)) {
    value.error(*invalid);
    return;
  }
  auto [it, inserted] = names->emplace(*text, value.pos().line);
  if (!inserted) {
    value.error("duplicate server name '" + *text + "', first defined at line " +
                std::to_string(it->second));
  }
  *name = std::move(*text);
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
  if (server->address.port() != 0 && !tls::ClientTls::forServer(*server, &why)) item.error(why);
}

ServerConfig loadServer(const YamlCursor& item, const std::string& baseDir, ServerNames* names) {
  static constexpr std::string_view kVerify[] = {"required", "none"};
  ServerConfig server;
  server.pos = item.pos();
  if (!item.expect(NodeKind::kMapping)) return server;
  const std::vector<KeyRule> rules{
      {"name", [&](const YamlCursor& v) { readServerName(v, names, &server.name); }},
      {"address",
       [&](const YamlCursor& v) {
         auto address = readAddress(v, AddressUse::kServer, &server.address_text);
         if (address) server.address = *address;
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
  item.require(seen, "name");
  item.require(seen, "address");
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

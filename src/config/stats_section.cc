// The `stats` section: the listener of the dashboard, the CSV/JSON/Prometheus exports and the
// runtime API.

#include "sections.h"
#include "weir/route/ip_set.h"

namespace weir::config {
namespace {

void readAuth(const YamlCursor& value, StatsConfig* stats) {
  if (!value.expect(NodeKind::kMapping)) return;
  const std::vector<KeyRule> rules{
      {"user",
       [&](const YamlCursor& v) {
         if (auto s = v.readString()) {
           if (s->empty() || s->find(':') != std::string::npos) v.error("must be non-empty and without ':'");
           else stats->user = *s;
         }
       }},
      {"password",
       [&](const YamlCursor& v) {
         if (auto s = v.readString()) {
           if (s->empty()) v.error("must not be empty");
           else stats->password = *s;
         }
       }},
  };
  const KeySet seen = value.readKeys(rules);
  value.require(seen, "user");
  value.require(seen, "password");
}

void readAllow(const YamlCursor& value, StatsConfig* stats) {
  std::vector<YamlCursor> items;
  if (value.isScalar()) items.push_back(value);
  else if (value.expect(NodeKind::kSequence)) items = value.items();
  route::IpSet check;
  for (const YamlCursor& item : items) {
    std::optional<std::string> cidr = item.readString();
    if (!cidr) continue;
    if (std::optional<std::string> invalid = check.add(*cidr)) item.error(*invalid);
    else stats->allow.push_back(*cidr);
  }
}

/// A path the listener answers: starts with '/', no query, no spaces.
void readPath(const YamlCursor& v, std::string* out) {
  std::optional<std::string> s = v.readString();
  if (!s) return;
  if (s->empty() || s->front() != '/' || s->find_first_of("?# \t;") != std::string::npos) {
    v.error("must be a path starting with '/', without '?', '#', ';' or spaces");
    return;
  }
  *out = *s;
}

}  // namespace

void loadStats(const YamlCursor& section, Config* config) {
  if (!section.expect(NodeKind::kMapping)) return;
  StatsConfig& stats = config->stats;
  stats.pos = section.keyPos();
  const std::vector<KeyRule> rules{
      {"bind",
       [&](const YamlCursor& v) {
         std::optional<net::Address> address = readAddress(v, AddressUse::kBind, &stats.bind.text);
         if (!address) return;
         stats.bind.address = *address;
         stats.bind.pos = v.pos();
         if (address->port() == 0) return;
         for (const FrontendConfig& fe : config->frontends)
           for (const BindConfig& b : fe.binds)
             if (b.address.port() != 0 && b.address.toString() == address->toString())
               v.error(address->toString() + " is already bound by frontend " + fe.name);
       }},
      {"uri", [&](const YamlCursor& v) { readPath(v, &stats.uri); }},
      {"metrics_uri", [&](const YamlCursor& v) { readPath(v, &stats.metrics_uri); }},
      {"stub_status_uri", [&](const YamlCursor& v) { readPath(v, &stats.stub_status_uri); }},
      {"refresh",
       [&](const YamlCursor& v) {
         if (auto d = v.readDuration(true)) stats.refresh = *d;
       }},
      {"auth", [&](const YamlCursor& v) { readAuth(v, &stats); }},
      {"admin",
       [&](const YamlCursor& v) {
         if (auto b = v.readBool()) stats.admin = *b;
       }},
      {"allow", [&](const YamlCursor& v) { readAllow(v, &stats); }},
  };
  const KeySet seen = section.readKeys(rules);
  if (!section.require(seen, "bind")) return;
  if (stats.admin && stats.user.empty()) section.errorAtKey("admin: true needs auth (user and password)");
  if (stats.uri == stats.metrics_uri || stats.uri == stats.stub_status_uri || stats.metrics_uri == stats.stub_status_uri)
    section.errorAtKey("uri, metrics_uri and stub_status_uri must differ");
  stats.enabled = true;
}

}  // namespace weir::config

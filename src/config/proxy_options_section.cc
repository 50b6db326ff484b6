// The keys of `defaults`, which every frontend and backend may override: timeouts, retries,
// redispatch, forwardfor, dontlognull. A partial `timeout` mapping overrides only its keys.

#include "sections.h"

namespace weir::config {
namespace {

KeyRule durationRule(std::string_view key, Millis* target) {
  return {key, [target](const YamlCursor& v) {
            if (auto d = v.readDuration()) *target = *d;
          }};
}

KeyRule boolRule(std::string_view key, bool* target) {
  return {key, [target](const YamlCursor& v) {
            if (auto b = v.readBool()) *target = *b;
          }};
}

void loadTimeouts(const YamlCursor& section, Timeouts* timeouts) {
  if (!section.expect(NodeKind::kMapping)) return;
  const std::vector<KeyRule> rules{
      durationRule("connect", &timeouts->connect),
      durationRule("client", &timeouts->client),
      durationRule("server", &timeouts->server),
      durationRule("client_handshake", &timeouts->client_handshake),
      durationRule("http_request", &timeouts->http_request),
      durationRule("http_keep_alive", &timeouts->http_keep_alive),
      durationRule("queue", &timeouts->queue),
      durationRule("tunnel", &timeouts->tunnel),
      durationRule("upstream_idle", &timeouts->upstream_idle),
  };
  section.readKeys(rules);
}

}  // namespace

void addProxyOptionRules(ProxyOptions* options, std::vector<KeyRule>* rules) {
  rules->push_back(
      {"timeout", [options](const YamlCursor& v) { loadTimeouts(v, &options->timeout); }});
  rules->push_back({"retries", [options](const YamlCursor& v) {
                      if (auto n = v.readInt(0)) options->retries = static_cast<int>(*n);
                    }});
  rules->push_back(boolRule("redispatch", &options->redispatch));
  rules->push_back(boolRule("forwardfor", &options->forwardfor));
  rules->push_back(boolRule("dontlognull", &options->dontlognull));
}

void loadDefaults(const YamlCursor& section, ProxyOptions* defaults) {
  if (!section.expect(NodeKind::kMapping)) return;
  std::vector<KeyRule> rules;
  addProxyOptionRules(defaults, &rules);
  section.readKeys(rules);
}

}  // namespace weir::config

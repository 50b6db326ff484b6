#pragma once
// Private to the config loader: the readers of the top-level sections and of the values they
// share. Each reports its errors through the cursor and fills plain config structs.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weir/config/config.h"
#include "weir/config/config_loader.h"
#include "yaml_cursor.h"

namespace weir::config {

void loadGlobal(const YamlCursor& section, GlobalConfig* global);

/// Appends the rules of the keys of `defaults` that every frontend and backend may override;
/// each rule writes into *options.
void addProxyOptionRules(ProxyOptions* options, std::vector<KeyRule>* rules);
void loadDefaults(const YamlCursor& section, ProxyOptions* defaults);

/// Reads one backend's `health_check`.
void loadHealthCheck(const YamlCursor& section, HealthCheckConfig* hc);

/// Reads `backends`; each backend starts from config->defaults.
void loadBackends(const YamlCursor& section, Config* config);
/// The cursors of a frontend's rule lines by key path, to point at errors found when the
/// rules are compiled.
using RuleCursors = std::map<std::string, YamlCursor, std::less<>>;
/// Reads `acl` (name -> matcher, or name -> list of matchers OR-ed).
void readAcls(const YamlCursor& value, std::vector<AclLine>* out, RuleCursors* cursors);
/// Reads `http_request`, `http_response` or `use_backend`: a list of one-line rules.
void readRuleList(const YamlCursor& value, std::vector<RuleLine>* out, RuleCursors* cursors);
/// Reads `static`: a list of mappings (if, root, expires, fallback, index, dotfiles,
/// precompressed). Relative roots are taken from `baseDir` (the config file's directory).
void readStaticRules(const YamlCursor& value, const std::string& baseDir, std::vector<StaticRuleConfig>* out,
                     RuleCursors* cursors);
/// Compiles the frontend's rules as the workers will, reporting every error at its word.
void checkFrontendRules(const FrontendConfig& fe, const Config& config, const RuleCursors& cursors);

/// Reads `caches`.
void loadCaches(const YamlCursor& section, Config* config);
/// Reads a frontend's `cache`: a list of mappings with `use: "CACHE [if|unless COND]"`.
void readCacheRules(const YamlCursor& value, std::vector<RuleLine>* out, RuleCursors* cursors);

/// Reads `frontends`; each starts from config->defaults. Needs config->backends loaded, to
/// check default_backend.
void loadFrontends(const YamlCursor& section, Config* config);

/// Reads `stats`. Needs config->frontends loaded, to refuse a bind a frontend has.
void loadStats(const YamlCursor& section, Config* config);


enum class AddressUse { kBind, kServer };
/// Reads "host:port" (CONFIG.md forms) and resolves it. *text gets the value as written.
std::optional<net::Address> readAddress(const YamlCursor& value, AddressUse use, std::string* text);
/// Reads a server's "host:port" without resolving it (DNS discovery looks it up at run time).
std::optional<net::HostPort> readServerHostPort(const YamlCursor& value, std::string* text);

}  // namespace weir::config

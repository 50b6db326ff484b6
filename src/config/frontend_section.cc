// The `frontends` section: bind addresses and the choice of backend.

#include <filesystem>
#include <map>

#include "sections.h"
#include "weir/config/key_suggester.h"
#include "weir/tls/server_certificate.h"

namespace weir::config {
namespace {

/// State shared by all frontends of one load.
struct FrontendsContext {
  Config* config;
  std::map<std::string, std::string> bound;  // resolved address -> key path of its first bind
  RuleCursors rules;  // of the frontend being read
};

/// A relative path is taken from the config file's directory.
std::string underDir(const std::string& path, const std::string& baseDir) {
  if (path.empty() || baseDir.empty() || std::filesystem::path(path).is_absolute()) return path;
  return (std::filesystem::path(baseDir) / path).string();
}

/// A certificate (and its key) that loads: a missing file, a PEM without a certificate or key,
/// or a key that does not match is reported here, naming the file.
void readCert(const YamlCursor& item, const std::string& baseDir, BindConfig* bind) {
  CertConfig cert;
  cert.pos = item.pos();
  if (item.isScalar()) {
    if (auto path = item.readString()) cert.cert = *path;
  } else if (item.expect(NodeKind::kMapping)) {
    const std::vector<KeyRule> rules{
        {"cert", [&](const YamlCursor& v) { cert.cert = v.readString().value_or(""); }},
        {"key", [&](const YamlCursor& v) { cert.key = v.readString().value_or(""); }},
    };
    item.require(item.readKeys(rules), "cert");
  }
  if (cert.cert.empty()) return;
  cert.cert = underDir(cert.cert, baseDir);
  cert.key = underDir(cert.key, baseDir);
  std::string error;
  const std::optional<tls::ServerCertificate> loaded = tls::loadServerCertificate(cert.cert, cert.key, tls::TlsSettings{}, &error);
  if (!loaded) {
    item.error(error);
    return;
  }
  // Served all the same (HAProxy and nginx do too): clients will refuse it, so say so.
  if (loaded->expired) item.warning(cert.cert + ": the certificate has expired");
  bind->certs.push_back(std::move(cert));
}

/// A cipher list OpenSSL accepts (checked on a throwaway context).
void readCipherList(const YamlCursor& v, bool suites, std::string* out) {
  std::optional<std::string> text = v.readString();
  if (!text) return;
  std::string error;
  tls::TlsSettings settings;
  (suites ? settings.ciphersuites : settings.ciphers) = *text;
  tls::SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()));
  if (!ctx || !tls::applySettings(ctx.get(), settings, &error)) {
    v.error(error.substr(error.find(':') + 2));
    return;
  }
  *out = *text;
}

void loadSsl(const YamlCursor& section, const std::string& baseDir, BindConfig* bind) {
  if (!section.expect(NodeKind::kMapping)) return;
  static constexpr std::string_view kVersions[] = {"TLSv1.2", "TLSv1.3"};
  const std::vector<KeyRule> rules{
      {"certs",
       [bind, &baseDir](const YamlCursor& v) {
         if (!v.expect(NodeKind::kSequence)) return;
         const std::vector<YamlCursor> certs = v.items();
         if (certs.empty()) v.error("needs at least one certificate file");
         for (const YamlCursor& cert : certs) readCert(cert, baseDir, bind);
       }},
      {"min_version",
       [bind](const YamlCursor& v) {
         if (auto i = v.readChoice(kVersions)) bind->min_version = std::string(kVersions[*i]);
       }},
      {"ciphers", [bind](const YamlCursor& v) { readCipherList(v, false, &bind->ciphers); }},
      {"ciphersuites", [bind](const YamlCursor& v) { readCipherList(v, true, &bind->ciphersuites); }},
  };
  const KeySet seen = section.readKeys(rules);
  if (section.require(seen, "certs")) bind->ssl = true;
}

void readBindAddress(const YamlCursor& value, FrontendsContext* ctx, BindConfig* bind) {
  const std::optional<net::Address> address = readAddress(value, AddressUse::kBind, &bind->text);
  if (!address) return;
  bind->address = *address;
  bind->pos = value.pos();
  if (address->port() == 0) return;  // port 0: the kernel picks a free port for each bind
  auto [it, inserted] = ctx->bound.emplace(address->toString(), value.path());
  if (!inserted) value.error(address->toString() + " is already bound by " + it->second);
}

BindConfig loadBind(const YamlCursor& item, FrontendsContext* ctx) {
  BindConfig bind;
  bind.pos = item.pos();
  if (item.isScalar()) {
    readBindAddress(item, ctx, &bind);
    return bind;
  }
  if (!item.isMap()) {
    item.error("expected an address or a mapping with 'address', got " +
               std::string(item.isNull() ? "an empty value" : "a sequence"));
    return bind;
  }
  const std::vector<KeyRule> rules{
      {"address", [&](const YamlCursor& v) { readBindAddress(v, ctx, &bind); }},
      {"ssl",
       [&](const YamlCursor& v) {
         loadSsl(v, std::filesystem::path(ctx->config->source_file).parent_path().string(), &bind);
       }},
  };
  const KeySet seen = item.readKeys(rules);
  item.require(seen, "address");
  return bind;
}

void loadBinds(const YamlCursor& value, FrontendsContext* ctx, FrontendConfig* frontend) {
  if (value.isScalar()) {
    frontend->binds.push_back(loadBind(value, ctx));
    return;
  }
  if (!value.expect(NodeKind::kSequence)) return;
  const std::vector<YamlCursor> items = value.items();
  if (items.empty()) value.error("a frontend needs at least one bind address");
  for (const YamlCursor& item : items) frontend->binds.push_back(loadBind(item, ctx));
}

void readDefaultBackend(const YamlCursor& value, const Config& config, std::string* backend) {
  std::optional<std::string> name = value.readString();
  if (!name) return;
  if (config.findBackend(*name) < 0) {
    std::vector<std::string_view> names;
    for (const BackendConfig& candidate : config.backends) names.push_back(candidate.name);
    const std::optional<std::string> near = suggestKey(*name, names);
    value.error("no backend named '" + *name + "'" +
                (near ? ", did you mean '" + *near + "'?" : ""));
  }
  *backend = std::move(*name);
}

std::vector<KeyRule> frontendRules(FrontendsContext* ctx, FrontendConfig* frontend) {
  std::vector<KeyRule> rules{
      {"bind", [ctx, frontend](const YamlCursor& v) { loadBinds(v, ctx, frontend); }},
      {"default_backend",
       [ctx, frontend](const YamlCursor& v) {
         readDefaultBackend(v, *ctx->config, &frontend->default_backend);
       }},
      {"acl", [ctx, frontend](const YamlCursor& v) { readAcls(v, &frontend->acls, &ctx->rules); }},
      {"http_request", [ctx, frontend](const YamlCursor& v) { readRuleList(v, &frontend->http_request, &ctx->rules); }},
      {"http_response", [ctx, frontend](const YamlCursor& v) { readRuleList(v, &frontend->http_response, &ctx->rules); }},
      {"use_backend", [ctx, frontend](const YamlCursor& v) { readRuleList(v, &frontend->use_backend, &ctx->rules); }},
      {"static",
       [ctx, frontend](const YamlCursor& v) {
         const std::string baseDir = std::filesystem::path(ctx->config->source_file).parent_path().string();
         readStaticRules(v, baseDir, &frontend->statics, &ctx->rules);
       }},
      {"cache", [ctx, frontend](const YamlCursor& v) { readCacheRules(v, &frontend->cache_rules, &ctx->rules); }},
      {"maxconn_per_src",
       [frontend](const YamlCursor& v) {
         if (auto n = v.readInt(0, 16777215)) frontend->maxconn_per_src = static_cast<uint32_t>(*n);
       }},
  };
  addProxyOptionRules(&frontend->options, &rules);
  return rules;
}

void loadFrontend(const YamlCursor& section, FrontendsContext* ctx, FrontendConfig* frontend) {
  if (!section.expect(NodeKind::kMapping)) return;
  const KeySet seen = section.readKeys(frontendRules(ctx, frontend));
  section.require(seen, "bind");
  // Without default_backend only rules can answer; those keys are the only other way out.
  const bool has_rules =
      seen.contains("use_backend") || seen.contains("http_request") || seen.contains("static");
  if (!has_rules) section.require(seen, "default_backend");
  checkFrontendRules(*frontend, *ctx->config, ctx->rules);
  ctx->rules.clear();
}

}  // namespace

void loadFrontends(const YamlCursor& section, Config* config) {
  if (!section.expect(NodeKind::kMapping)) return;
  const std::vector<YamlCursor> entries = section.entries("frontend");
  if (entries.empty()) section.errorAtKey("at least one frontend is required");
  FrontendsContext ctx{config, {}, {}};
  for (const YamlCursor& entry : entries) {
    FrontendConfig frontend;
    frontend.name = entry.key();
    frontend.pos = entry.keyPos();
    frontend.options = config->defaults;
    if (std::optional<std::string> invalid = nameError(frontend.name)) entry.errorAtKey(*invalid);
    loadFrontend(entry, &ctx, &frontend);
    config->frontends.push_back(std::move(frontend));
  }
}

}  // namespace weir::config

// haproxy.cfg -> weir YAML: global/defaults timeouts and options, frontend/backend/listen
// sections, bind (ssl crt), acl, use_backend, default_backend, redirect, http-request and
// http-response rules, balance, server and server-template options, option httpchk and
// http-check expect, and a stats listen section.

#include <fmt/format.h>

#include <map>
#include <optional>

#include "import_words.h"
#include "weir/importer/import.h"

namespace weir::importer {
namespace {

struct Line {
  int number = 0;
  std::string raw;  // without the comment, trimmed
  std::vector<std::string> words;
};

std::string trim(std::string_view s) {
  const size_t b = s.find_first_not_of(" \t\r");
  if (b == std::string_view::npos) return "";
  return std::string(s.substr(b, s.find_last_not_of(" \t\r") - b + 1));
}

/// The line without its comment (a '#' outside quotes).
std::string withoutComment(std::string_view line) {
  char quote = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (quote != 0) {
      if (line[i] == '\\') ++i;
      else if (line[i] == quote) quote = 0;
    } else if (line[i] == '"' || line[i] == '\'') {
      quote = line[i];
    } else if (line[i] == '\\') {
      ++i;
    } else if (line[i] == '#') {
      return trim(line.substr(0, i));
    }
  }
  return trim(line);
}

/// The text after the first `n` words, as written (quotes kept): rules pass through verbatim.
std::string afterWords(const Line& l, size_t n) {
  std::string_view rest = l.raw;
  for (size_t i = 0; i < n; ++i) {
    const size_t start = rest.find_first_not_of(" \t");
    const size_t end = rest.find_first_of(" \t", start);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return trim(rest);
}

/// "*:80" -> ":80"; "0.0.0.0:80" and "[::]:443" as they are; nullopt for forms weir lacks.
std::optional<std::string> bindAddress(const std::string& text) {
  if (text.starts_with("*:")) return text.substr(1);
  if (text.find('@') != std::string::npos || text.find(',') != std::string::npos) return std::nullopt;
  if (text.starts_with(":::")) return "[::]:" + text.substr(3);
  if (text.find(':') == std::string::npos) return std::nullopt;
  return text;
}

/// One frontend, backend or listen section as it is read.
struct Proxy {
  std::string kind;
  std::string name;
  int line = 0;
  YAML::Node bind{YAML::NodeType::Sequence};
  YAML::Node acl{YAML::NodeType::Map};
  YAML::Node httpRequest{YAML::NodeType::Sequence};
  YAML::Node httpResponse{YAML::NodeType::Sequence};
  YAML::Node useBackend{YAML::NodeType::Sequence};
  std::string defaultBackend;
  YAML::Node options{YAML::NodeType::Map};  // timeout, retries, redispatch, forwardfor, dontlognull
  std::string balance;
  std::string httpchk;  // "GET /health"
  std::string expect;
  bool tcpCheck = false;
  bool anyCheck = false;
  std::string inter, rise, fall;
  YAML::Node servers{YAML::NodeType::Sequence};
  bool tcp = false;  // mode tcp: left out
  bool stats = false;
  YAML::Node statsNode{YAML::NodeType::Map};
  int statsAdminLine = 0;
  std::string statsAdminText;
};

class HaproxyImporter {
 public:
  ImportResult run(std::string_view text) {
    int number = 0;
    size_t pos = 0;
    while (pos <= text.size()) {
      const size_t end = text.find('\n', pos);
      const std::string_view raw = text.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos);
      pos = end == std::string_view::npos ? text.size() + 1 : end + 1;
      Line l{++number, withoutComment(raw), splitHaproxyWords(raw)};
      if (!l.words.empty()) take(l);
    }
    return finish();
  }

 private:
  void note(const Line& l, std::string why) { result_.notes.push_back({l.number, l.raw, std::move(why)}); }

  void take(const Line& l) {
    const std::string& k = l.words[0];
    if (k == "global" || k == "defaults") {
      section_ = k;
      current_ = nullptr;
      if (l.words.size() > 1) note(l, "named defaults sections are not converted: weir has one `defaults`");
      return;
    }
    if (k == "frontend" || k == "backend" || k == "listen") {
      section_ = k;
      if (l.words.size() < 2) {
        note(l, "a section without a name");
        current_ = nullptr;
        return;
      }
      proxies_.push_back(std::make_unique<Proxy>());
      current_ = proxies_.back().get();
      current_->kind = k;
      current_->name = l.words[1];
      current_->line = l.number;
      if (l.words.size() > 2) note(l, "a bind on the section line is not converted: use a `bind` line");
      return;
    }
    if (k == "userlist" || k == "resolvers" || k == "peers" || k == "cache" || k == "mailers" || k == "program" ||
        k == "http-errors" || k == "ring" || k == "crt-store") {
      section_ = "other";
      current_ = nullptr;
      note(l, fmt::format("the `{}` section is not converted", k));
      return;
    }
    if (section_ == "global") return globalLine(l);
    if (section_ == "defaults") return proxyLine(l, defaults_);
    if (current_ != nullptr) return proxyLine(l, *current_);
    note(l, section_ == "other" ? "inside a section that is not converted" : "outside any section");
  }

  void globalLine(const Line& l) {
    const auto& w = l.words;
    const std::string& k = w[0];
    if (k == "maxconn" && w.size() == 2) {
      global_["maxconn"] = numberOrText(w[1]);
    } else if (k == "nbthread" && w.size() == 2) {
      global_["threads"] = numberOrText(w[1]);
    } else if (k == "log" && w.size() >= 2 && (w[1] == "stdout" || w[1] == "stderr")) {
      global_["log"] = w[1];
    } else if (k == "daemon" || k == "master-worker") {
      note(l, "not needed: weir runs in the foreground (systemd Type=notify), see packaging/systemd");
    } else if (k == "ssl-default-bind-ciphers" || k == "ssl-default-bind-ciphersuites" ||
               k == "ssl-default-bind-options") {
      note(l, "weir's TLS defaults are Mozilla intermediate (TLS 1.2+); set ciphers per bind if needed");
    } else {
      note(l, "no weir equivalent");
    }
  }

  void proxyLine(const Line& l, Proxy& p) {
    const auto& w = l.words;
    const std::string& k = w[0];
    const bool isDefaults = &p == &defaults_;
    if (k == "mode") {
      if (w.size() != 2 || w[1] != "http") {
        p.tcp = true;
        note(l, isDefaults ? "weir proxies HTTP only" : "weir proxies HTTP only: the section is not converted");
      }
    } else if (k == "timeout" && w.size() == 3) {
      timeout(l, p);
    } else if (k == "retries" && w.size() == 2) {
      p.options["retries"] = numberOrText(w[1]);
    } else if (k == "option" && w.size() >= 2) {
      option(l, p);
    } else if (k == "no" && w.size() == 3 && w[1] == "option" &&
               (w[2] == "redispatch" || w[2] == "forwardfor" || w[2] == "dontlognull")) {
      p.options[w[2]] = false;
    } else if (k == "balance" && w.size() == 2 && (w[1] == "roundrobin" || w[1] == "leastconn" || w[1] == "source")) {
      p.balance = w[1];
    } else if (k == "balance") {
      note(l, "weir balances by roundrobin, leastconn or source");
    } else if (k == "http-check" && w.size() >= 4 && w[1] == "expect" && (w[2] == "status" || w[2] == "string")) {
      p.expect = joinWords(w, 2);
    } else if (k == "default-server") {
      serverOptions(l, p, 1, nullptr);
    } else if (isDefaults) {
      note(l, "not converted in defaults");
    } else if (k == "bind" && w.size() >= 2) {
      bind(l, p);
    } else if (k == "acl" && w.size() >= 3) {
      acl(l, p);
    } else if ((k == "use_backend" || k == "use-backend") && w.size() >= 2) {
      const std::string rest = afterWords(l, 1);
      p.useBackend.push_back(rest);
      if (w.size() == 2) note(l, "use_backend without a condition: converted as written (always matches)");
    } else if (k == "default_backend" && w.size() == 2) {
      p.defaultBackend = w[1];
    } else if (k == "redirect") {
      p.httpRequest.push_back(afterWords(l, 0));
    } else if (k == "http-request" && w.size() >= 2) {
      static const std::vector<std::string> kActions{"return", "redirect", "deny", "allow", "set-header", "add-header",
                                                     "del-header"};
      if (std::find(kActions.begin(), kActions.end(), w[1]) == kActions.end())
        note(l, fmt::format("http-request {} has no weir equivalent", w[1]));
      else if (!usesLogFormat(l)) p.httpRequest.push_back(afterWords(l, 1));
    } else if (k == "http-response" && w.size() >= 2) {
      if (w[1] != "set-header" && w[1] != "add-header" && w[1] != "del-header")
        note(l, fmt::format("http-response {} has no weir equivalent", w[1]));
      else if (!usesLogFormat(l)) p.httpResponse.push_back(afterWords(l, 1));
    } else if (k == "server" && w.size() >= 3) {
      server(l, p);
    } else if (k == "server-template" && w.size() >= 4) {
      serverTemplate(l, p);
    } else if (k == "stats") {
      stats(l, p);
    } else {
      note(l, "no weir equivalent");
    }
  }

  /// HAProxy expands %[...] and %T-style variables in header values; weir writes text as it is.
  bool usesLogFormat(const Line& l) {
    const std::string rest = afterWords(l, 2);
    if (rest.find('%') == std::string::npos) return false;
    note(l, "HAProxy log-format variables (%...) are not expanded by weir");
    return true;
  }

  void timeout(const Line& l, Proxy& p) {
    static const std::map<std::string, std::string> kNames{
        {"connect", "connect"}, {"client", "client"},   {"server", "server"},
        {"http-request", "http_request"}, {"http-keep-alive", "http_keep_alive"},
        {"queue", "queue"},     {"tunnel", "tunnel"},   {"client-fin", ""},
        {"server-fin", ""},     {"check", "check"}};
    const auto name = kNames.find(l.words[1]);
    const std::optional<std::string> d = haproxyDuration(l.words[2]);
    if (name == kNames.end() || name->second.empty() || !d) {
      note(l, "no weir timeout of that name or unit");
      return;
    }
    if (name->second == "check") {
      checkTimeout_ = *d;
      return;
    }
    p.options["timeout"][name->second] = *d;
  }

  void option(const Line& l, Proxy& p) {
    const auto& w = l.words;
    const std::string& o = w[1];
    if (o == "redispatch" || o == "dontlognull") {
      p.options[o] = true;
    } else if (o == "forwardfor") {
      p.options["forwardfor"] = true;
      if (w.size() > 2) note(l, "forwardfor's options are not converted: weir adds X-Forwarded-For, X-Real-IP and X-Forwarded-Proto");
    } else if (o == "httplog") {
      global_["log_format"] = "httplog";
    } else if (o == "http-keep-alive" || o == "http-server-close") {
      if (o == "http-server-close") note(l, "not converted: weir keeps server connections alive (backends.NAME.keepalive: 0 turns it off)");
    } else if (o == "httpchk") {
      // option httpchk [METHOD] URI [VERSION]; alone: OPTIONS /
      std::string method = "OPTIONS", uri = "/";
      if (w.size() == 3) uri = w[2];
      if (w.size() >= 4) method = w[2], uri = w[3];
      p.httpchk = method + " " + uri;
      if (w.size() >= 5) note(l, "the HTTP version and headers of the check are not converted");
    } else if (o == "tcp-check") {
      p.tcpCheck = true;
    } else {
      note(l, "no weir equivalent");
    }
  }

  void bind(const Line& l, Proxy& p) {
    const auto& w = l.words;
    const std::optional<std::string> address = bindAddress(w[1]);
    if (!address) {
      note(l, "this address form is not converted");
      return;
    }
    YAML::Node certs(YAML::NodeType::Sequence);
    bool ssl = false;
    std::vector<std::string> skipped;
    for (size_t i = 2; i < w.size(); ++i) {
      if (w[i] == "ssl") ssl = true;
      else if (w[i] == "crt" && i + 1 < w.size()) certs.push_back(w[++i]);
      else if (w[i] == "alpn" && i + 1 < w.size()) ++i;  // weir offers http/1.1 itself
      else skipped.push_back(w[i]);
    }
    if (!ssl) {
      p.bind.push_back(*address);
    } else {
      YAML::Node b;
      b["address"] = *address;
      b["ssl"]["certs"] = certs;
      p.bind.push_back(b);
    }
    if (!skipped.empty()) note(l, fmt::format("bind options not converted: {}", joinWords(skipped)));
  }

  void acl(const Line& l, Proxy& p) {
    const std::string& name = l.words[1];
    const std::string matcher = afterWords(l, 2);
    if (!has(p.acl, name)) {
      p.acl[name] = matcher;
      return;
    }
    // HAProxy ORs the lines of one ACL; weir's matcher takes several values when they share the criterion.
    const std::string before = static_cast<const YAML::Node&>(p.acl)[name].as<std::string>();
    if (before.substr(0, before.find(' ')) == l.words[2] && l.words.size() > 3) {
      p.acl[name] = before + " " + afterWords(l, 3);
    } else {
      note(l, fmt::format("a second line for ACL {} with another criterion is not converted (weir: one matcher per ACL; use `or` in the condition)", name));
    }
  }

  /// The options of a server (from word `from` on). `server` null: default-server (health only).
  void serverOptions(const Line& l, Proxy& p, size_t from, YAML::Node* server) {
    const auto& w = l.words;
    std::vector<std::string> skipped;
    for (size_t i = from; i < w.size(); ++i) {
      const std::string& o = w[i];
      const bool hasValue = i + 1 < w.size();
      if (o == "check") {
        p.anyCheck = true;
      } else if ((o == "inter" || o == "rise" || o == "fall") && hasValue) {
        std::string& slot = o == "inter" ? p.inter : o == "rise" ? p.rise : p.fall;
        const std::string value = o == "inter" ? haproxyDuration(w[i + 1]).value_or(w[i + 1]) : w[i + 1];
        if (!slot.empty() && slot != value) note(l, fmt::format("{} differs between servers: weir checks a backend's servers alike, kept {}", o, slot));
        else slot = value;
        ++i;
      } else if (server != nullptr && (o == "weight" || o == "maxconn") && hasValue) {
        (*server)[o] = numberOrText(w[++i]);
      } else if (server != nullptr && o == "backup") {
        (*server)["backup"] = true;
      } else if (server != nullptr && o == "slowstart" && hasValue) {
        ++i;
        (*server)["slowstart"] = haproxyDuration(w[i]).value_or(w[i]);
      } else if (server != nullptr && o == "ssl") {
        (*server)["ssl"] = true;
      } else if (server != nullptr && o == "verify" && hasValue) {
        (*server)["verify"] = w[++i];
      } else if (server != nullptr && o == "ca-file" && hasValue) {
        (*server)["ca_file"] = w[++i];
      } else if (server != nullptr && o == "sni" && hasValue) {
        (*server)["sni"] = w[++i];
        if ((*server)["sni"].as<std::string>().starts_with("str(")) {
          const std::string v = (*server)["sni"].as<std::string>();
          (*server)["sni"] = v.substr(4, v.size() - 5);
        }
      } else if (server != nullptr && o == "resolvers" && hasValue) {
        (*server)["resolve"] = true;
        ++i;
      } else {
        skipped.push_back(o);
      }
    }
    if (!skipped.empty()) note(l, fmt::format("server options not converted: {}", joinWords(skipped)));
  }

  void server(const Line& l, Proxy& p) {
    YAML::Node s;
    s["name"] = l.words[1];
    s["address"] = l.words[2];
    serverOptions(l, p, 3, &s);
    if (l.words[2].find(':') == std::string::npos) note(l, "a server without a port: weir needs one (added :80)");
    if (l.words[2].find(':') == std::string::npos) s["address"] = l.words[2] + ":80";
    p.servers.push_back(s);
  }

  void serverTemplate(const Line& l, Proxy& p) {
    // server-template PREFIX [FIRST-]COUNT ADDRESS options
    std::string count = l.words[2];
    if (count.find('-') != std::string::npos) {
      note(l, "a numbered range is converted as a count from 1");
      const std::optional<int> first = toInt(std::string_view(count).substr(0, count.find('-')));
      const std::optional<int> last = toInt(std::string_view(count).substr(count.find('-') + 1));
      if (first && last) count = std::to_string(*last - *first + 1);
    }
    YAML::Node s;
    s["template"]["prefix"] = l.words[1];
    s["template"]["count"] = numberOrText(count);
    s["template"]["address"] = l.words[3];
    serverOptions(l, p, 4, &s);
    s.remove("resolve");  // a template is resolved anyway
    p.servers.push_back(s);
  }

  void stats(const Line& l, Proxy& p) {
    const auto& w = l.words;
    if (w.size() >= 2 && w[1] == "enable") {
      p.stats = true;
    } else if (w.size() == 3 && w[1] == "uri") {
      p.stats = true;
      p.statsNode["uri"] = w[2];
    } else if (w.size() == 3 && w[1] == "refresh") {
      p.statsNode["refresh"] = haproxyDuration(w[2]).value_or(w[2]);
    } else if (w.size() >= 2 && w[1] == "admin") {
      // weir's admin actions need a password: converted only with `stats auth`.
      p.statsAdminLine = l.number;
      p.statsAdminText = l.raw;
    } else if (w.size() == 3 && w[1] == "auth" && w[2].find(':') != std::string::npos) {
      p.statsNode["auth"]["user"] = w[2].substr(0, w[2].find(':'));
      p.statsNode["auth"]["password"] = w[2].substr(w[2].find(':') + 1);
    } else if (w.size() >= 2 && (w[1] == "realm" || w[1] == "show-legends" || w[1] == "show-node" || w[1] == "hide-version")) {
      note(l, "not needed: weir's stats page has no such option");
    } else {
      note(l, "no weir equivalent");
    }
  }

  YAML::Node healthCheck(const Proxy& p) const {
    YAML::Node hc;
    const std::string httpchk = !p.httpchk.empty() ? p.httpchk : defaults_.httpchk;
    const bool tcp = p.tcpCheck || defaults_.tcpCheck;
    if (!p.anyCheck && !defaults_.anyCheck) return hc;
    if (!httpchk.empty()) {
      hc["http"] = httpchk;
      const std::string expect = !p.expect.empty() ? p.expect : defaults_.expect;
      if (!expect.empty()) hc["expect"] = expect;
    } else {
      (void)tcp;
      hc["tcp"] = true;  // HAProxy checks a connect when there is no httpchk
    }
    const auto pick = [&](const std::string& mine, const std::string& dflt) { return !mine.empty() ? mine : dflt; };
    if (const std::string inter = pick(p.inter, defaults_.inter); !inter.empty()) hc["interval"] = inter;
    if (!checkTimeout_.empty()) hc["timeout"] = checkTimeout_;
    if (const std::string rise = pick(p.rise, defaults_.rise); !rise.empty()) hc["rise"] = numberOrText(rise);
    if (const std::string fall = pick(p.fall, defaults_.fall); !fall.empty()) hc["fall"] = numberOrText(fall);
    return hc;
  }

  static void copyOptions(const YAML::Node& options, YAML::Node& into) {
    for (auto it = options.begin(); it != options.end(); ++it) into[it->first.as<std::string>()] = it->second;
  }

  YAML::Node frontendNode(const Proxy& p, bool withBackend) {
    YAML::Node fe;
    fe["bind"] = p.bind;
    if (p.acl.size() > 0) fe["acl"] = p.acl;
    if (p.httpRequest.size() > 0) fe["http_request"] = p.httpRequest;
    if (p.httpResponse.size() > 0) fe["http_response"] = p.httpResponse;
    if (p.useBackend.size() > 0) fe["use_backend"] = p.useBackend;
    if (!p.defaultBackend.empty()) fe["default_backend"] = p.defaultBackend;
    else if (withBackend) fe["default_backend"] = p.name;
    copyOptions(p.options, fe);
    return fe;
  }

  YAML::Node backendNode(const Proxy& p) {
    YAML::Node be;
    const std::string balance = !p.balance.empty() ? p.balance : defaults_.balance;
    if (!balance.empty()) be["balance"] = balance;
    if (YAML::Node hc = healthCheck(p); hc.size() > 0) be["health_check"] = hc;
    if (p.kind == "backend") copyOptions(p.options, be);
    be["servers"] = p.servers;
    return be;
  }

  ImportResult finish() {
    YAML::Node& c = result_.config;
    if (global_.size() > 0) c["global"] = global_;
    if (defaults_.options.size() > 0) c["defaults"] = defaults_.options;
    YAML::Node frontends(YAML::NodeType::Map), backends(YAML::NodeType::Map);
    for (const auto& p : proxies_) {
      if (p->tcp) continue;
      const bool hasServers = p->servers.size() > 0;
      if (p->kind == "listen" && p->stats && !hasServers) {
        YAML::Node s;
        if (p->bind.size() > 0) s["bind"] = p->bind[0].IsScalar() ? p->bind[0] : p->bind[0]["address"];
        copyOptions(p->statsNode, s);
        if (p->statsAdminLine > 0 && has(p->statsNode, "auth")) s["admin"] = true;
        else if (p->statsAdminLine > 0)
          result_.notes.push_back({p->statsAdminLine, p->statsAdminText,
                                   "weir's admin actions need a password: add stats.auth, then admin: true"});
        c["stats"] = s;
        continue;
      }
      if (p->stats) result_.notes.push_back({p->line, p->kind + " " + p->name, "stats on a proxy with servers: add a `stats` section"});
      if (p->kind == "frontend" || p->kind == "listen") frontends[p->name] = frontendNode(*p, p->kind == "listen" && hasServers);
      if (p->kind == "backend" || (p->kind == "listen" && hasServers)) backends[p->name] = backendNode(*p);
    }
    // `stats` last, as weir's own example; moved after the proxies.
    std::optional<YAML::Node> stats;
    if (has(c, "stats")) {
      stats = YAML::Clone(static_cast<const YAML::Node&>(c)["stats"]);
      c.remove("stats");
    }
    if (frontends.size() > 0) c["frontends"] = frontends;
    if (backends.size() > 0) c["backends"] = backends;
    if (stats) c["stats"] = *stats;
    return std::move(result_);
  }

  ImportResult result_;
  YAML::Node global_{YAML::NodeType::Map};
  Proxy defaults_;
  std::vector<std::unique_ptr<Proxy>> proxies_;
  Proxy* current_ = nullptr;
  std::string section_;
  std::string checkTimeout_;
};

}  // namespace

ImportResult importHaproxy(std::string_view text) { return HaproxyImporter().run(text); }

}  // namespace weir::importer

// nginx -> weir YAML, the load-balancing subset: `upstream {}` (least_conn, ip_hash, server
// weight/max_fails/fail_timeout/max_conns/backup/slow_start, keepalive) and `server {}`
// (listen with ssl and its certificate, locations that proxy_pass to an upstream, return,
// allow/deny, the proxy timeouts and forwarding headers).

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "import_words.h"
#include "weir/importer/import.h"

namespace weir::importer {
namespace {

struct Directive {
  int line = 0;
  std::vector<std::string> words;
  std::vector<std::string> quoted;  // each word as written (quotes kept), for rules
  bool block = false;
  std::vector<Directive> children;
  std::string text() const { return joinWords(quoted); }
  const std::string& name() const { return words[0]; }
};

/// nginx's syntax: words, `;` ends a directive, `{ }` a block, `#` a comment, quotes.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  std::optional<std::vector<Directive>> parse(std::string* error) {
    std::vector<Directive> top;
    if (!parseBlock(&top, false, error)) return std::nullopt;
    return top;
  }

 private:
  bool parseBlock(std::vector<Directive>* out, bool nested, std::string* error) {
    Directive d;
    while (true) {
      std::string word, quotedWord;
      const int kind = next(&word, &quotedWord);
      if (kind == kEnd) {
        if (nested || !d.words.empty()) {
          *error = fmt::format("line {}: unexpected end of file (a `;` or `}}` is missing)", line_);
          return false;
        }
        return true;
      }
      if (kind == kWord) {
        if (d.words.empty()) d.line = line_;
        d.words.push_back(word);
        d.quoted.push_back(quotedWord);
      } else if (kind == ';') {
        if (d.words.empty()) continue;
        out->push_back(std::move(d));
        d = Directive();
      } else if (kind == '{') {
        if (d.words.empty()) {
          *error = fmt::format("line {}: a block without a directive", line_);
          return false;
        }
        d.block = true;
        if (!parseBlock(&d.children, true, error)) return false;
        out->push_back(std::move(d));
        d = Directive();
      } else if (kind == '}') {
        if (!nested || !d.words.empty()) {
          *error = fmt::format("line {}: unexpected `}}`", line_);
          return false;
        }
        return true;
      }
    }
  }

  static constexpr int kEnd = 0, kWord = 1;

  int next(std::string* word, std::string* quotedWord) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') ++line_;
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
    if (pos_ >= text_.size()) return kEnd;
    const char c = text_[pos_];
    if (c == ';' || c == '{' || c == '}') {
      ++pos_;
      return c;
    }
    const size_t start = pos_;
    if (c == '"' || c == '\'') {
      ++pos_;
      while (pos_ < text_.size() && text_[pos_] != c) {
        if (text_[pos_] == '\\' && pos_ + 1 < text_.size()) {
          // nginx keeps "\n" as backslash-n in `return` text; it means a newline there.
          const char e = text_[pos_ + 1];
          *word += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          pos_ += 2;
          continue;
        }
        if (text_[pos_] == '\n') ++line_;
        *word += text_[pos_++];
      }
      ++pos_;
    } else {
      while (pos_ < text_.size() && std::string_view(" \t\r\n;{}").find(text_[pos_]) == std::string_view::npos)
        *word += text_[pos_++];
    }
    *quotedWord = std::string(text_.substr(start, pos_ - start));
    return kWord;
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

/// "value" with the quotes weir's rule syntax needs (HAProxy's: "..." with \" and \n).
std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += c;
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out + "\"";
}

std::optional<std::string> listenAddress(const std::string& text) {
  if (std::all_of(text.begin(), text.end(), ::isdigit)) return ":" + text;
  if (text.starts_with("unix:")) return std::nullopt;
  if (text.starts_with("[") || text.find(':') != std::string::npos) return text;
  return text + ":80";
}

class NginxImporter {
 public:
  ImportResult run(std::string_view text) {
    Parser parser(text);
    std::optional<std::vector<Directive>> top = parser.parse(&result_.error);
    if (!top) return std::move(result_);
    for (const Directive& d : *top) topLevel(d);
    for (const Directive* s : servers_) server(*s);
    return finish();
  }

 private:
  void note(const Directive& d, std::string why) { result_.notes.push_back({d.line, d.text(), std::move(why)}); }

  void topLevel(const Directive& d) {
    if (d.name() == "http" && d.block) {
      for (const Directive& c : d.children) http(c);
    } else if (d.name() == "worker_processes" && d.words.size() == 2) {
      global_["threads"] = d.words[1] == "auto" ? YAML::Node("auto") : numberOrText(d.words[1]);
    } else if (d.name() == "upstream" || d.name() == "server") {
      http(d);  // a conf.d file: http's contents alone
    } else {
      note(d, d.block ? "block not converted" : "no weir equivalent");
    }
  }

  void http(const Directive& d) {
    if (d.name() == "upstream" && d.block && d.words.size() == 2) {
      upstream(d);
    } else if (d.name() == "server" && d.block) {
      servers_.push_back(&d);
    } else if (d.name() == "keepalive_timeout" && d.words.size() >= 2 && nginxDuration(d.words[1])) {
      defaults_["timeout"]["http_keep_alive"] = *nginxDuration(d.words[1]);
    } else if (d.name() == "client_header_timeout" && d.words.size() == 2 && nginxDuration(d.words[1])) {
      defaults_["timeout"]["http_request"] = *nginxDuration(d.words[1]);
    } else if (d.name() == "include") {
      note(d, "included files are not read: import them one by one");
    } else {
      note(d, d.block ? "block not converted" : "no weir equivalent");
    }
  }

  void upstream(const Directive& u) {
    YAML::Node be;
    YAML::Node servers(YAML::NodeType::Sequence);
    std::map<std::string, int> names;
    std::optional<std::string> maxFails, failTimeout;
    for (const Directive& d : u.children) {
      const auto& w = d.words;
      if (d.name() == "least_conn") {
        be["balance"] = "leastconn";
      } else if (d.name() == "ip_hash" || (d.name() == "hash" && w.size() >= 2 && w[1] == "$remote_addr")) {
        be["balance"] = "source";
      } else if (d.name() == "keepalive" && w.size() == 2) {
        be["keepalive"] = numberOrText(w[1]);
      } else if (d.name() == "keepalive_timeout" && w.size() == 2 && nginxDuration(w[1])) {
        be["timeout"]["upstream_idle"] = *nginxDuration(w[1]);
      } else if (d.name() == "zone") {
        note(d, "not needed: weir's workers share server state without a zone");
      } else if (d.name() == "server" && w.size() >= 2) {
        YAML::Node s;
        std::string address = w[1];
        if (address.find(':') == std::string::npos) address += ":80";
        std::string name = address.substr(0, address.rfind(':'));
        if (names[name]++ > 0) name = address;
        s["name"] = name;
        s["address"] = address;
        if (std::find(w.begin(), w.end(), "down") != w.end()) {
          note(d, "a server marked down is left out (weir: add it later, or set it to maint with the runtime API)");
          continue;
        }
        std::vector<std::string> skipped;
        for (size_t i = 2; i < w.size(); ++i) {
          const std::string& o = w[i];
          const std::string value = o.substr(o.find('=') + 1);
          const auto setOnce = [&](std::optional<std::string>& slot, const std::string& v, const char* what) {
            if (slot && *slot != v) note(d, fmt::format("{} differs between servers: weir has one per backend, kept {}", what, *slot));
            else slot = v;
          };
          if (o.starts_with("weight=")) s["weight"] = numberOrText(value);
          else if (o.starts_with("max_conns=")) s["maxconn"] = numberOrText(value);
          else if (o.starts_with("max_fails=")) setOnce(maxFails, value, "max_fails");
          else if (o.starts_with("fail_timeout=") && nginxDuration(value)) setOnce(failTimeout, *nginxDuration(value), "fail_timeout");
          else if (o.starts_with("slow_start=") && nginxDuration(value)) s["slowstart"] = *nginxDuration(value);
          else if (o == "backup") s["backup"] = true;
          else if (o == "resolve") s["resolve"] = true;
          else skipped.push_back(o);
        }
        if (!skipped.empty()) note(d, fmt::format("server parameters not converted: {}", joinWords(skipped)));
        servers.push_back(s);
      } else {
        note(d, "no weir equivalent");
      }
    }
    if (maxFails) be["max_fails"] = numberOrText(*maxFails);
    if (failTimeout) be["fail_timeout"] = *failTimeout;
    be["servers"] = servers;
    backends_[u.words[1]] = be;
  }

  /// A location's match as a weir condition; "" for `location /` (everything).
  std::optional<std::string> condition(const Directive& loc) {
    const auto& w = loc.words;
    if (w.size() == 2 && w[1] == "/") return "";
    if (w.size() == 2 && w[1].starts_with("/")) return "{ path_beg " + w[1] + " }";
    if (w.size() == 3 && w[1] == "^~") return "{ path_beg " + w[2] + " }";
    if (w.size() == 3 && w[1] == "=") return "{ path " + w[2] + " }";
    if (w.size() == 3 && w[1] == "~") return "{ path_reg " + w[2] + " }";
    if (w.size() == 3 && w[1] == "~*") return "{ path_reg (?i)" + w[2] + " }";
    return std::nullopt;
  }

  static std::string withCondition(const std::string& rule, const std::string& cond) {
    return cond.empty() ? rule : rule + " if " + cond;
  }

  /// The backend `proxy_pass http://X[/...]` sends to: an upstream, or one made for a host:port.
  std::optional<std::string> proxyTarget(const Directive& d) {
    std::string target = d.words[1];
    if (target.starts_with("https://")) note(d, "TLS to the servers: add `ssl: true` to the backend's servers");
    const size_t scheme = target.find("://");
    if (scheme == std::string::npos) return std::nullopt;
    target = target.substr(scheme + 3);
    if (target.find('/') != std::string::npos) {
      if (target.substr(target.find('/')) != "/") note(d, "the URI part of proxy_pass is not converted: weir forwards the path as it came");
      target = target.substr(0, target.find('/'));
    }
    if (target.find('$') != std::string::npos) return std::nullopt;
    if (has(backends_, target)) return target;
    std::string name = target;  // "10.0.0.1:8080" -> "10.0.0.1-8080": one backend per address
    std::replace(name.begin(), name.end(), ':', '-');
    if (has(backends_, name)) return name;
    YAML::Node be;
    YAML::Node s;
    s["name"] = name;
    s["address"] = target.find(':') == std::string::npos ? target + ":80" : target;
    be["servers"].push_back(s);
    backends_[name] = be;
    return name;
  }

  void location(const Directive& loc, YAML::Node& fe) {
    const std::optional<std::string> cond = condition(loc);
    if (!cond) {
      note(loc, "this location form is not converted");
      return;
    }
    std::string contentType;
    for (const Directive& d : loc.children)
      if (d.name() == "add_header" && d.words.size() >= 3 && d.words[1] == "Content-Type") contentType = d.words[2];
    std::vector<std::string> allow;
    bool denyAll = false;
    std::optional<std::string> backend;
    YAML::Node timeouts;
    for (const Directive& d : loc.children) {
      const auto& w = d.words;
      if (d.name() == "proxy_pass" && w.size() == 2) {
        backend = proxyTarget(d);
        if (!backend) note(d, "a proxy_pass weir cannot follow (variables, no scheme)");
      } else if (d.name() == "return" && w.size() == 2 && !toInt(w[1])) {
        // `return URL;` is a 302 (nginx)
        if (w[1].find('$') != std::string::npos) note(d, "nginx variables in a redirect are not converted");
        else httpRequest(fe).push_back(withCondition(fmt::format("redirect location {} code 302", w[1]), *cond));
      } else if (d.name() == "return" && w.size() >= 2 && toInt(w[1])) {
        const int code = *toInt(w[1]);
        const bool redirect = code == 301 || code == 302 || code == 303 || code == 307 || code == 308;
        if (redirect && w.size() == 3 && w[2] == "https://$host$request_uri") {
          httpRequest(fe).push_back(withCondition(fmt::format("redirect scheme https code {}", code), *cond));
        } else if (redirect && w.size() == 3 && w[2].find('$') != std::string::npos) {
          note(d, "nginx variables in a redirect are not converted");
        } else if (redirect && w.size() == 3) {
          httpRequest(fe).push_back(withCondition(fmt::format("redirect location {} code {}", w[2], code), *cond));
        } else {
          std::string rule = fmt::format("return status {}", code);
          if (!contentType.empty()) rule += " content-type " + contentType;
          if (w.size() == 3) rule += " string " + quoted(w[2]);
          httpRequest(fe).push_back(withCondition(rule, *cond));
        }
      } else if (d.name() == "add_header" && w.size() >= 3 && w[1] == "Content-Type") {
        // taken with `return` above
      } else if (d.name() == "allow" && w.size() == 2) {
        allow.push_back(w[1]);
      } else if (d.name() == "deny" && w.size() == 2 && w[1] == "all") {
        denyAll = true;
      } else if (d.name() == "proxy_set_header" && w.size() >= 2) {
        const std::string& h = w[1];
        if (h == "X-Real-IP" || h == "X-Forwarded-For" || h == "X-Forwarded-Proto") fe["forwardfor"] = true;
        else if (h == "Host" || h == "Connection") note(d, "not needed: weir passes Host as it came and keeps server connections alive itself");
        else note(d, "not converted: add a set-header rule if the servers need it");
      } else if (d.name() == "proxy_connect_timeout" && w.size() == 2 && nginxDuration(w[1])) {
        timeouts["connect"] = *nginxDuration(w[1]);
      } else if (d.name() == "proxy_read_timeout" && w.size() == 2 && nginxDuration(w[1])) {
        timeouts["server"] = *nginxDuration(w[1]);
      } else if (d.name() == "access_log" || d.name() == "error_log") {
        note(d, "weir logs every request to global.log (dontlognull skips connections that sent nothing)");
      } else if (d.name() == "stub_status") {
        note(d, "weir serves nginx's stub_status on the stats listener: stats.stub_status_uri");
      } else if (d.name() == "proxy_send_timeout") {
        note(d, "weir's timeout.server (proxy_read_timeout) covers a silent server in both directions");
      } else if (d.name() == "add_header" || d.name() == "expires") {
        note(d, "response headers of a location: add an http_response rule, or a static rule with expires");
      } else if (d.name() == "proxy_http_version" || d.name().starts_with("proxy_buffer") ||
                 d.name() == "proxy_buffers" || d.name() == "proxy_busy_buffers_size") {
        note(d, "not needed: weir speaks HTTP/1.1 to servers and streams bodies with bounded buffers");
      } else {
        note(d, "no weir equivalent");
      }
    }
    if (denyAll) {
      const std::string rule = allow.empty() ? "deny" : "deny status 403";
      std::string c = cond->empty() ? "" : *cond;
      if (!allow.empty()) c += (c.empty() ? "" : " ") + std::string("!{ src ") + joinWords(allow) + " }";
      httpRequest(fe).push_back(withCondition(rule, c));
    } else if (!allow.empty()) {
      note(loc, "allow without `deny all` changes nothing: not converted");
    }
    if (backend) {
      if (cond->empty()) fe["default_backend"] = *backend;
      else fe["use_backend"].push_back(*backend + " if " + *cond);
      for (auto it = timeouts.begin(); it != timeouts.end(); ++it)
        backends_[*backend]["timeout"][it->first.as<std::string>()] = it->second;
    }
  }

  static YAML::Node httpRequest(YAML::Node& fe) {
    if (!fe["http_request"]) fe["http_request"] = YAML::Node(YAML::NodeType::Sequence);
    return fe["http_request"];
  }

  void server(const Directive& s) {
    YAML::Node fe;
    std::string name;
    std::string cert, key, minVersion;
    std::vector<std::pair<std::string, bool>> listens;  // address, ssl
    for (const Directive& d : s.children) {
      const auto& w = d.words;
      if (d.name() == "listen" && w.size() >= 2) {
        const std::optional<std::string> address = listenAddress(w[1]);
        if (!address) {
          note(d, "this listen form is not converted");
          continue;
        }
        const bool ssl = std::find(w.begin(), w.end(), "ssl") != w.end();
        listens.emplace_back(*address, ssl);
        if (!bound_.insert(*address).second) note(d, "a second server block on this address: weir frontends do not share a bind; route by `host` ACLs");
        for (size_t i = 2; i < w.size(); ++i)
          if (w[i] != "ssl" && w[i] != "default_server") note(d, fmt::format("listen parameter {} not converted", w[i]));
      } else if (d.name() == "server_name" && w.size() >= 2) {
        name = w[1];
        if (w.size() > 2 || w[1] != "_") note(d, "weir answers every Host on its binds: add a `host` ACL to route by name");
      } else if (d.name() == "ssl_certificate" && w.size() == 2) {
        cert = w[1];
      } else if (d.name() == "ssl_certificate_key" && w.size() == 2) {
        key = w[1];
      } else if (d.name() == "ssl_protocols") {
        minVersion = std::find(w.begin(), w.end(), "TLSv1.2") != w.end() ? "TLSv1.2" : "TLSv1.3";
      } else if (d.name() == "location" && d.block) {
        location(d, fe);
      } else {
        note(d, d.block ? "block not converted" : "no weir equivalent");
      }
    }
    YAML::Node bind(YAML::NodeType::Sequence);
    for (const auto& [address, ssl] : listens) {
      if (!ssl) {
        bind.push_back(address);
        continue;
      }
      YAML::Node b;
      b["address"] = address;
      YAML::Node c;
      c["cert"] = cert;
      if (!key.empty() && key != cert) c["key"] = key;
      b["ssl"]["certs"].push_back(c);
      if (!minVersion.empty()) b["ssl"]["min_version"] = minVersion;
      bind.push_back(b);
    }
    if (listens.empty()) bind.push_back(":80");  // nginx's default
    YAML::Node ordered;
    ordered["bind"] = bind;
    for (auto it = fe.begin(); it != fe.end(); ++it) ordered[it->first.as<std::string>()] = it->second;
    if (name.empty() || name == "_" || has(frontends_, name)) name = fmt::format("server{}", frontends_.size() + 1);
    frontends_[name] = ordered;
  }

  ImportResult finish() {
    YAML::Node& c = result_.config;
    if (global_.size() > 0) c["global"] = global_;
    if (defaults_.size() > 0) c["defaults"] = defaults_;
    if (frontends_.size() > 0) c["frontends"] = frontends_;
    if (backends_.size() > 0) c["backends"] = backends_;
    return std::move(result_);
  }

  ImportResult result_;
  YAML::Node global_{YAML::NodeType::Map};
  YAML::Node defaults_{YAML::NodeType::Map};
  YAML::Node frontends_{YAML::NodeType::Map};
  YAML::Node backends_{YAML::NodeType::Map};
  std::vector<const Directive*> servers_;
  std::set<std::string> bound_;
};

}  // namespace

ImportResult importNginx(std::string_view text) { return NginxImporter().run(text); }

}  // namespace weir::importer

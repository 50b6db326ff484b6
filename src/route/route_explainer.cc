#include "weir/route/route_explainer.h"

#include <fcntl.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <filesystem>

#include "weir/route/path_normalizer.h"
#include "weir/route/router.h"
#include "weir/static/file_opener.h"
#include "weir/upstream/backend.h"

namespace weir::route {
namespace {

const config::FrontendConfig* findFrontend(const config::Config& config, const std::string& name) {
  if (name.empty()) return config.frontends.empty() ? nullptr : &config.frontends.front();
  for (const auto& fe : config.frontends)
    if (fe.name == name) return &fe;
  return nullptr;
}

bool parseHeaders(const std::vector<std::string>& lines, http::HeaderMap* headers, std::string* error) {
  for (const std::string& line : lines) {
    const size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      *error = fmt::format("header '{}' is not 'Name: value'", line);
      return false;
    }
    std::string_view value = std::string_view(line).substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    headers->add(std::string_view(line).substr(0, colon), value);
  }
  return true;
}

std::string serverChoice(const config::Config& config, int backendIndex, const net::Address& src) {
  const config::BackendConfig& cfg = config.backends[static_cast<size_t>(backendIndex)];
  std::vector<std::string> names;
  for (const auto& s : cfg.servers) names.push_back(s.name + (s.backup ? " (backup)" : ""));
  if (cfg.balance != config::BalanceAlgorithm::kSource) {
    const char* algo = cfg.balance == config::BalanceAlgorithm::kLeastConn ? "leastconn" : "roundrobin";
    return fmt::format("server: chosen at run time by {} among {}", algo, fmt::join(names, ", "));
  }
  int nextId = 0;
  upstream::Backend backend(cfg, backendIndex, nextId);
  upstream::ServerPicker picker(backend, 0);
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch());
  const upstream::Pick pick = picker.pick(backend, upstream::hashClientIp(src), {}, now.count());
  if (pick.server == nullptr) return "server: none usable";
  return fmt::format("server: {} ({}) by source hash of {}, while every server is up", pick.server->name(),
                     pick.server->address().toString(), src.hostString());
}

void explainAcls(const Router& router, const RequestFacts& facts, std::string* out) {
  const AclTable& acls = router.acls();
  size_t width = 4;
  for (size_t i = 0; i < acls.size(); ++i) width = std::max(width, acls.acl(static_cast<int>(i)).name.size());
  out->append("acls\n");
  for (size_t i = 0; i < acls.size(); ++i) {
    const AclTable::Acl& acl = acls.acl(static_cast<int>(i));
    std::vector<std::string> texts;
    for (const AclMatcher& m : acl.matchers) texts.push_back(m.text());
    const std::string name = acl.name.empty() ? "{ }" : acl.name;
    fmt::format_to(std::back_inserter(*out), "  {:<{}}  {:<3}  {}\n", name, width,
                   acls.evaluate(static_cast<int>(i), facts) ? "yes" : "no", fmt::join(texts, " | "));
  }
}

void explainSteps(const Router& router, const RouteTrace& trace, std::string* out) {
  auto list = [&](std::string_view name, size_t total, auto textOf) {
    if (total == 0) return;
    fmt::format_to(std::back_inserter(*out), "{}\n", name);
    for (size_t i = 0; i < total; ++i) {
      auto step = std::find_if(trace.steps.begin(), trace.steps.end(), [&](const RouteTrace::Step& s) { return s.list == name && s.index == i; });
      const char* verdict = step == trace.steps.end() ? "not reached" : step->fired ? "FIRES" : "no";
      fmt::format_to(std::back_inserter(*out), "  {:>2}. {:<11}  {}\n", i + 1, verdict, textOf(i));
    }
  };
  list("http_request", router.requestRules().size(), [&](size_t i) { return router.requestRules()[i].text; });
  list("static", router.staticConditions().size(), [&](size_t i) {
    const auto& c = router.staticConditions()[i];
    return c ? c->text() : std::string("(every request)");
  });
  list("use_backend", router.useBackends().size(), [&](size_t i) { return router.useBackends()[i].text; });
}

std::string explainReply(const HttpRule& rule, const http::HeaderMap& headers, const TargetParts& parts) {
  if (rule.action == RuleAction::kRedirect) {
    const std::string* host = headers.get("host");
    return fmt::format("=> weir answers {} with Location: {}", rule.redirect.code,
                       redirectLocation(rule.redirect, host ? *host : std::string_view(), parts.path, parts.query, parts.hasQuery));
  }
  std::string body = rule.reply.body.size() > 60 ? rule.reply.body.substr(0, 60) + "..." : rule.reply.body;
  return fmt::format("=> weir answers {} ({}), body {:?}", rule.reply.status,
                     rule.action == RuleAction::kDeny ? "deny" : "return", body);
}

/// What the static rule would do with `path`: the file it finds, or the fallback. Returns
/// true when the request is answered from disk (or with a 404).
bool explainStatic(const config::StaticRuleConfig& rule, std::string_view path, std::string* out) {
  fmt::format_to(std::back_inserter(*out), "\n=> static files from {}\n", rule.root);
  const std::optional<std::string> relative = static_files::relativeFilePath(path, rule.dotfiles);
  if (!relative) return out->append("   404: the path names a hidden file or has an encoded '/', '\\' or NUL\n"), true;
  static_files::UniqueFd root(::open(rule.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  static_files::OpenedFile f = static_files::openBeneath(root.get(), *relative);
  if (f.status == static_files::OpenStatus::kDirectory && !rule.index.empty())
    f = static_files::openBeneath(root.get(), relative->empty() ? rule.index : *relative + "/" + rule.index);
  if (f.status == static_files::OpenStatus::kFile) {
    fmt::format_to(std::back_inserter(*out), "   file {}/{} ({} bytes) is served from disk\n", rule.root, *relative,
                   f.st.st_size);
    return true;
  }
  if (!rule.fallback_backend) return out->append("   no such file: 404\n"), true;
  out->append("   no such file: falls back to the backend\n");
  return false;
}

}  // namespace

bool explainRoute(const config::Config& config, const ExplainRequest& request, std::string* out) {
  const config::FrontendConfig* fe = findFrontend(config, request.frontend);
  if (fe == nullptr) return *out = fmt::format("no frontend named '{}'", request.frontend), false;
  const size_t space = request.requestLine.find(' ');
  if (space == std::string::npos) return *out = "the request must be 'METHOD TARGET', e.g. \"GET /api/users?x=1\"", false;
  const std::string method = request.requestLine.substr(0, space);
  std::string target = request.requestLine.substr(space + 1);
  if (const size_t version = target.find(" HTTP/"); version != std::string::npos) target.resize(version);
  std::string error;
  std::optional<net::Address> src = net::resolve({request.src, 0}, &error);
  if (!src || request.src.empty()) return *out = fmt::format("--src '{}' is not an IP address: {}", request.src, error), false;
  http::HeaderMap headers;
  if (!parseHeaders(request.headers, &headers, out)) return false;

  const std::string baseDir = std::filesystem::path(config.source_file).parent_path().string();
  std::optional<Router> router = Router::build(*fe, config, baseDir, [](const config::RuleLine&, size_t, const std::string&) {});
  if (!router) return *out = "the frontend's rules do not compile (run weir -c)", false;

  TargetParts parts = splitTarget(target);
  std::string path;
  out->clear();
  fmt::format_to(std::back_inserter(*out), "frontend  {}\nrequest   {} {} from {}{}\n", fe->name, method, target,
                 src->hostString(), request.ssl ? " over TLS" : "");
  if (!normalizePath(parts.path, path)) return out->append("=> 400 Bad Request: the path has a malformed %-escape\n"), true;
  if (path != parts.path) fmt::format_to(std::back_inserter(*out), "path      {} (normalised)\n", path);
  if (!parts.authority.empty()) headers.set("Host", parts.authority);
  RequestFacts facts{method, path, parts.query, parts.hasQuery, &headers, &*src, request.ssl, 0};
  out->append("\n");
  explainAcls(*router, facts, out);
  RouteTrace trace;
  RouteResult result = router->route(facts, headers, path, &trace);
  out->append("\n");
  explainSteps(*router, trace, out);
  parts.path = path;
  if (result.kind == RouteResult::Kind::kStatic) {
    if (explainStatic(fe->statics[static_cast<size_t>(result.staticRule)], path, out)) return true;
    result = router->pickBackend(facts);
  }
  switch (result.kind) {
    case RouteResult::Kind::kReply: fmt::format_to(std::back_inserter(*out), "\n{}\n", explainReply(*result.rule, headers, parts)); break;
    case RouteResult::Kind::kStatic:  // pickBackend() never gives it
    case RouteResult::Kind::kNoBackend: out->append("\n=> 503: no use_backend rule matched and there is no default_backend\n"); break;
    case RouteResult::Kind::kBackend: {
      const bool byDefault = !trace.steps.empty() && trace.steps.back().list == "default_backend";
      fmt::format_to(std::back_inserter(*out), "\n=> backend {}{}\n   {}\n   forwarded as {} {}{}{}\n",
                     config.backends[static_cast<size_t>(result.backend)].name, byDefault ? " (default_backend)" : "",
                     serverChoice(config, result.backend, *src), method, path, parts.hasQuery ? "?" : "", parts.query);
      for (const http::Header& h : headers) fmt::format_to(std::back_inserter(*out), "   {}: {}\n", h.name, h.value);
      break;
    }
  }
  return true;
}

}  // namespace weir::route

#include "weir/proxy/runtime_api.h"

#include <openssl/crypto.h>

#include <fmt/format.h>

#include <arpa/inet.h>
#include <signal.h>
#include <unistd.h>

#include <map>
#include <nlohmann/json.hpp>

#include "weir/base/log.h"
#include "weir/base/time_util.h"
#include "weir/config/config_diff.h"
#include "weir/config/config_loader.h"
#include "weir/proxy/cache_admin.h"
#include "weir/proxy/certificate_reload.h"
#include "weir/proxy/worker_context.h"
#include "weir/proxy/server_slots.h"
#include "weir/proxy/worker_fanout.h"
#include "weir/stats/snapshot.h"

namespace weir::proxy {
namespace {

using Json = nlohmann::json;
using Params = std::map<std::string, std::string, std::less<>>;

stats::StatsReply jsonReply(int status, const Json& body) {
  return {status, "application/json", {{"Cache-Control", "no-cache"}}, body.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"};
}

stats::StatsReply error(int status, std::string message) { return jsonReply(status, {{"error", std::move(message)}}); }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string formDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

Params parseForm(std::string_view body) {
  Params params;
  while (!body.empty()) {
    const size_t amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    const size_t eq = pair.find('=');
    params[formDecode(pair.substr(0, eq))] = eq == std::string_view::npos ? "" : formDecode(pair.substr(eq + 1));
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
  }
  return params;
}

/// A flat JSON object's members as text; nullopt when the body is not one.
std::optional<Params> parseJsonObject(std::string_view body) {
  const Json j = Json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  Params params;
  for (const auto& [key, value] : j.items()) {
    if (value.is_string()) params[key] = value.get<std::string>();
    else if (value.is_boolean()) params[key] = value.get<bool>() ? "true" : "false";
    else if (value.is_number_integer()) params[key] = std::to_string(value.get<int64_t>());
    else return std::nullopt;
  }
  return params;
}

std::string mediaType(const http::RequestHead& req) {
  const std::string* type = req.headers.get("content-type");
  if (type == nullptr) return "";
  std::string t(http::trimOws(std::string_view(*type).substr(0, type->find(';'))));
  for (char& c : t) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return t;
}

/// An Origin header, when a browser sends one, must name this listener.
bool sameOrigin(const http::RequestHead& req) {
  const std::string* origin = req.headers.get("origin");
  if (origin == nullptr) return true;
  const std::string* host = req.headers.get("host");
  if (host == nullptr) return false;
  const std::string_view o = *origin;
  const size_t scheme = o.find("://");
  return scheme != std::string_view::npos && o.substr(scheme + 3) == *host;
}

bool tokenMatches(const std::string& given, const std::string& expected) {
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

Json serverJson(const stats::Row& r) {
  Json j = {{"name", r.svname},    {"address", r.addr},       {"status", r.status},  {"admin", r.adminState},
            {"weight", r.weight.value_or(0)}, {"configured_weight", r.uweight.value_or(0)}, {"backup", r.backup},
            {"checks", r.checked}, {"active", r.scur},       {"requests", r.stot}};
  if (!r.checkStatus.empty()) j["last_check"] = {{"status", r.checkStatus}, {"description", r.checkDesc}};
  Json history = Json::array();
  for (const auto& t : r.history) history.push_back({{"at_unix_ms", t.atUnixMs}, {"to", t.to}, {"reason", t.reason}});
  j["history"] = history;
  return j;
}

Json infoJson(const stats::ProcessInfo& p) {
  return {{"version", p.version},         {"uptime_seconds", p.uptimeSeconds}, {"threads", p.threads},
          {"connections", p.connections}, {"maxconn", p.maxconn},              {"accepted", p.acceptedTotal},
          {"requests", p.requestsTotal}};
}

struct Target {
  upstream::Backend* backend = nullptr;
  upstream::Server* server = nullptr;
};

std::optional<Target> findServer(Runtime& rt, const Params& params, std::string* why) {
  const auto b = params.find("backend");
  const auto s = params.find("server");
  if (b == params.end() || s == params.end()) {
    *why = "needs backend and server";
    return std::nullopt;
  }
  for (auto& backend : rt.backends) {
    if (backend->name() != b->second) continue;
    for (auto& server : backend->servers())
      if (server->inUse() && server->name() == s->second) return Target{backend.get(), server.get()};
    *why = fmt::format("backend {} has no server {}", b->second, s->second);
    return std::nullopt;
  }
  *why = fmt::format("no backend {}", b->second);
  return std::nullopt;
}

/// The reply to a change: JSON for API clients, back to the page for the page's forms.
stats::StatsReply changed(bool fromForm, const std::string& returnTo, Json body) {
  if (!fromForm) return jsonReply(200, body);
  stats::StatsReply r{303, "text/plain; charset=utf-8", {{"Location", returnTo}}, "done, back to the page\n"};
  return r;
}

/// A numeric "IP:port" (the API never waits for DNS on a worker).
std::optional<net::Address> numericAddress(const std::string& text, std::string* why) {
  std::optional<net::HostPort> hp = net::splitHostPort(text, why);
  if (!hp) return std::nullopt;
  in6_addr any{};
  if (hp->host.empty() || hp->port == 0 ||
      (inet_pton(AF_INET, hp->host.c_str(), &any) != 1 && inet_pton(AF_INET6, hp->host.c_str(), &any) != 1)) {
    *why = "address must be a numeric IP:port";
    return std::nullopt;
  }
  return net::resolve(*hp, why);
}

stats::StatsReply addServer(Runtime& rt, const Params& params, bool fromForm, const std::string& returnTo) {
  const auto get = [&](const char* key) { return params.count(key) ? params.at(key) : std::string(); };
  const std::string backendName = get("backend"), name = get("server");
  upstream::Backend* backend = nullptr;
  for (auto& b : rt.backends)
    if (b->name() == backendName) backend = b.get();
  if (backend == nullptr) return error(404, fmt::format("no backend {}", backendName));
  if (std::optional<std::string> invalid = config::nameError(name)) return error(400, "server: " + *invalid);
  std::string why;
  std::optional<net::Address> address = numericAddress(get("address"), &why);
  if (!address) return error(400, "address: " + why);
  const auto number = [&](const char* key, int low, int high, int fallback) -> std::optional<int> {
    const std::string v = get(key);
    if (v.empty()) return fallback;
    if (v.size() > 6 || !std::all_of(v.begin(), v.end(), ::isdigit)) return std::nullopt;
    const int n = std::stoi(v);
    return n >= low && n <= high ? std::optional<int>(n) : std::nullopt;
  };
  const std::optional<int> weight = number("weight", 0, 256, 1), maxconn = number("maxconn", 0, 1000000, 0);
  if (!weight || !maxconn) return error(400, "weight must be 0..256 and maxconn 0..1000000");
  std::lock_guard lock(rt.serverSlotsMutex);
  upstream::Server* slot = nullptr;
  for (auto& s : backend->servers()) {
    // A DNS slot's name is taken even while its slot is empty: the next answer may fill it.
    if ((s->inUse() || s->discovered()) && s->name() == name)
      return error(409, fmt::format("{}/{} exists already", backendName, name));
    if (slot == nullptr && !s->inUse() && s->isFree() && !s->backup() && !s->discovered()) slot = s.get();
  }
  if (slot == nullptr) return error(409, fmt::format("backend {} has no free slot: raise its spare_servers", backendName));
  const bool checkDown = backend->healthCheck().enabled && !backend->healthCheck().initUp;
  slot->occupy(name, *address, *weight, *maxconn, checkDown);
  log::info("runtime API: server {}/{} added at {} weight {}", backendName, name, address->toString(), *weight);
  return changed(fromForm, returnTo, {{"server", backendName + "/" + name}, {"address", address->toString()}, {"added", true}});
}

/// Out of the balancing at once; the slot is reused only once every worker (and the checks'
/// thread) has let go of it: their idle connections to it closed, its counters zeroed.
std::optional<stats::StatsReply> removeServer(Runtime& rt, WorkerContext& ctx, const Target& t, bool fromForm,
                                              const std::string& returnTo, RuntimeApi::Later later) {
  upstream::Server* sv = t.server;
  const std::string who = fmt::format("{}/{}", t.backend->name(), sv->name());
  if (sv->discovered()) return error(409, who + " was found by DNS: it leaves when the DNS answer drops it");
  if (sv->shared().admin.load(std::memory_order_relaxed) != upstream::AdminState::kMaint)
    return error(409, "put the server in maint first (state: maint), as HAProxy asks");
  {
    std::lock_guard lock(rt.serverSlotsMutex);
    if (!sv->inUse()) return error(404, who + " was just removed");
    if (!sv->tryVacate()) return error(409, "requests are still in flight: wait for them");
  }
  log::info("runtime API: server {} removed", who);
  freeVacatedSlot(rt, ctx, *sv, [later, fromForm, returnTo, who] {
    later(changed(fromForm, returnTo, {{"server", who}, {"removed", true}}));
  });
  return std::nullopt;
}

}  // namespace

std::optional<stats::StatsReply> RuntimeApi::handle(WorkerContext& ctx, const http::RequestHead& req, std::string_view path,
                                                    std::string_view body, const std::string& returnTo, Later later) {
  Runtime& rt = ctx.runtime();
  const config::StatsConfig& cfg = rt.config->stats;
  if (req.method == "GET" || req.method == "HEAD") {
    const stats::Snapshot snap = stats::takeSnapshot(rt, steadyNowMs(), unixNowMs());
    if (path == "/info") return jsonReply(200, infoJson(snap.process));
    if (path == "/servers") {
      Json backends = Json::object();
      for (const stats::Row& r : snap.rows) {
        if (r.type == stats::RowType::kFrontend) continue;
        Json& b = backends[r.pxname];
        if (r.type == stats::RowType::kServer) b["servers"].push_back(serverJson(r));
        else b.update({{"status", r.status}, {"balance", r.algo}, {"active_servers", r.act.value_or(0)},
                       {"backup_servers", r.bck.value_or(0)}, {"queue", r.qcur}});
      }
      return jsonReply(200, backends);
    }
    return error(404, "no such resource");
  }
  if (req.method != "POST") {
    stats::StatsReply r = error(405, "GET or POST");
    r.headers.emplace_back("Allow", "GET, HEAD, POST");
    return r;
  }
  if (!cfg.admin) return error(403, "changes need `admin: true` in the stats section");
  if (!sameOrigin(req)) return error(403, "Origin is not this listener");
  const std::string type = mediaType(req);
  Params params;
  const bool fromForm = type == "application/x-www-form-urlencoded";
  if (type == "application/json") {
    std::optional<Params> json = parseJsonObject(body.empty() ? std::string_view("{}") : body);
    if (!json) return error(400, "the body must be a JSON object of strings, numbers and booleans");
    params = std::move(*json);
  } else if (fromForm) {
    params = parseForm(body);
    const auto token = params.find("csrf");
    if (token == params.end() || !tokenMatches(token->second, rt.adminToken))
      return error(403, "the form's csrf token is missing or stale: reload the page");
  } else {
    return error(415, "send application/json (or the page's form)");
  }

  std::string why;
  if (path == "/server/state" || path == "/server/weight" || path == "/server/checks") {
    std::optional<Target> t = findServer(rt, params, &why);
    if (!t) return error(404, why);
    upstream::Server& sv = *t->server;
    const std::string who = fmt::format("{}/{}", t->backend->name(), sv.name());
    if (path == "/server/state") {
      const std::string state = params.count("state") ? params.at("state") : "";
      upstream::AdminState next;
      if (state == "ready") next = upstream::AdminState::kReady;
      else if (state == "drain") next = upstream::AdminState::kDrain;
      else if (state == "maint") next = upstream::AdminState::kMaint;
      else return error(400, "state must be ready, drain or maint");
      sv.shared().admin.store(next, std::memory_order_relaxed);
      const bool checkDown = sv.shared().checkDown.load(std::memory_order_relaxed);
      sv.health().setState(state == "drain" ? "DRAIN" : state == "maint" ? "MAINT" : checkDown ? "DOWN" : "UP");
      log::info("runtime API: server {} set to {}", who, state);
      return changed(fromForm, returnTo, {{"server", who}, {"state", state}});
    }
    if (path == "/server/weight") {
      const std::string w = params.count("weight") ? params.at("weight") : "";
      int weight = -1;
      if (!w.empty() && w.size() <= 3 && std::all_of(w.begin(), w.end(), ::isdigit)) weight = std::stoi(w);
      if (weight < 0 || weight > 256) return error(400, "weight must be 0..256");
      sv.setWeight(weight);
      log::info("runtime API: server {} weight {}", who, weight);
      return changed(fromForm, returnTo, {{"server", who}, {"weight", weight}});
    }
    const std::string enabled = params.count("enabled") ? params.at("enabled") : "";
    if (enabled != "true" && enabled != "false") return error(400, "enabled must be true or false");
    if (!t->backend->healthCheck().enabled) return error(409, "the backend has no health_check");
    const bool on = enabled == "true";
    sv.shared().checksDisabled.store(!on, std::memory_order_relaxed);
    if (!on) sv.setCheckedUp(true, steadyNowMs());  // without checks, it is as if it passed them
    log::info("runtime API: server {} health checks {}", who, on ? "enabled" : "disabled");
    return changed(fromForm, returnTo, {{"server", who}, {"checks", on}});
  }
  if (path == "/server/add") return addServer(rt, params, fromForm, returnTo);
  if (path == "/server/remove") {
    std::optional<Target> t = findServer(rt, params, &why);
    if (!t) return error(404, why);
    return removeServer(rt, ctx, *t, fromForm, returnTo, std::move(later));
  }
  if (path == "/cache/purge") {
    const auto name = params.find("cache");
    const int index = name == params.end() ? -1 : rt.config->findCache(name->second);
    if (index < 0) return error(404, "needs the name of a cache in `cache`");
    const auto target = params.find("path");
    if (target == params.end() || target->second.empty() || target->second.front() != '/')
      return error(400, "needs `path`, starting with '/' (a URL, or a prefix with prefix: true)");
    PurgeRequest request{index, params.count("host") ? params.at("host") : "", target->second,
                         params.count("prefix") && params.at("prefix") == "true"};
    log::info("runtime API: purge cache {} host={} {}{}", name->second, request.host.empty() ? "*" : request.host,
              request.target, request.prefix ? "*" : "");
    purgeCache(rt, ctx, request, [later, fromForm, returnTo, cache = name->second](size_t removed) {
      later(changed(fromForm, returnTo, {{"cache", cache}, {"purged", removed}}));
    });
    return std::nullopt;
  }
  if (path == "/tls/reload") {
    const CertificateReload report = reloadCertificates(rt);
    log::info("runtime API: certificates reloaded on {} TLS bind(s), {} kept the old ones", report.reloaded,
              report.errors.size());
    if (!report.errors.empty()) return jsonReply(422, Json{{"reloaded", report.reloaded}, {"errors", report.errors}});
    return changed(fromForm, returnTo, {{"reloaded", report.reloaded}});
  }
  if (path == "/reload") {
    // Checked here so that the reply can name the errors; the daemon's thread then loads it
    // again and puts it in force (SIGHUP to the process, which that thread alone takes).
    config::LoadResult next = config::loadConfigFile(rt.config->source_file);
    if (!next.ok) {
      log::warning("runtime API: reload refused: {} is invalid", rt.config->source_file);
      return jsonReply(422, Json{{"reloading", false}, {"errors", next.errors}});
    }
    log::info("runtime API: reload of {} requested", rt.config->source_file);
    ::kill(::getpid(), SIGHUP);
    return jsonReply(202, Json{{"reloading", true}, {"changes", config::diffConfigs(*rt.config, next.config)}});
  }
  if (path == "/counters/clear") {
    log::info("runtime API: counters cleared");
    gatherFromWorkers<bool>(
        rt, ctx, [](WorkerContext& w) { return w.clearCounters(), true; },
        [later, fromForm, returnTo, &rt](std::vector<bool>) {
          rt.rates->clear();
          later(changed(fromForm, returnTo, {{"cleared", true}}));
        });
    return std::nullopt;
  }
  return error(404, "no such resource");
}

}  // namespace weir::proxy

#include "weir/proxy/runtime.h"

#include <openssl/rand.h>

#include <fmt/format.h>

#include <filesystem>

#include "weir/base/log.h"
#include "weir/base/time_util.h"
#include "weir/tls/client_tls.h"

namespace weir::proxy {

namespace {

/// A reload: each server that is the same in both configs carries its state over. Under the
/// previous runtime's slot lock: the runtime API and DNS discovery change its servers under it.
void inheritServers(Runtime& rt, Runtime& previous) {
  std::lock_guard lock(previous.serverSlotsMutex);
  stats::WorkerCounters::SameAs& same = rt.sameAsPrevious;
  same.servers.assign(static_cast<size_t>(rt.serverCount), -1);
  for (auto& backend : rt.backends) {
    const upstream::Backend* old = nullptr;
    for (const auto& b : previous.backends)
      if (b->name() == backend->name()) old = b.get();
    same.backends.push_back(old != nullptr ? old->index() : -1);
    if (old == nullptr) continue;
    const auto carry = [&](upstream::Server& server, const upstream::Server& before) {
      server.inherit(before);
      same.servers[static_cast<size_t>(server.globalId())] = before.globalId();
    };
    for (const auto& server : backend->servers())
      for (const auto& before : old->servers())
        if (server->sameAs(*before)) carry(*server, *before);
    // Servers added through the runtime API are not in the file: they take a free slot of the
    // new backend, as they had one of the old, and stay what they were.
    for (const auto& before : old->servers()) {
      if (before->config() != nullptr || !before->inUse()) continue;
      upstream::Server* slot = nullptr;
      bool named = false;  // the file has a server of that name now: that one it is
      for (const auto& s : backend->servers()) {
        named = named || ((s->inUse() || s->discovered()) && s->name() == before->name());
        if (slot == nullptr && !s->inUse() && s->isFree() && !s->discovered() && !s->backup()) slot = s.get();
      }
      if (named) continue;
      if (slot == nullptr) {
        log::warning("reload: backend {}: no free slot for {} (added at run time): it is gone", backend->name(),
                     before->name());
        continue;
      }
      slot->occupy(before->name(), before->address(), before->configuredWeight(), before->maxconn(), false);
      carry(*slot, *before);
    }
  }
}

}  // namespace

std::unique_ptr<Runtime> buildRuntime(std::shared_ptr<const config::Config> config, Runtime* previous) {
  auto rt = std::make_unique<Runtime>();
  rt->config = config;
  int nextId = 0;
  for (size_t i = 0; i < config->backends.size(); ++i)
    rt->backends.push_back(std::make_unique<upstream::Backend>(config->backends[i], static_cast<int>(i), nextId));
  rt->serverCount = nextId;
  if (previous != nullptr) inheritServers(*rt, *previous);
  for (auto& backend : rt->backends) {
    // One context per config entry: the slots of a discovered entry share it.
    const config::ServerConfig* built = nullptr;
    std::shared_ptr<const tls::ClientTls> tls;
    for (const auto& server : backend->servers()) {
      const config::ServerConfig* sc = server->config();
      if (sc == nullptr || !sc->tls.enabled) continue;
      if (sc != built) {
        std::string error;
        tls = tls::ClientTls::forServer(*sc, &error);
        built = sc;
        if (!tls) {  // the CA file changed since the config was checked
          log::error("backend {} server {}: {}", backend->name(), sc->name, error);
          return nullptr;
        }
      }
      server->setTls(tls);
    }
  }
  for (size_t i = 0; i < config->caches.size(); ++i) rt->collapsers.push_back(std::make_unique<cache::MissCollapser>());
  const std::string baseDir = std::filesystem::path(config->source_file).parent_path().string();
  std::string ticketError;
  // One key ring for the process: sessions resume across a reload.
  rt->ticketKeys = previous != nullptr ? previous->ticketKeys : tls::TicketKeyRing::create(&ticketError);
  if (!rt->ticketKeys) {
    log::error("{}", ticketError);
    return nullptr;
  }
  int nextStaticId = 0;
  for (const auto& fe : config->frontends) {
    std::optional<route::Router> router =
        route::Router::build(fe, *config, baseDir, [](const config::RuleLine& line, size_t, const std::string& message) {
          log::error("{}: {}: {}", line.path, line.text, message);
        });
    if (!router) return nullptr;
    FrontendRuntime f{fe.name, static_cast<int>(rt->frontends.size()), fe.options, std::move(*router), {}, {}};
    f.maxconnPerSrc = fe.maxconn_per_src;
    for (const config::StaticRuleConfig& rule : fe.statics) {
      std::string error;
      std::unique_ptr<static_files::StaticSite> site = static_files::StaticSite::open(rule, nextStaticId++, &error);
      if (!site->root.valid()) log::warning("frontend {}: static root {}: its files are missing", fe.name, error);
      f.statics.push_back(std::move(site));
    }
    for (const config::BindConfig& bind : fe.binds) {
      BindRuntime b{bind.address, nullptr, &bind};
      if (bind.ssl) {
        std::string error;
        b.tls = tls::TlsBind::build(bind, baseDir, rt->ticketKeys, &error);
        if (!b.tls) {  // the files changed since the config was checked
          log::error("frontend {}: bind {}: {}", fe.name, bind.text, error);
          return nullptr;
        }
      }
      f.binds.push_back(std::move(b));
    }
    rt->frontends.push_back(std::move(f));
  }
  if (config->stats.enabled) {  // a frontend of its own, as HAProxy's `listen stats`
    config::FrontendConfig statsFe;
    statsFe.name = config->findFrontend("stats") < 0 ? "stats" : "weir-stats";
    statsFe.options = config->defaults;
    std::optional<route::Router> router = route::Router::build(statsFe, *config, baseDir, [](const config::RuleLine&, size_t, const std::string&) {});
    FrontendRuntime f{statsFe.name, static_cast<int>(rt->frontends.size()), statsFe.options, std::move(*router), {}, {BindRuntime{config->stats.bind.address, nullptr, &config->stats.bind}}, true};
    rt->frontends.push_back(std::move(f));
  }
  const auto& lim = config->global.limits;
  rt->requestLimits = {lim.max_head_bytes, lim.max_headers, lim.max_uri_bytes, lim.max_body_bytes};
  // Servers are trusted more than clients but not unboundedly.
  rt->responseLimits = {64 * 1024, 256, 64 * 1024};
  rt->maxconn = config->global.maxconn;
  if (previous != nullptr) {  // the process's, not the config's
    for (const FrontendRuntime& fe : rt->frontends) {
      const FrontendRuntime* was = previous->frontendNamed(fe.name);
      rt->sameAsPrevious.frontends.push_back(was != nullptr ? was->index : -1);
    }
    rt->startUnixMs = previous->startUnixMs;
    rt->adminToken = previous->adminToken;
    rt->connections = previous->connections;
    rt->rates = previous->rates;
    rt->logTarget = previous->logTarget;
    rt->threads = previous->threads;
    return rt;
  }
  rt->startUnixMs = unixNowMs();
  unsigned char token[16];
  if (RAND_bytes(token, sizeof(token)) != 1) {
    log::error("cannot draw random bytes for the stats page's token");
    return nullptr;
  }
  for (unsigned char b : token) rt->adminToken += fmt::format("{:02x}", b);
  return rt;
}

}  // namespace weir::proxy

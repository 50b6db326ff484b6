#include "weir/proxy/dns_discovery.h"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>

#include "weir/base/log.h"
#include "weir/proxy/server_slots.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

namespace {

constexpr timeval kVacatePoll{0, 100 * 1000};

std::string describe(const std::vector<net::Address>& answer) {
  if (answer.empty()) return "no address";
  std::string text;
  for (const net::Address& a : answer) text += (text.empty() ? "" : ", ") + a.hostString();
  return text;
}

bool sameAddress(const net::Address& a, const net::Address& b) { return a.toString() == b.toString(); }

/// evdns's own messages ("nameserver ... has failed") go to weir's log, not bare to stderr.
void logEvdns(int isWarning, const char* message) {
  log::write(isWarning != 0 ? log::Level::kWarning : log::Level::kDebug, fmt::format("dns: {}", message));
}

}  // namespace

std::unique_ptr<DnsDiscovery> DnsDiscovery::create(WorkerContext& ctx) {
  const auto& backends = ctx.runtime().backends;
  const bool any = std::any_of(backends.begin(), backends.end(), [](const auto& b) { return !b->discoveries().empty(); });
  return any ? std::make_unique<DnsDiscovery>(ctx) : nullptr;
}

DnsDiscovery::DnsDiscovery(WorkerContext& ctx) : ctx_(ctx), worker_(ctx.worker()) {
  const std::vector<std::string>& resolvers = ctx.runtime().config->global.resolvers;
  evdns_set_log_fn(&logEvdns);
  // Without `resolvers`: /etc/resolv.conf (name servers, search domains) and /etc/hosts, as
  // a container's own lookups would see them.
  dns_.reset(evdns_base_new(ctx.base(), resolvers.empty() ? EVDNS_BASE_INITIALIZE_NAMESERVERS : 0));
  if (!dns_) {
    log::error("dns: cannot start the resolver: discovered servers stay empty");
    return;
  }
  for (const std::string& ns : resolvers)
    if (evdns_base_nameserver_ip_add(dns_.get(), ns.c_str()) != 0) log::error("dns: cannot use name server {}", ns);
  // A lost datagram is retried quickly: a discovery round should not take evdns's 5 s default.
  evdns_base_set_option(dns_.get(), "timeout:", "2");
  evdns_base_set_option(dns_.get(), "attempts:", "3");
  for (auto& backend : ctx.runtime().backends) {
    for (const upstream::Discovery& d : backend->discoveries()) {
      auto e = std::make_unique<Entry>();
      e->owner = this;
      e->backend = backend.get();
      e->discovery = &d;
      std::string why;
      const std::optional<net::HostPort> hp = net::splitHostPort(d.config->address_text, &why);
      if (!hp) continue;  // the config check refused it already
      e->host = hp->host;
      e->port = std::to_string(hp->port);
      // A reload: servers the previous generation was draining go on draining here.
      for (upstream::Server* slot : d.slots)
        if (slot->inUse() && slot->leavingDns()) e->leaving.push_back(slot);
      e->resolveTimer.reset(evtimer_new(ctx.base(), &DnsDiscovery::onResolveTimer, e.get()));
      e->vacateTimer.reset(event_new(ctx.base(), -1, EV_PERSIST, &DnsDiscovery::onVacateTimer, e.get()));
      const timeval now{0, 0};
      evtimer_add(e->resolveTimer.get(), &now);  // the first lookup as soon as the worker runs
      if (!e->leaving.empty()) evtimer_add(e->vacateTimer.get(), &kVacatePoll);
      entries_.push_back(std::move(e));
    }
  }
}

DnsDiscovery::~DnsDiscovery() {
  stopping_ = true;
  // With a lookup in flight, failing it would call back into this object after it is gone.
  const bool inFlight = std::any_of(entries_.begin(), entries_.end(), [](const auto& e) { return e->resolving; });
  dns_.get_deleter().failRequests = !inFlight;
  dns_.reset();
}

void DnsDiscovery::stop(std::function<void()> whenIdle) {
  stopping_ = true;
  whenIdle_ = std::move(whenIdle);
  for (auto& e : entries_) {
    event_del(e->resolveTimer.get());
    event_del(e->vacateTimer.get());
    if (e->resolving && e->pending != nullptr) evdns_getaddrinfo_cancel(e->pending);
    e->pending = nullptr;
  }
  finishStopping();
}

void DnsDiscovery::finishStopping() {
  if (!whenIdle_) return;
  if (std::any_of(entries_.begin(), entries_.end(), [](const auto& e) { return e->resolving; })) return;
  // Posted: this may run inside an evdns callback, and whenIdle frees this object.
  worker_.post(std::move(whenIdle_));
  whenIdle_ = nullptr;
}

void DnsDiscovery::onResolveTimer(evutil_socket_t, short, void* entry) {
  Entry& e = *static_cast<Entry*>(entry);
  e.owner->resolve(e);
}

void DnsDiscovery::onVacateTimer(evutil_socket_t, short, void* entry) {
  Entry& e = *static_cast<Entry*>(entry);
  e.owner->vacate(e);
}

void DnsDiscovery::resolve(Entry& e) {
  if (!dns_ || e.resolving || stopping_) return;
  evutil_addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  hints.ai_flags = EVUTIL_AI_NUMERICSERV;
  e.resolving = true;
  evdns_getaddrinfo_request* request =
      evdns_getaddrinfo(dns_.get(), e.host.c_str(), e.port.c_str(), &hints, &DnsDiscovery::onAnswer, &e);
  if (e.resolving) e.pending = request;  // else answered already (a numeric host, /etc/hosts)
}

void DnsDiscovery::onAnswer(int result, evutil_addrinfo* answer, void* entry) {
  std::unique_ptr<evutil_addrinfo, CDeleter<evutil_freeaddrinfo>> owned(answer);
  Entry& e = *static_cast<Entry*>(entry);
  e.pending = nullptr;
  e.resolving = false;
  DnsDiscovery& self = *e.owner;
  if (self.stopping_) {
    self.finishStopping();
    return;
  }
  if (result == EVUTIL_EAI_CANCEL) return;
  const std::string who = fmt::format("backend {}: {}", e.backend->name(), e.discovery->config->address_text);
  if (result != 0 && result != EVUTIL_EAI_NONAME && result != EVUTIL_EAI_NODATA) {
    // No answer is not an empty answer: servers stay as they are until the name servers reply.
    log::warning("dns: {}: lookup failed ({}): keeping the servers of the last answer", who, evutil_gai_strerror(result));
  } else {
    std::vector<net::Address> addresses;
    for (const evutil_addrinfo* ai = answer; ai != nullptr; ai = ai->ai_next)
      if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6)
        addresses.emplace_back(ai->ai_addr, static_cast<socklen_t>(ai->ai_addrlen));
    std::sort(addresses.begin(), addresses.end(),
              [](const net::Address& a, const net::Address& b) { return a.toString() < b.toString(); });
    addresses.erase(std::unique(addresses.begin(), addresses.end(), sameAddress), addresses.end());
    const std::string text = describe(addresses);
    if (text != e.lastAnswer) {
      log::info("dns: {}: answer {}", who, text);
      e.lastAnswer = text;
    }
    e.answer = std::move(addresses);
    self.apply(e, e.answer);
  }
  const auto interval = std::chrono::duration_cast<std::chrono::microseconds>(e.discovery->config->resolve_interval);
  const timeval next{static_cast<time_t>(interval.count() / 1000000), static_cast<suseconds_t>(interval.count() % 1000000)};
  evtimer_add(e.resolveTimer.get(), &next);
}

void DnsDiscovery::apply(Entry& e, const std::vector<net::Address>& answer) {
  Runtime& rt = ctx_.runtime();
  const auto inAnswer = [&](const net::Address& a) {
    return std::any_of(answer.begin(), answer.end(), [&](const net::Address& b) { return sameAddress(a, b); });
  };
  const auto isLeaving = [&](const upstream::Server* s) {
    return std::find(e.leaving.begin(), e.leaving.end(), s) != e.leaving.end();
  };
  const config::HealthCheckConfig& health = e.backend->healthCheck();
  std::lock_guard lock(rt.serverSlotsMutex);
  std::vector<net::Address> held;
  for (upstream::Server* s : e.discovery->slots) {
    if (!s->inUse()) continue;
    if (!inAnswer(s->address())) {
      if (!isLeaving(s)) leave(e, *s);
      continue;
    }
    if (isLeaving(s)) {  // back in the answer before its last request ended: it stays
      std::erase(e.leaving, s);
      s->setLeavingDns(false);
      s->shared().admin.store(upstream::AdminState::kReady, std::memory_order_relaxed);
      log::info("dns: server {}/{} stays at {}: back in the answer", e.backend->name(), s->name(), s->address().toString());
    }
    held.push_back(s->address());
  }
  size_t unplaced = 0;
  for (const net::Address& a : answer) {
    if (std::any_of(held.begin(), held.end(), [&](const net::Address& h) { return sameAddress(a, h); })) continue;
    auto slot = std::find_if(e.discovery->slots.begin(), e.discovery->slots.end(),
                             [](const upstream::Server* s) { return !s->inUse() && s->isFree(); });
    if (slot == e.discovery->slots.end()) {
      ++unplaced;
      continue;
    }
    (*slot)->occupyDiscovered(a, health.enabled && !health.initUp);
    log::info("dns: server {}/{} added at {}", e.backend->name(), (*slot)->name(), a.toString());
  }
  if (unplaced > 0)
    log::warning("dns: backend {}: {} address(es) of {} have no free server slot (count: {}){}", e.backend->name(),
                 unplaced, e.host, e.discovery->slots.size(), e.leaving.empty() ? "" : " until leaving servers finish");
  if (!e.leaving.empty() && !event_pending(e.vacateTimer.get(), EV_TIMEOUT, nullptr))
    evtimer_add(e.vacateTimer.get(), &kVacatePoll);
}

void DnsDiscovery::leave(Entry& e, upstream::Server& server) {
  // As `state: maint`: no new request, those in flight finish; then the slot is given back.
  server.shared().admin.store(upstream::AdminState::kMaint, std::memory_order_relaxed);
  server.setLeavingDns(true);  // under serverSlotsMutex (apply): a reload reads it
  e.leaving.push_back(&server);
  log::info("dns: server {}/{} at {} left the answer: draining", e.backend->name(), server.name(),
            server.address().toString());
}

void DnsDiscovery::vacate(Entry& e) {
  Runtime& rt = ctx_.runtime();
  std::vector<upstream::Server*> vacated;
  {
    std::lock_guard lock(rt.serverSlotsMutex);
    for (upstream::Server* s : e.leaving)
      if (s->tryVacate()) vacated.push_back(s);
  }
  for (upstream::Server* s : vacated) {
    std::erase(e.leaving, s);
    log::info("dns: server {}/{} removed", e.backend->name(), s->name());
    // Once every worker let go, the slot may take an address that found none free.
    freeVacatedSlot(rt, ctx_, *s, [this, &e, alive = std::weak_ptr<bool>(alive_)] {
      if (!alive.expired() && !stopping_) apply(e, e.answer);
    });
  }
  if (e.leaving.empty()) event_del(e.vacateTimer.get());
}

}  // namespace weir::proxy

#include "weir/proxy/worker_context.h"

#include <unistd.h>

#include <algorithm>

#include "weir/base/log.h"
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/dns_discovery.h"
#include "weir/stats/snapshot.h"

namespace weir::proxy {

namespace {

thread_local WorkerContext* tCurrent = nullptr;

/// The same cache in both configs: its entries and counters carry over a reload.
bool sameCache(const config::CacheConfig& a, const config::CacheConfig& b) {
  return a.name == b.name && a.total_max_size == b.total_max_size && a.max_object_size == b.max_object_size;
}

}  // namespace

WorkerContext* WorkerContext::current() { return tCurrent; }

void WorkerContext::makeCurrent() { tCurrent = this; }

WorkerContext::WorkerContext(event::Worker& worker, Runtime& runtime, WorkerContext* predecessor)
    : worker_(worker),
      runtime_(runtime),
      pool_(static_cast<size_t>(runtime.serverCount)),
      accessLog_(worker.base(), runtime.logTarget, runtime.config->global.log_format),
      staticResponder_(runtime.config->global.static_cache, runtime.mimeTypes),
      counters_(runtime.frontends.size(), runtime.backends.size(), static_cast<size_t>(runtime.serverCount)) {
  for (const auto& b : runtime.backends) pickers_.emplace_back(*b, worker.index());
  for (const auto& fe : runtime.frontends) routers_.push_back(fe.router);
  for (const config::CacheConfig& c : runtime.config->caches) {
    const int before = predecessor != nullptr ? predecessor->runtime_.config->findCache(c.name) : -1;
    if (before >= 0 && sameCache(predecessor->runtime_.config->caches[static_cast<size_t>(before)], c)) {
      caches_.push_back(predecessor->caches_[static_cast<size_t>(before)]);
      continue;
    }
    caches_.push_back(std::make_shared<cache::ResponseCache>(
        std::max<uint64_t>(c.total_max_size / static_cast<uint64_t>(std::max(runtime.threads, 1)), c.max_object_size),
        c.max_object_size));
  }
  if (predecessor != nullptr) shareWith(*predecessor);
  if (runtime.config->stats.enabled) statsService_.emplace(runtime.config->stats);
  reaper_.reset(event_new(worker.base(), -1, 0, &WorkerContext::onReap, this));
  // A reload's context takes these over when it is put in force (activate), not before.
  if (predecessor == nullptr) startProcessDuties(nullptr);
}

void WorkerContext::startProcessDuties(const WorkerContext* predecessor) {
  if (worker_.index() != 0) return;
  if (runtime_.config->stats.enabled) {
    rateSampler_.reset(event_new(base(), -1, EV_PERSIST, &WorkerContext::onSampleRates, this));
    const timeval second{1, 0};
    evtimer_add(rateSampler_.get(), &second);
  }
  if (runtime_.ticketKeys) {
    ticketRotator_.reset(evtimer_new(base(), &WorkerContext::onRotateTickets, this));
    // Hourly for the process: a reload keeps the schedule (frequent reloads must not put off
    // the rotation for ever).
    const auto now = std::chrono::steady_clock::now();
    nextTicketRotation_ = predecessor != nullptr && predecessor->nextTicketRotation_ != std::chrono::steady_clock::time_point{}
                              ? predecessor->nextTicketRotation_
                              : now + tls::TicketKeyRing::kRotation;
    const timeval in = toTimeval(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(nextTicketRotation_ - now, std::chrono::steady_clock::duration::zero())));
    evtimer_add(ticketRotator_.get(), &in);
  }
  discovery_ = DnsDiscovery::create(*this);
}

void WorkerContext::stopDiscovery(std::function<void()> done) {
  if (!discovery_) {
    done();
    return;
  }
  // Freed by a task of this worker once evdns has answered every lookup it had in flight
  // (a cancelled one included): never inside an evdns callback, never under one.
  std::shared_ptr<DnsDiscovery> discovery = std::move(discovery_);
  DnsDiscovery* raw = discovery.get();
  raw->stop([discovery = std::move(discovery), done = std::move(done)]() mutable {
    done();
    discovery.reset();
  });
}

WorkerContext::~WorkerContext() {
  discovery_.reset();
  listeners_.clear();
  sessions_.clear();
  graveyard_.clear();
  accessLog_.flush();
}

bool WorkerContext::listen(const FrontendRuntime& fe, BindRuntime& bind, std::string* error) {
  net::Address& addr = bind.address;
  auto l = std::make_unique<Listener>();
  l->frontend = &fe;
  l->bind = &bind;
  l->tls = bind.tls;
  l->context = this;
  const unsigned flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_REUSEABLE_PORT | LEV_OPT_CLOSE_ON_EXEC;
  // At maxconn accepting pauses and new clients wait in this queue, so it holds maxconn of them
  // (as HAProxy's default backlog); the kernel caps it at net.core.somaxconn.
  const int backlog = std::max(1024, runtime_.maxconn);
  l->handle.reset(evconnlistener_new_bind(base(), &WorkerContext::onAccept, l.get(), flags, backlog, addr.sockaddrPtr(),
                                          static_cast<int>(addr.length())));
  if (!l->handle) {
    *error = fmt::format("cannot listen on {}: {}", addr.toString(), evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
    return false;
  }
  if (addr.port() == 0) {
    sockaddr_storage ss{};
    socklen_t len = sizeof(ss);
    getsockname(evconnlistener_get_fd(l->handle.get()), reinterpret_cast<sockaddr*>(&ss), &len);
    addr = net::Address(reinterpret_cast<sockaddr*>(&ss), len);
  }
  listeners_.push_back(std::move(l));
  return true;
}

void WorkerContext::useCertificates(const BindRuntime& bind, std::shared_ptr<const tls::TlsBind> tls) {
  for (auto& l : listeners_)
    if (l->bind == &bind) l->tls = tls;
}

void WorkerContext::beginDrain() {
  draining_ = true;
  listeners_.clear();  // the sockets close: the kernel sends new connections to nobody
  std::vector<ClientSession*> open;
  open.reserve(sessions_.size());
  for (const auto& [session, owned] : sessions_) open.push_back(session);
  size_t idle = 0;
  for (ClientSession* session : open) idle += session->drain() ? 1 : 0;
  log::info("graceful stop: worker {} closed its listeners and {} idle connection(s); {} to finish", worker_.index(),
            idle, open.size() - idle);
}

void WorkerContext::onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len, void* listener) {
  auto* l = static_cast<Listener*>(listener);
  l->context->accept(*l, fd, sa, len);
}

void WorkerContext::onRotateTickets(evutil_socket_t, short, void* self) {
  auto* ctx = static_cast<WorkerContext*>(self);
  if (!ctx->runtime_.ticketKeys->rotate()) log::warning("session-ticket keys: no random bytes, the old key stays");
  ctx->nextTicketRotation_ = std::chrono::steady_clock::now() + tls::TicketKeyRing::kRotation;
  const timeval period{static_cast<time_t>(tls::TicketKeyRing::kRotation.count()), 0};
  evtimer_add(ctx->ticketRotator_.get(), &period);
}

void WorkerContext::shareWith(WorkerContext& old) { counters_.share(old.counters_, runtime_.sameAsPrevious); }

BindRuntime* WorkerContext::bindLike(const FrontendRuntime& fe, const BindRuntime& bind) {
  FrontendRuntime* mine = runtime_.frontendNamed(fe.name);
  if (mine == nullptr) return nullptr;
  for (BindRuntime& b : mine->binds)
    if (sameBind(b, bind)) return &b;
  return nullptr;
}

void WorkerContext::activate(WorkerContext& old) {
  old.retired_ = true;
  // Once per process: the new context samples the rates, rotates the ticket keys, asks DNS.
  old.rateSampler_.reset();
  old.ticketRotator_.reset();
  old.stopDiscovery([] {});
  startProcessDuties(&old);
  lastSessionId_ = old.lastSessionId_;  // queue tickets name sessions by id: no reuse
  for (auto& l : old.listeners_) {
    BindRuntime* bind = bindLike(*l->frontend, *l->bind);
    if (bind == nullptr) {
      if (index() == 0) log::info("reload: frontend {} stops listening on {}", l->frontend->name, l->bind->address.toString());
      continue;  // closes with old's list below; its connections finish
    }
    l->frontend = runtime_.frontendNamed(l->frontend->name);
    l->bind = bind;
    l->tls = bind->tls;
    l->context = this;
    listeners_.push_back(std::move(l));
  }
  old.listeners_.clear();
  for (FrontendRuntime& fe : runtime_.frontends) {
    for (BindRuntime& bind : fe.binds) {
      const bool open = std::any_of(listeners_.begin(), listeners_.end(), [&](const auto& l) { return l->bind == &bind; });
      if (open) continue;
      std::string error;
      if (!listen(fe, bind, &error)) log::error("reload: frontend {}: {}", fe.name, error);
      else if (index() == 0)
        log::info("listening frontend={} address={}{}", fe.name, bind.address.toString(), bind.tls ? " tls" : "");
    }
  }
  settleAccepting();  // against this config's maxconn: a reload may have raised or lowered it
  makeCurrent();
  // Idle keep-alive connections move now; the others after their current request.
  std::vector<ClientSession*> idle;
  for (const auto& [session, owned] : old.sessions_)
    if (session->idle()) idle.push_back(session);
  for (ClientSession* session : idle)
    if (!old.handOver(session)) session->closeIdle();
}

bool WorkerContext::handOver(ClientSession* session) {
  WorkerContext* next = current();
  if (next == nullptr || next == this || next->draining_) return false;
  const FrontendRuntime* fe = next->runtime_.frontendNamed(session->frontend().name);
  auto it = sessions_.find(session);
  if (fe == nullptr || it == sessions_.end()) return false;
  std::unique_ptr<ClientSession> owned = std::move(it->second);
  sessions_.erase(it);
  runtime_.liveSessions.fetch_sub(1, std::memory_order_acq_rel);
  next->adopt(std::move(owned), *fe);
  return true;
}

void WorkerContext::adopt(std::unique_ptr<ClientSession> session, const FrontendRuntime& fe) {
  runtime_.liveSessions.fetch_add(1, std::memory_order_relaxed);
  ClientSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->moveTo(*this, fe);
}

void WorkerContext::accept(const Listener& listener, evutil_socket_t fd, sockaddr* sa, int len) {
  const FrontendRuntime& fe = *listener.frontend;
  const net::Address peer(sa, static_cast<socklen_t>(len));
  SourceHold sourceHold;
  if (fe.maxconnPerSrc > 0) {
    const SourceConnections::Admission admission = SourceConnections::shared().acquire(fe.name, peer, fe.maxconnPerSrc);
    if (!admission.admitted) {
      // As HAProxy's `tcp-request connection reject`: closed at once, nothing read or sent.
      counters_.frontend(fe.index).deniedConnections.add();
      ::close(fd);
      return;
    }
    sourceHold = SourceHold(admission.slot);
  }
  const int open = runtime_.connections->fetch_add(1, std::memory_order_relaxed) + 1;
  // Past the limit only when other workers accepted at the same moment (by at most workers - 1):
  // the kernel has completed this connection, and closing it would fail a client that maxconn
  // promises to make wait. Whoever reached the limit exactly pauses every listener; this one
  // stops its own accept loop at once rather than when that message arrives.
  if (open == runtime_.maxconn) broadcastAccepting(false);
  else if (open > runtime_.maxconn) setAccepting(false);
  stats::FrontendShard& counters = counters_.frontend(fe.index);
  counters.connections.add();
  counters.current.add();
  auto session = std::make_unique<ClientSession>(*this, fe, listener.tls, fd, peer);
  session->holdSource(std::move(sourceHold));
  runtime_.liveSessions.fetch_add(1, std::memory_order_relaxed);
  ClientSession* raw = session.get();
  sessions_.emplace(raw, std::move(session));
  raw->start();
}

void WorkerContext::closeSession(ClientSession* session) {
  auto it = sessions_.find(session);
  if (it == sessions_.end()) return;
  counters_.frontend(session->frontend().index).current.sub();
  graveyard_.push_back(std::move(it->second));
  sessions_.erase(it);
  event_active(reaper_.get(), EV_TIMEOUT, 0);
  const int open = runtime_.connections->fetch_sub(1, std::memory_order_relaxed) - 1;
  // The limit in force is the current config's (this context may be a retired one).
  const WorkerContext* now = current() != nullptr ? current() : this;
  if (open == now->runtime_.maxconn - 1) broadcastAccepting(true);
  // Last: a retired generation is freed once this reaches 0, and the posts above come first.
  runtime_.liveSessions.fetch_sub(1, std::memory_order_acq_rel);
}

const timeval* WorkerContext::timeout(std::chrono::milliseconds d) {
  for (const auto& [ms, tv] : commonTimeouts_)
    if (ms == d) return tv;
  const timeval plain = toTimeval(d);
  const timeval* common = event_base_init_common_timeout(base(), &plain);
  if (common == nullptr) {  // libevent's table (256) is full: a plain timeout, heap-ordered
    plainTimeouts_.push_back(plain);
    common = &plainTimeouts_.back();
  }
  commonTimeouts_.emplace_back(d, common);
  return common;
}

void WorkerContext::releaseSlot(upstream::Backend& backend, upstream::Server& server, bool probe) {
  server.release(probe);
  // The common case ends here, without a lock. Both the count and the length are sequentially
  // consistent: a request that queued after this read looks at the slots again and finds this one.
  if (backend.queue().length() == 0) return;
  // Someone waits: take the slot back on their behalf (unless another request was quicker) and
  // hand it over. A server that is out is no use to them.
  if (server.state(steadyNowMs()) != upstream::Server::State::kUp || !server.tryAcquire(false)) return;
  handOff(backend, server);
}

void WorkerContext::handOff(upstream::Backend& backend, upstream::Server& server) {
  auto waiter = backend.queue().popForOr(server.index(), [&] { server.release(false); });
  if (waiter) grant(backend, server, *waiter);
}

void WorkerContext::grant(upstream::Backend& backend, upstream::Server& server, const upstream::QueueWaiter& waiter) {
  // Posted even to this worker: the waiter must not run inside the releasing session's callback.
  WorkerContext* target = runtime_.workers[static_cast<size_t>(waiter.worker)];
  upstream::Backend* b = &backend;
  upstream::Server* s = &server;
  target->worker_.post([target, b, s, waiter] { target->onGrant(*b, *s, waiter); });
}

void WorkerContext::onGrant(upstream::Backend& backend, upstream::Server& server, const upstream::QueueWaiter& waiter) {
  auto it = waiting_.find(waiter.session);
  if (it != waiting_.end() && it->second->takeGrantedSlot(waiter, server)) return;
  // The waiter left (timed out, its client closed, or it found a slot itself) after it was
  // chosen: the slot goes to the next one.
  handOff(backend, server);
}

void WorkerContext::deliverCollapsed(const cache::CollapseWaiter& waiter,
                                     std::shared_ptr<const cache::CachedResponse> response) {
  WorkerContext* target = runtime_.workers[static_cast<size_t>(waiter.worker)];
  target->worker_.post([target, waiter, response = std::move(response)]() mutable {
    auto it = target->waiting_.find(waiter.session);
    if (it != target->waiting_.end()) it->second->takeCollapsedResponse(waiter.request, std::move(response));
  });
}

void WorkerContext::clearCounters() {
  counters_.clear();
  for (auto& c : caches_) c->clearCounters();
}

void WorkerContext::forgetServer(const upstream::Server& server) {
  pool_.closeIdle(server);
  counters_.server(server.globalId()).clear();
}

void WorkerContext::deliverReply(uint64_t id, uint64_t request, const stats::StatsReply& reply) {
  auto it = waiting_.find(id);
  if (it != waiting_.end()) it->second->takeDeferredReply(request, reply);
}

void WorkerContext::onSampleRates(evutil_socket_t, short, void* self) {
  auto* ctx = static_cast<WorkerContext*>(self);
  const int64_t now = steadyNowMs();
  ctx->runtime_.rates->record(stats::takeSnapshot(ctx->runtime_, now, unixNowMs()), now);
}

void WorkerContext::onReap(evutil_socket_t, short, void* self) { static_cast<WorkerContext*>(self)->graveyard_.clear(); }

void WorkerContext::broadcastAccepting(bool on) {
  // To each worker's current context: after a reload, this one may be retired (no listeners).
  for (WorkerContext* w : runtime_.workers) {
    if (w == this && current() == this) {
      setAccepting(on);
    } else {
      w->worker_.post([on] {
        if (WorkerContext* c = current()) c->setAccepting(on);
      });
    }
  }
}

void WorkerContext::settleAccepting() {
  applyAccepting(runtime_.connections->load(std::memory_order_relaxed) < runtime_.maxconn);
}

void WorkerContext::applyAccepting(bool on) {
  accepting_ = on;
  for (auto& l : listeners_) {
    if (on) evconnlistener_enable(l->handle.get());
    else evconnlistener_disable(l->handle.get());
  }
}

void WorkerContext::warnMaxconnReached() {
  // The limit can be hit and left many times a second: one warning per 10s at most.
  static std::atomic<int64_t> lastWarningMs{-10000};
  if (!log::onceIn(lastWarningMs, 10000)) return;
  log::warning("maxconn={} reached, accepting paused until a connection closes", runtime_.maxconn);
}

void WorkerContext::setAccepting(bool on) {
  // Pause and resume messages from different workers arrive in no set order, and the count may
  // have crossed the limit again since either was sent: act only on what still holds. A stale
  // pause obeyed after the count fell would leave this listener's backlog waiting for a resume
  // that only the next fall from the limit sends, which may never come.
  const bool full = runtime_.connections->load(std::memory_order_relaxed) >= runtime_.maxconn;
  if (on == full || on == accepting_) return;
  applyAccepting(on);
  if (!on) warnMaxconnReached();
}

}  // namespace weir::proxy

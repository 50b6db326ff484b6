#pragma once
// Everything one worker owns: its listeners, client sessions, idle upstream connections,
// round-robin cursors and access-log buffer. Owned by one worker; other threads reach it only
// through the worker's post().

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "weir/base/c_handle.h"
#include "weir/event/worker.h"
#include "weir/log/access_log.h"
#include "weir/cache/response_cache.h"
#include "weir/proxy/runtime.h"
#include "weir/static/static_responder.h"
#include "weir/stats/counters.h"
#include "weir/stats/stats_service.h"
#include "weir/upstream/connection_pool.h"

namespace weir::proxy {

class ClientSession;
class DnsDiscovery;

class WorkerContext {
 public:
  /// `predecessor`: this worker's context of the generation a reload replaces; the new one
  /// shares its counters and response caches where the configs agree.
  WorkerContext(event::Worker& worker, Runtime& runtime, WorkerContext* predecessor = nullptr);
  ~WorkerContext();

  /// The context that takes new connections on the calling worker thread (null elsewhere).
  static WorkerContext* current();
  /// Makes this context the calling worker's current one (at start, and by activate()).
  void makeCurrent();
  /// A reload, on this worker's thread: this context takes over `old`'s listeners that the new
  /// config keeps (the same sockets: no connection is refused), closes the others, opens the
  /// new ones, and takes `old`'s idle connections; the rest move over when their current
  /// request is done (handOver), tunnels stay with `old` until they close.
  void activate(WorkerContext& old);
  /// Moves `session` (between two requests, of a retired context) to the current context;
  /// false when it cannot go on there (its frontend is gone, or weir is stopping): the caller
  /// closes it.
  bool handOver(ClientSession* session);
  bool retired() const { return retired_; }
  /// Stops DNS discovery; `done` runs on this worker once no lookup is in flight any more
  /// (at once when there is none). Before the loops stop, and when a reload retires this.
  void stopDiscovery(std::function<void()> done);
  /// Sessions still held (a retired context goes once its generation has none).
  size_t sessionCount() const { return sessions_.size(); }

  /// Opens this worker's SO_REUSEPORT listener for frontend `fe` on `addr`; when addr's port is
  /// 0 the chosen port is written back into `addr`. Call before the worker runs.
  bool listen(const FrontendRuntime& fe, BindRuntime& bind, std::string* error);
  /// From now on, this worker's handshakes on `bind` use `tls` (new certificates); those
  /// under way finish with the old ones.
  void useCertificates(const BindRuntime& bind, std::shared_ptr<const tls::TlsBind> tls);
  /// Graceful stop, on this worker's thread: its listeners close, idle connections close, and
  /// every other connection closes once its current response is out.
  void beginDrain();
  bool draining() const { return draining_; }

  event_base* base() const { return worker_.base(); }
  int index() const { return worker_.index(); }
  /// Runs `fn` on this worker's thread (from any thread).
  void post(std::function<void()> fn) { worker_.post(std::move(fn)); }
  event::Worker& worker() { return worker_; }
  Runtime& runtime() { return runtime_; }
  upstream::ConnectionPool& pool() { return pool_; }
  upstream::ServerPicker& picker(const upstream::Backend& b) { return pickers_[static_cast<size_t>(b.index())]; }
  log::AccessLog& accessLog() { return accessLog_; }
  /// This worker's copy of frontend `fe`'s rules (no RE2 state shared between workers).
  const route::Router& router(const FrontendRuntime& fe) const { return routers_[static_cast<size_t>(fe.index)]; }
  static_files::StaticResponder& staticResponder() { return staticResponder_; }
  /// This worker's share of response cache `index` (config.caches).
  cache::ResponseCache& responseCache(int index) { return *caches_[static_cast<size_t>(index)]; }
  /// This worker's shards of the traffic counters (read by the stats from any thread).
  stats::WorkerCounters& counters() { return counters_; }
  /// This worker's counters and its caches' counters back to 0 (on this worker's thread).
  void clearCounters();
  /// A server left its slot: close this worker's idle connections to it, zero its counters.
  void forgetServer(const upstream::Server& server);
  /// The stats listener's pages (only when the config has `stats`).
  stats::StatsService& statsService() { return *statsService_; }

  /// A libevent "common timeout" for `d`: every event of this worker with the same duration
  /// shares one queue, so arming and re-arming it is O(1) instead of a heap operation. Never
  /// null: past libevent's 256 common timeouts it is a plain one.
  const timeval* timeout(std::chrono::milliseconds d);

  /// Frees the session after the current callback returns (deferred delete).
  void closeSession(ClientSession* session);

  /// A number for a session, unique within this worker (queue tickets name sessions by it).
  uint64_t nextSessionId() { return ++lastSessionId_; }
  /// `session` waits under `id` for something another session hands over (a slot of a queued
  /// backend, a collapsed response) / no longer does.
  void addWaiting(uint64_t id, ClientSession* session) { waiting_[id] = session; }
  void removeWaiting(uint64_t id) { waiting_.erase(id); }
  /// Hands `response` to `waiter` on its worker (posted, even to this one, so the waiter never
  /// runs inside the leader's callback).
  void deliverCollapsed(const cache::CollapseWaiter& waiter, std::shared_ptr<const cache::CachedResponse> response);
  /// Hands a stats request's deferred reply to session `id` of this worker (on this thread).
  void deliverReply(uint64_t id, uint64_t request, const stats::StatsReply& reply);
  /// Gives back a slot of `server` (and its probe claim): when requests wait, the slot goes to
  /// the oldest that can use it instead.
  void releaseSlot(upstream::Backend& backend, upstream::Server& server, bool probe);
  /// Hands a held slot of `server` to the oldest waiter that can use it, or releases it.
  void handOff(upstream::Backend& backend, upstream::Server& server);
  /// Puts this context's listeners in line with the connection count against its maxconn.
  void settleAccepting();

 private:
  struct Listener {
    ListenerPtr handle;
    const FrontendRuntime* frontend;
    const BindRuntime* bind;
    std::shared_ptr<const tls::TlsBind> tls;  // this worker's reference: a reload swaps it here
    WorkerContext* context;
  };
  static void onAccept(evconnlistener*, evutil_socket_t fd, sockaddr* sa, int len, void* listener);
  static void onReap(evutil_socket_t, short, void* self);
  static void onSampleRates(evutil_socket_t, short, void* self);
  void accept(const Listener& listener, evutil_socket_t fd, sockaddr* sa, int len);
  static void onRotateTickets(evutil_socket_t, short, void* self);
  void setAccepting(bool on);
  void applyAccepting(bool on);  // the listeners and accepting_, unconditionally
  /// Takes `session` from another context of this worker (a reload), under `fe` of this one.
  void adopt(std::unique_ptr<ClientSession> session, const FrontendRuntime& fe);
  BindRuntime* bindLike(const FrontendRuntime& fe, const BindRuntime& bind);
  void shareWith(WorkerContext& old);
  /// Worker 0's part for the whole process: the rates, the ticket-key rotation, DNS discovery.
  void startProcessDuties(const WorkerContext* predecessor);
  void broadcastAccepting(bool on);
  void warnMaxconnReached();
  /// Delivers a slot of `server` to the worker holding `waiter`.
  void grant(upstream::Backend& backend, upstream::Server& server, const upstream::QueueWaiter& waiter);
  void onGrant(upstream::Backend& backend, upstream::Server& server, const upstream::QueueWaiter& waiter);

  event::Worker& worker_;
  Runtime& runtime_;
  upstream::ConnectionPool pool_;
  std::vector<upstream::ServerPicker> pickers_;  // by backend index
  std::vector<route::Router> routers_;           // by frontend index
  log::AccessLog accessLog_;
  static_files::StaticResponder staticResponder_;  // with this worker's open-file cache
  // By config.caches index: no lock, 1/N of the size each; shared with the previous generation's
  // context when the cache kept its name and sizes.
  std::vector<std::shared_ptr<cache::ResponseCache>> caches_;
  stats::WorkerCounters counters_;
  std::optional<stats::StatsService> statsService_;
  std::vector<std::unique_ptr<Listener>> listeners_;
  std::unordered_map<ClientSession*, std::unique_ptr<ClientSession>> sessions_;
  std::vector<std::unique_ptr<ClientSession>> graveyard_;
  EventPtr reaper_;
  EventPtr rateSampler_;  // worker 0, with the stats listener on: RateHistory once a second
  EventPtr ticketRotator_;  // worker 0: the session-ticket keys' next generation
  std::chrono::steady_clock::time_point nextTicketRotation_{};
  std::unique_ptr<DnsDiscovery> discovery_;  // worker 0, when a backend has servers found by DNS
  std::vector<std::pair<std::chrono::milliseconds, const timeval*>> commonTimeouts_;
  std::deque<timeval> plainTimeouts_;  // stable addresses for durations past libevent's table
  bool accepting_ = true;
  bool draining_ = false;
  bool retired_ = false;  // a reload replaced it: no listener, sessions move on or finish here
  uint64_t lastSessionId_ = 0;
  std::unordered_map<uint64_t, ClientSession*> waiting_;  // sessions waiting for a queue slot or a collapsed response
};

}  // namespace weir::proxy

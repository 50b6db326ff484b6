#pragma once
// DNS service discovery (`resolve: true`, `template`): each discovered server entry's name is
// looked up every `resolve_interval` with libevent's evdns, on worker 0's loop. Each address
// of the answer holds one of the entry's slots; an address that leaves the answer drains (no
// new requests, those in flight finish) and its slot is given back once none is left. This is
// what lets `docker compose --scale app=N` and headless Kubernetes services work without a
// reload.

#include <event2/dns.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "weir/base/c_handle.h"
#include "weir/event/worker.h"
#include "weir/net/address.h"
#include "weir/upstream/backend.h"

namespace weir::proxy {

class WorkerContext;

/// evdns_base_free, failing the lookups in flight unless that would call back into freed memory.
struct DnsBaseFree {
  bool failRequests = true;
  void operator()(evdns_base* base) const { evdns_base_free(base, failRequests ? 1 : 0); }
};

class DnsDiscovery {
 public:
  /// Null when no backend has a discovered server. On `ctx`'s thread, or before it runs.
  static std::unique_ptr<DnsDiscovery> create(WorkerContext& ctx);
  explicit DnsDiscovery(WorkerContext& ctx);
  /// Call stop() first and wait for it: freeing it with a lookup in flight would leave evdns
  /// a callback into freed memory, so that lookup is abandoned instead (a leak, never a crash).
  ~DnsDiscovery();
  /// No more lookups. `whenIdle` is posted to this worker once evdns has called back for every
  /// lookup in flight (cancelled ones answer too, a loop turn later): from then on this object
  /// may be freed.
  void stop(std::function<void()> whenIdle);
  DnsDiscovery(const DnsDiscovery&) = delete;
  DnsDiscovery& operator=(const DnsDiscovery&) = delete;

 private:
  struct Entry {
    DnsDiscovery* owner = nullptr;
    upstream::Backend* backend = nullptr;
    const upstream::Discovery* discovery = nullptr;
    std::string host;
    std::string port;
    EventPtr resolveTimer;
    EventPtr vacateTimer;  // while servers are leaving: looks again for their last request
    evdns_getaddrinfo_request* pending = nullptr;
    bool resolving = false;
    std::vector<upstream::Server*> leaving;  // out of the answer; waiting for their requests
    std::vector<net::Address> answer;        // the last one: retried as slots come free
    std::string lastAnswer;                  // logged when it changes
  };
  void finishStopping();

  static void onResolveTimer(evutil_socket_t, short, void* entry);
  static void onVacateTimer(evutil_socket_t, short, void* entry);
  static void onAnswer(int result, evutil_addrinfo* answer, void* entry);
  void resolve(Entry& e);
  /// Makes the entry's slots hold exactly `answer` (sorted, without duplicates).
  void apply(Entry& e, const std::vector<net::Address>& answer);
  void leave(Entry& e, upstream::Server& server);
  /// Gives back the slots of leaving servers that no request holds any more.
  void vacate(Entry& e);

  WorkerContext& ctx_;
  event::Worker& worker_;
  std::unique_ptr<evdns_base, DnsBaseFree> dns_;
  std::vector<std::unique_ptr<Entry>> entries_;
  bool stopping_ = false;
  std::function<void()> whenIdle_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work posted to the workers
};

}  // namespace weir::proxy

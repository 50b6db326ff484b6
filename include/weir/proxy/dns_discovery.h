#pragma once
// DNS service discovery (`resolve: true`, `template`): each discovered server entry's name is
// looked up every `resolve_interval` with libevent's evdns, on worker 0's loop. Each address
// of the answer holds one of the entry's slots; an address that leaves the answer drains (no
// new requests, those in flight finish) and its slot is given back once none is left. This is
// what lets `docker compose --scale app=N` and headless Kubernetes services work without a
// reload.

#include <event2/dns.h>

#include <memory>
#include <string>
#include <vector>

#include "weir/base/c_handle.h"
#include "weir/net/address.h"
#include "weir/upstream/backend.h"

namespace weir::proxy {

class WorkerContext;

class DnsDiscovery {
 public:
  /// Null when no backend has a discovered server. On `ctx`'s thread, or before it runs.
  static std::unique_ptr<DnsDiscovery> create(WorkerContext& ctx);
  explicit DnsDiscovery(WorkerContext& ctx);
  ~DnsDiscovery();
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
  struct DnsBaseDeleter {
    void operator()(evdns_base* base) const { evdns_base_free(base, 1); }
  };

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
  std::unique_ptr<evdns_base, DnsBaseDeleter> dns_;
  std::vector<std::unique_ptr<Entry>> entries_;
  bool stopping_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);  // for work posted to the workers
};

}  // namespace weir::proxy

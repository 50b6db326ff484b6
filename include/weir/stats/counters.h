#pragma once
// The traffic counters of frontends, backends and servers, as per-worker shards: each worker
// writes only its own (ShardCounter: no locked instruction, each shard on cache lines of its
// own), the stats renderers add the shards up on read. What the servers' shared atomics
// already count (health, failures, active requests) is not repeated here.

#include <array>
#include <cstdint>
#include <memory>
#include <vector>

#include "weir/base/shard_counter.h"
#include "weir/stats/latency_histogram.h"

namespace weir::stats {

/// HAProxy's hrsp_1xx .. hrsp_5xx and hrsp_other.
inline constexpr size_t kStatusClasses = 6;
inline size_t statusClass(int status) { return status >= 100 && status < 600 ? static_cast<size_t>(status / 100 - 1) : 5; }

struct alignas(64) FrontendShard {
  ShardCounter current;      // client connections open now (a gauge)
  ShardCounter connections;  // accepted
  ShardCounter requests;     // HTTP requests received (complete heads)
  ShardCounter bytesIn;      // from clients
  ShardCounter bytesOut;     // to clients
  ShardCounter denied;       // refused by a deny rule
  ShardCounter deniedConnections;  // closed at accept: maxconn_per_src
  ShardCounter requestErrors;  // malformed or timed-out requests
  ShardCounter intercepted;  // answered by weir itself: return, redirect, deny, static files, cache hits
  std::array<ShardCounter, kStatusClasses> responses;
  ShardCounter cacheLookups;
  ShardCounter cacheHits;

  /// Every counter back to 0 (not the gauge `current`). Only from the owning thread.
  void clear();
};

/// What backends and servers both count.
struct alignas(64) ExchangeShard {
  ShardCounter requests;  // sent to a server (HAProxy's sessions, stot)
  ShardCounter bytesIn;   // request bytes from clients
  ShardCounter bytesOut;  // response bytes to clients
  ShardCounter retries;
  ShardCounter redispatches;
  ShardCounter clientAborts;  // the client went away during the exchange
  ShardCounter serverAborts;  // the server went away during the exchange
  std::array<ShardCounter, kStatusClasses> responses;
  ShardCounter lastRequestMs;  // steady clock of the last request (the newest shard wins)
  ShardCounter queueMicros;    // summed over requests (averages: qtime, ctime)
  ShardCounter connectMicros;
  ShardCounter connects;       // requests that connected (the count of connectMicros)
  LatencyHistogram responseTime;  // request sent -> response head (Tr)
  LatencyHistogram totalTime;     // request head -> response done (Ta)

  void clear();
};

struct alignas(64) ServerShard {
  ExchangeShard exchange;
  ShardCounter selected;  // lbtot: times the balancer picked it

  void clear();
};

struct alignas(64) BackendShard {
  ExchangeShard exchange;
  ShardCounter cacheLookups;
  ShardCounter cacheHits;

  void clear();
};

/// Client connections by what they wait for (nginx's stub_status Reading / Waiting; the rest
/// are Writing: a request is being answered).
struct alignas(64) ConnectionShard {
  ShardCounter reading;  // a request head is awaited or arriving
  ShardCounter waiting;  // idle keep-alive, between requests
};

/// One worker's shards, by frontend index, backend index and server id. A reload's new
/// generation shares the shards of what it has in common with the old one (share()), so both
/// count into the same place while the old one's requests finish.
class WorkerCounters {
 public:
  WorkerCounters(size_t frontends, size_t backends, size_t servers);
  FrontendShard& frontend(int i) { return *frontends_[static_cast<size_t>(i)]; }
  BackendShard& backend(int i) { return *backends_[static_cast<size_t>(i)]; }
  ServerShard& server(int id) { return *servers_[static_cast<size_t>(id)]; }
  const FrontendShard& frontend(int i) const { return *frontends_[static_cast<size_t>(i)]; }
  const BackendShard& backend(int i) const { return *backends_[static_cast<size_t>(i)]; }
  const ServerShard& server(int id) const { return *servers_[static_cast<size_t>(id)]; }
  /// Each map gives, for an index of this generation, the same thing's index in `old` (-1:
  /// new); those shards become old's.
  struct SameAs {
    std::vector<int> frontends;
    std::vector<int> backends;
    std::vector<int> servers;
  };
  void share(WorkerCounters& old, const SameAs& same);
  /// Every counter of this worker back to 0, gauges excepted. Only from the owning thread.
  void clear();
  ConnectionShard& connections() { return *connections_; }
  const ConnectionShard& connections() const { return *connections_; }

 private:
  std::vector<std::shared_ptr<FrontendShard>> frontends_;
  std::vector<std::shared_ptr<BackendShard>> backends_;
  std::vector<std::shared_ptr<ServerShard>> servers_;
  std::shared_ptr<ConnectionShard> connections_ = std::make_shared<ConnectionShard>();
};

}  // namespace weir::stats

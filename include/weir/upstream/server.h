#pragma once
// One upstream server of a backend, shared by every worker.
// Thread-safe: the mutable part is `Shared`, atomics only; the rest is immutable after start.

#include <array>
#include <atomic>
#include <memory>
#include <cstdint>
#include <string>

#include "weir/config/config.h"
#include "weir/net/address.h"
#include "weir/upstream/server_health.h"

namespace weir::tls {
class ClientTls;
}

namespace weir::upstream {

/// What passive health counts against a server (nginx: proxy_next_upstream error/timeout/invalid_header).
enum class ServerFailure { kConnectError, kConnectTimeout, kResponseTimeout, kBadResponse, kClosed };
inline constexpr size_t kServerFailureKinds = 5;

/// What an operator set (HAProxy: `set server ... state ready|drain|maint`).
enum class AdminState : uint8_t {
  kReady,
  kDrain,  // no new requests; those in flight finish
  kMaint,  // no requests, no checks
};

/// Weights are scaled so that slow start can ramp a weight-1 server in steps.
inline constexpr int64_t kWeightScale = 16;

class Server {
 public:
  /// Cross-thread state. Relaxed ordering throughout: each field is an independent counter or
  /// deadline, read for decisions that tolerate a momentarily stale value.
  struct Shared {
    std::atomic<int32_t> fails{0};               // passive: failures in the current window
    std::atomic<int64_t> failWindowStartMs{0};   // passive: when the window began
    std::atomic<int64_t> downUntilMs{0};         // passive: unusable until this time
    std::atomic<bool> probeNeeded{false};        // passive: out; the next request is a probe
    std::atomic<bool> probeInFlight{false};      // passive: one request is probing
    std::atomic<int64_t> upSinceMs{0};           // slow start: when it came back; 0 = full weight
    std::array<std::atomic<uint64_t>, kServerFailureKinds> failures{};  // by ServerFailure
    std::atomic<uint64_t> downTransitions{0};    // times passive health took it out
    std::atomic<bool> checkDown{false};          // active health: the checks say DOWN
    std::atomic<AdminState> admin{AdminState::kReady};
    std::atomic<bool> checksDisabled{false};     // runtime API: active checks off for this server
    // A slot (spare_servers, or a removed server): false until the runtime API puts a server in
    // it. Set with release after the server's fields are written; readers acquire it first.
    std::atomic<bool> inUse{true};
    std::atomic<bool> slotFree{false};           // not in use, and no worker refers to it any more
    std::atomic<uint32_t> generation{0};         // +1 each time a new server takes the slot
  };

  /// What a new request may do with this server at a given time.
  enum class State { kUp, kDown, kProbe };

  Server(const config::ServerConfig& cfg, int index, int globalId);
  /// An empty slot for a server added at run time (`spare_servers`).
  static std::unique_ptr<Server> spareSlot(int index, int globalId, bool backup = false);
  /// Empty slot `slot` of a server found by DNS (`resolve`, `template`): named, weighted and
  /// with TLS as its config entry says; DnsDiscovery fills it with an address of the answer.
  static std::unique_ptr<Server> discoveredSlot(const config::ServerConfig& cfg, int slot, int index, int globalId);

  /// Whether a server occupies this slot (acquire: its name and address may be read then).
  bool inUse() const { return shared_.inUse.load(std::memory_order_acquire); }
  /// Puts a new server into this free slot: its name, address, weight and maxconn; every
  /// other state starts afresh (`checkDown`: it waits for its first check). From one thread
  /// at a time (the runtime API's), while the slot is free.
  void occupy(const std::string& name, const net::Address& address, int weight, int maxconn, bool checkDown);
  /// Puts the next address of a DNS answer into this free discovered slot: its name, weight
  /// and TLS stay the config entry's; every other state starts afresh, as occupy().
  void occupyDiscovered(const net::Address& address, bool checkDown);
  /// A reload: this server (the new config's) is `old` (the same backend, name, address and
  /// TLS): it takes over old's health (active and passive), admin state, a weight set at run
  /// time, failure counts and, for a discovered slot, the address it holds. Not the requests
  /// in flight: they finish on `old`. Before the workers use this server.
  void inherit(const Server& old);
  /// Whether a reload may treat `old` as this same server (see inherit()).
  bool sameAs(const Server& old) const;
  /// A slot of DNS discovery: the runtime API never puts its own servers there.
  bool discovered() const { return discovered_; }
  /// The config entry the server comes from; null for servers added at run time.
  const config::ServerConfig* config() const { return config_; }
  /// Takes the server out of the slot (it must be in maint) unless a request is in flight;
  /// the slot becomes free once every worker has let go of it (markFree()).
  bool tryVacate();
  void markFree() { shared_.slotFree.store(true, std::memory_order_release); }
  bool isFree() const { return shared_.slotFree.load(std::memory_order_acquire); }

  const std::string& name() const { return name_; }
  const net::Address& address() const { return address_; }
  /// The weight now (the runtime API may change it); configuredWeight() is the config's.
  int weight() const { return weight_.load(std::memory_order_relaxed); }
  int configuredWeight() const { return configuredWeight_; }
  /// 0..256; 0 takes the server out of the balancing as drain does. source's hash ring keeps
  /// the configured weights (rebuilding it would move clients between servers).
  void setWeight(int weight) { weight_.store(weight, std::memory_order_relaxed); }
  int maxconn() const { return maxconn_.load(std::memory_order_relaxed); }
  bool backup() const { return backup_; }
  int index() const { return index_; }        // position in its backend
  int globalId() const { return globalId_; }  // position among all servers of all backends

  /// Usable only when active checks, passive health and the admin state all agree.
  State state(int64_t nowMs) const;
  /// Usable for new requests at `nowMs`: up, or due for its probe request.
  bool usable(int64_t nowMs) const { return state(nowMs) != State::kDown; }
  /// Below maxconn (always true without one); a hint, tryAcquire decides.
  bool hasFreeSlot() const;
  /// The weight balancing uses: weight × kWeightScale, ramped linearly over slow start after
  /// the server came back (never below 1).
  int64_t effectiveWeight(int64_t nowMs) const;

  /// Takes one of the server's maxconn slots; with `probe` set, also claims the single probe
  /// request of a server coming back. False when the server is full or the probe is taken.
  bool tryAcquire(bool probe);
  /// Gives back a slot taken by tryAcquire (and the probe claim, if still held).
  void release(bool probe);

  /// nginx semantics: `maxFails` failures within `failTimeoutMs` take the server out for
  /// `failTimeoutMs`; then one request probes it (`probe`: this failure is the probe's, which
  /// takes it out again). maxFails == 0 disables passive health (the failure is still counted).
  void recordFailure(ServerFailure kind, int64_t nowMs, int maxFails, int64_t failTimeoutMs, bool probe = false);
  /// A complete response. When it answered the probe request (`probe`) the server is back, its
  /// failure count restarts and slow start begins; other successes change nothing (as nginx,
  /// they do not forgive failures within the window).
  void recordSuccess(int64_t nowMs, bool probe);

  uint64_t failures(ServerFailure kind) const {
    return shared_.failures[static_cast<size_t>(kind)].load(std::memory_order_relaxed);
  }
  /// Requests holding a slot (all workers; seq_cst). Shared with the server's predecessor in
  /// the previous config across a reload, so maxconn and leastconn see the requests of both.
  std::atomic<int32_t>& active() const { return *active_; }
  /// A DNS answer dropped it: it drains before its slot is given back (kept across a reload).
  bool leavingDns() const { return leavingDns_; }
  void setLeavingDns(bool leaving) { leavingDns_ = leaving; }
  Shared& shared() { return shared_; }
  const Shared& shared() const { return shared_; }
  ServerHealth& health() { return health_; }
  const ServerHealth& health() const { return health_; }
  /// Active health's verdict (from the checker thread): visible to every worker at once.
  void setCheckedUp(bool up, int64_t nowMs);

  /// TLS to this server (`ssl: true`), or null for plain HTTP. Set before the workers start.
  const tls::ClientTls* tls() const { return tls_.get(); }
  void setTls(std::shared_ptr<const tls::ClientTls> tls) { tls_ = std::move(tls); }

 private:
  std::string name_;
  net::Address address_;
  std::atomic<int> weight_;
  int configuredWeight_;
  std::atomic<int> maxconn_;
  bool backup_;
  bool discovered_ = false;
  const config::ServerConfig* config_ = nullptr;  // lives as long as the runtime's config
  int64_t slowstartMs_;
  int index_;
  int globalId_;
  Shared shared_;
  std::shared_ptr<std::atomic<int32_t>> active_ = std::make_shared<std::atomic<int32_t>>(0);
  bool leavingDns_ = false;  // written by DNS discovery under the runtime's serverSlotsMutex
  ServerHealth health_;
  std::shared_ptr<const tls::ClientTls> tls_;

  /// occupy()'s common part: passive and active health, admin state and failure counts start
  /// afresh, and the slot is published in use under a new generation.
  void startAfresh(bool checkDown);
};

}  // namespace weir::upstream

#include "weir/upstream/server.h"

#include <algorithm>

#include "weir/tls/client_tls.h"

namespace weir::upstream {

namespace {
constexpr auto kRelaxed = std::memory_order_relaxed;
// Slot counts are sequentially consistent with the queue length: a releaser that finds no
// waiter and a request that queues and looks again cannot both miss each other (on x86 this
// costs nothing more: the read-modify-writes are locked instructions either way).
constexpr auto kSlotOrder = std::memory_order_seq_cst;
}  // namespace

Server::Server(const config::ServerConfig& cfg, int index, int globalId)
    : name_(cfg.name),
      address_(cfg.address),
      weight_(cfg.weight),
      configuredWeight_(cfg.weight),
      maxconn_(cfg.maxconn),
      backup_(cfg.backup),
      config_(&cfg),
      slowstartMs_(cfg.slowstart.value_or(config::Millis(0)).count()),
      index_(index),
      globalId_(globalId) {}

std::unique_ptr<Server> Server::spareSlot(int index, int globalId, bool backup) {
  config::ServerConfig none;
  none.backup = backup;
  auto slot = std::make_unique<Server>(none, index, globalId);
  slot->config_ = nullptr;  // `none` is gone with this function
  slot->shared_.inUse.store(false, kRelaxed);
  slot->shared_.slotFree.store(true, kRelaxed);
  return slot;
}

std::unique_ptr<Server> Server::discoveredSlot(const config::ServerConfig& cfg, int slot, int index, int globalId) {
  auto server = std::make_unique<Server>(cfg, index, globalId);
  server->name_ = config::discoveredServerName(cfg, slot);
  server->discovered_ = true;
  server->shared_.inUse.store(false, kRelaxed);
  server->shared_.slotFree.store(true, kRelaxed);
  return server;
}

void Server::occupy(const std::string& name, const net::Address& address, int weight, int maxconn, bool checkDown) {
  config_ = nullptr;  // the slot may have held a server of the config
  name_ = name;
  address_ = address;
  weight_.store(weight, kRelaxed);
  configuredWeight_ = weight;
  maxconn_.store(maxconn, kRelaxed);
  tls_.reset();  // servers added at run time speak plain HTTP; the slot may have held a TLS one
  startAfresh(checkDown);
}

void Server::occupyDiscovered(const net::Address& address, bool checkDown) {
  address_ = address;
  leavingDns_ = false;
  weight_.store(configuredWeight_, kRelaxed);
  startAfresh(checkDown);
}

void Server::startAfresh(bool checkDown) {
  shared_.fails.store(0, kRelaxed);
  shared_.failWindowStartMs.store(0, kRelaxed);
  shared_.downUntilMs.store(0, kRelaxed);
  shared_.probeNeeded.store(false, kRelaxed);
  shared_.probeInFlight.store(false, kRelaxed);
  shared_.upSinceMs.store(0, kRelaxed);
  for (auto& f : shared_.failures) f.store(0, kRelaxed);
  shared_.downTransitions.store(0, kRelaxed);
  shared_.checkDown.store(checkDown, kRelaxed);
  shared_.admin.store(AdminState::kReady, kRelaxed);
  shared_.checksDisabled.store(false, kRelaxed);
  health_.reset(checkDown ? "DOWN" : "UP");
  shared_.slotFree.store(false, kRelaxed);
  shared_.generation.fetch_add(1, kRelaxed);
  shared_.inUse.store(true, std::memory_order_release);  // publishes everything above
}

bool Server::sameAs(const Server& old) const {
  if (!old.inUse() && !old.discovered_) return false;
  if ((config_ == nullptr) != (old.config_ == nullptr)) return false;
  if (old.name_ != name_ || old.discovered_ != discovered_ || old.backup_ != backup_) return false;
  // Added at run time (not in either config): the same when it has the same address.
  if (config_ == nullptr) return inUse() && old.address_.toString() == address_.toString();
  return old.config_->address_text == config_->address_text && old.config_->tls.enabled == config_->tls.enabled &&
         old.config_->tls.verify == config_->tls.verify && old.config_->tls.ca_file == config_->tls.ca_file &&
         old.config_->tls.sni == config_->tls.sni && old.config_->tls.alpn == config_->tls.alpn;
}

void Server::inherit(const Server& old) {
  const Shared& o = old.shared_;
  // A slot between its last request and being freed stays free here: DNS fills it again.
  if (discovered_ && old.inUse()) {  // the address DNS gave it, until the next answer says otherwise
    address_ = old.address_;
    leavingDns_ = old.leavingDns_;
    shared_.slotFree.store(false, kRelaxed);
    shared_.inUse.store(true, kRelaxed);
  }
  active_ = old.active_;
  // A weight changed at run time stays; otherwise the new config's applies.
  if (old.weight() != old.configuredWeight()) weight_.store(old.weight(), kRelaxed);
  shared_.fails.store(o.fails.load(kRelaxed), kRelaxed);
  shared_.failWindowStartMs.store(o.failWindowStartMs.load(kRelaxed), kRelaxed);
  shared_.downUntilMs.store(o.downUntilMs.load(kRelaxed), kRelaxed);
  shared_.probeNeeded.store(o.probeNeeded.load(kRelaxed), kRelaxed);
  shared_.upSinceMs.store(o.upSinceMs.load(kRelaxed), kRelaxed);
  for (size_t i = 0; i < kServerFailureKinds; ++i) shared_.failures[i].store(o.failures[i].load(kRelaxed), kRelaxed);
  shared_.downTransitions.store(o.downTransitions.load(kRelaxed), kRelaxed);
  shared_.checkDown.store(o.checkDown.load(kRelaxed), kRelaxed);
  shared_.admin.store(o.admin.load(kRelaxed), kRelaxed);
  shared_.checksDisabled.store(o.checksDisabled.load(kRelaxed), kRelaxed);
  health_.inherit(old.health_);
}

Server::State Server::state(int64_t nowMs) const {
  if (!shared_.inUse.load(std::memory_order_acquire)) return State::kDown;
  if (shared_.checkDown.load(kRelaxed) || shared_.admin.load(kRelaxed) != AdminState::kReady) return State::kDown;
  if (shared_.downUntilMs.load(kRelaxed) > nowMs) return State::kDown;
  return shared_.probeNeeded.load(kRelaxed) ? State::kProbe : State::kUp;
}

bool Server::hasFreeSlot() const {
  const int limit = maxconn_.load(kRelaxed);
  return limit == 0 || active_->load(kSlotOrder) < limit;
}

void Server::setCheckedUp(bool up, int64_t nowMs) {
  shared_.checkDown.store(!up, kRelaxed);
  // Back from a failed check: ramp up like a server back from passive health.
  if (up) shared_.upSinceMs.store(std::max<int64_t>(nowMs, 1), kRelaxed);
}

int64_t Server::effectiveWeight(int64_t nowMs) const {
  const int64_t full = int64_t{weight()} * kWeightScale;
  if (full == 0) return 0;  // weight 0: no new requests
  const int64_t since = shared_.upSinceMs.load(kRelaxed);
  if (slowstartMs_ <= 0 || since == 0 || nowMs - since >= slowstartMs_) return full;
  return std::max<int64_t>(1, full * std::max<int64_t>(0, nowMs - since) / slowstartMs_);
}

bool Server::tryAcquire(bool probe) {
  // The probe first: rolling back a slot would free it behind the queue's back.
  if (probe) {
    bool expected = false;
    if (!shared_.probeInFlight.compare_exchange_strong(expected, true, kRelaxed)) return false;
  }
  bool taken = true;
  if (maxconn_ == 0) {
    active_->fetch_add(1, kSlotOrder);
  } else {
    // A compare-exchange, not add-then-check: workers racing for the last slot never overshoot.
    int32_t n = active_->load(kSlotOrder);
    do {
      if (n >= maxconn_) {
        taken = false;
        break;
      }
    } while (!active_->compare_exchange_weak(n, n + 1, kSlotOrder));
  }
  // Removed meanwhile (tryVacate): its remover saw no request in flight, so none may start.
  if (taken && !shared_.inUse.load(kSlotOrder)) {
    active_->fetch_sub(1, kSlotOrder);
    taken = false;
  }
  if (!taken && probe) shared_.probeInFlight.store(false, kRelaxed);
  return taken;
}

bool Server::tryVacate() {
  // Out first, then count: with tryAcquire's count-then-check (both sequentially consistent),
  // either the request sees the server gone or the remover sees the request.
  shared_.inUse.store(false, kSlotOrder);
  if (active_->load(kSlotOrder) == 0) return true;
  shared_.inUse.store(true, kSlotOrder);
  return false;
}

void Server::release(bool probe) {
  active_->fetch_sub(1, kSlotOrder);
  // A probe that ended without a verdict (the client left) lets the next request probe.
  if (probe) shared_.probeInFlight.store(false, kRelaxed);
}

void Server::recordFailure(ServerFailure kind, int64_t nowMs, int maxFails, int64_t failTimeoutMs, bool probe) {
  shared_.failures[static_cast<size_t>(kind)].fetch_add(1, kRelaxed);
  if (maxFails <= 0) return;
  if (shared_.probeNeeded.load(kRelaxed)) {
    // Already out: only the probe's own failure restarts the wait (a request that began before
    // the server was taken out says nothing new). The probe claim is freed by its release.
    if (probe) shared_.downUntilMs.store(nowMs + failTimeoutMs, kRelaxed);
    return;
  }
  const int64_t windowStart = shared_.failWindowStartMs.load(kRelaxed);
  if (nowMs - windowStart > failTimeoutMs) {
    shared_.failWindowStartMs.store(nowMs, kRelaxed);
    shared_.fails.store(0, kRelaxed);
  }
  if (shared_.fails.fetch_add(1, kRelaxed) + 1 < maxFails) return;
  shared_.downUntilMs.store(nowMs + failTimeoutMs, kRelaxed);
  shared_.fails.store(0, kRelaxed);
  shared_.upSinceMs.store(0, kRelaxed);
  if (!shared_.probeNeeded.exchange(true, kRelaxed)) shared_.downTransitions.fetch_add(1, kRelaxed);
}

void Server::recordSuccess(int64_t nowMs, bool probe) {
  // As nginx: successes do not forgive failures within the window; only a probe's success
  // brings the server back (and slow start begins).
  if (!probe) return;
  shared_.probeInFlight.store(false, kRelaxed);
  if (shared_.probeNeeded.exchange(false, kRelaxed)) {
    shared_.fails.store(0, kRelaxed);
    shared_.upSinceMs.store(std::max<int64_t>(nowMs, 1), kRelaxed);
  }
}

}  // namespace weir::upstream

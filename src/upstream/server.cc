#include "weir/upstream/server.h"

namespace weir::upstream {

Server::Server(const config::ServerConfig& cfg, int index, int globalId)
    : name_(cfg.name),
      address_(cfg.address),
      weight_(cfg.weight),
      maxconn_(cfg.maxconn),
      backup_(cfg.backup),
      index_(index),
      globalId_(globalId) {}

void Server::recordFailure(int64_t nowMs, int maxFails, int64_t failTimeoutMs) {
  if (maxFails <= 0) return;
  int64_t windowStart = shared_.failWindowStartMs.load(std::memory_order_relaxed);
  if (nowMs - windowStart > failTimeoutMs) {
    shared_.failWindowStartMs.store(nowMs, std::memory_order_relaxed);
    shared_.fails.store(0, std::memory_order_relaxed);
  }
  if (shared_.fails.fetch_add(1, std::memory_order_relaxed) + 1 >= maxFails) {
    shared_.downUntilMs.store(nowMs + failTimeoutMs, std::memory_order_relaxed);
    shared_.fails.store(0, std::memory_order_relaxed);
  }
}

void Server::recordSuccess() {
  // Read first: on the hot path the counter is almost always 0 and a store would bounce the line.
  if (shared_.fails.load(std::memory_order_relaxed) != 0) shared_.fails.store(0, std::memory_order_relaxed);
}

}  // namespace weir::upstream

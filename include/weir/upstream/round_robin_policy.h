#pragma once
// Smooth weighted round-robin, as in nginx (ngx_http_upstream_round_robin.c): every pick adds
// each eligible server's weight to its current value, takes the largest, and subtracts the
// total from the winner. Over a cycle of sum(weights) picks each server is chosen exactly
// `weight` times, interleaved rather than in bursts.
//
// Pure: no I/O, no clock. Owned by one worker (each worker has its own cursor state).

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weir::upstream {

class RoundRobinPolicy {
 public:
  /// A policy over `size` servers; `startOffset` advances the cycle so that N workers do not
  /// all begin with the same server.
  RoundRobinPolicy(size_t size, int startOffset);

  /// Picks among the servers whose weightOf(i) is above 0 (0 = not eligible now); -1 when
  /// none is. Weights may change between picks (slow start): the sequence stays smooth.
  template <typename WeightOf>
  int pick(WeightOf&& weightOf) {
    int64_t total = 0;
    int best = -1;
    for (size_t i = 0; i < current_.size(); ++i) {
      const int64_t w = weightOf(static_cast<int>(i));
      if (w <= 0) continue;
      current_[i] += w;
      total += w;
      if (best < 0 || current_[i] > current_[static_cast<size_t>(best)]) best = static_cast<int>(i);
    }
    if (best >= 0) current_[static_cast<size_t>(best)] -= total;
    return best;
  }

  size_t size() const { return current_.size(); }

 private:
  std::vector<int64_t> current_;
};

}  // namespace weir::upstream

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
  /// `startOffset` advances the cycle so that N workers do not all begin with the same server.
  RoundRobinPolicy(std::vector<int> weights, int startOffset);

  /// Picks among the servers for which eligible(i) is true; -1 when none is.
  template <typename Eligible>
  int pick(Eligible&& eligible) {
    int64_t total = 0;
    int best = -1;
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (!eligible(static_cast<int>(i))) continue;
      current_[i] += weights_[i];
      total += weights_[i];
      if (best < 0 || current_[i] > current_[static_cast<size_t>(best)]) best = static_cast<int>(i);
    }
    if (best >= 0) current_[static_cast<size_t>(best)] -= total;
    return best;
  }

  size_t size() const { return weights_.size(); }

 private:
  std::vector<int> weights_;
  std::vector<int64_t> current_;
};

}  // namespace weir::upstream

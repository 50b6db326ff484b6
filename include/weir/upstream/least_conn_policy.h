#pragma once
// leastconn: the eligible server with the fewest active requests relative to its weight.
// Loads are compared by cross-multiplying (a.active × b.weight < b.active × a.weight), so no
// division rounds two different loads into a tie. Among equal loads the cursor rotates, so
// idle servers share the work round-robin instead of the first one taking it all.
//
// Pure: the active counts come from the caller (the servers' cross-worker atomics). Owned by
// one worker (the cursor is per worker).

#include <cstddef>
#include <cstdint>

namespace weir::upstream {

struct ServerLoad {
  int64_t active;  // requests in flight
  int64_t weight;  // effective weight; 0 = not eligible
};

class LeastConnPolicy {
 public:
  LeastConnPolicy(size_t size, int startOffset) : size_(size), cursor_(size ? static_cast<size_t>(startOffset) % size : 0) {}

  /// Picks among the servers whose loadOf(i).weight is above 0; -1 when none is.
  template <typename LoadOf>
  int pick(LoadOf&& loadOf) {
    int best = -1;
    ServerLoad bestLoad{0, 0};
    for (size_t k = 0; k < size_; ++k) {
      const size_t i = (cursor_ + k) % size_;
      const ServerLoad load = loadOf(static_cast<int>(i));
      if (load.weight <= 0) continue;
      if (best < 0 || load.active * bestLoad.weight < bestLoad.active * load.weight) {
        best = static_cast<int>(i);
        bestLoad = load;
      }
    }
    if (best >= 0) cursor_ = (static_cast<size_t>(best) + 1) % size_;
    return best;
  }

 private:
  size_t size_;
  size_t cursor_;
};

}  // namespace weir::upstream

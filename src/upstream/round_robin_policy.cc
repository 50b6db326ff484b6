#include "weir/upstream/round_robin_policy.h"

namespace weir::upstream {

RoundRobinPolicy::RoundRobinPolicy(std::vector<int> weights, int startOffset)
    : weights_(std::move(weights)), current_(weights_.size(), 0) {
  if (weights_.empty()) return;
  // Advancing by whole picks keeps the exact weight cycle; it only changes where we enter it.
  const int skip = startOffset % static_cast<int>(weights_.size());
  for (int i = 0; i < skip; ++i) pick([](int) { return true; });
}

}  // namespace weir::upstream

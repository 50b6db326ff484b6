#include "weir/upstream/round_robin_policy.h"

namespace weir::upstream {

RoundRobinPolicy::RoundRobinPolicy(size_t size, int startOffset) : current_(size, 0) {
  if (size == 0) return;
  // With equal weights, whole picks move the entry point of the cycle without changing it.
  const int skip = startOffset % static_cast<int>(size);
  for (int i = 0; i < skip; ++i) pick([](int) { return int64_t{1}; });
}

}  // namespace weir::upstream

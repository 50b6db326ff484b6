#include "support/descriptor_limit.h"

#include <algorithm>

namespace weir::test {

bool raiseDescriptorLimit(rlim_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_max < wanted) return false;
  limit.rlim_cur = std::max(limit.rlim_cur, wanted);
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

}  // namespace weir::test

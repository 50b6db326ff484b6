#include "weir/daemon/file_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "weir/base/log.h"

namespace weir::daemon {

void raiseDescriptorLimit(int maxconn) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  const rlim_t wanted = static_cast<rlim_t>(descriptorsFor(maxconn));
  if (limit.rlim_cur >= wanted) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    log::warning("cannot raise the descriptor limit from {}: {}", before, strerror(errno));
    limit.rlim_cur = before;
  } else if (limit.rlim_cur > before) {
    log::info("descriptor limit raised from {} to {} for maxconn={}", before, limit.rlim_cur, maxconn);
  }
  if (limit.rlim_cur < wanted)
    log::warning("descriptor limit {} is below the {} that maxconn={} needs; past about {} connections weir may run "
              "out of descriptors (raise LimitNOFILE= or ulimit -Hn)",
              limit.rlim_cur, wanted, maxconn, (limit.rlim_cur > 256 ? (limit.rlim_cur - 256) / 2 : 0));
}

}  // namespace weir::daemon

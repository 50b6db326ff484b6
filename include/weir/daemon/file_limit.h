#pragma once
// The descriptor limit a maxconn needs, as HAProxy computes it: weir raises its own soft limit
// (RLIMIT_NOFILE) up to the hard limit at start, so `maxconn: 20000` works without the user also
// raising `ulimit -n`, and warns when even the hard limit is too low.

namespace weir::daemon {

/// Descriptors for `maxconn` proxied connections: the client's and the server's sides, plus
/// listeners, logs, health checks and the workers' wake-up pipes.
inline long descriptorsFor(int maxconn) { return 2L * maxconn + 256; }

/// Raises the soft RLIMIT_NOFILE towards descriptorsFor(maxconn); logs what it did and warns
/// when the hard limit is lower than that.
void raiseDescriptorLimit(int maxconn);

}  // namespace weir::daemon

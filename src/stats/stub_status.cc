// nginx's stub_status page, for the tools and probes that read it.
#include <fmt/format.h>

#include "weir/stats/exports.h"

namespace weir::stats {

std::string renderStubStatus(const Snapshot& snap, uint64_t reading, uint64_t writing, uint64_t waiting) {
  // accepts = handled: weir never drops an accepted connection for lack of resources (over
  // maxconn it stops accepting instead).
  return fmt::format("Active connections: {} \nserver accepts handled requests\n {} {} {} \nReading: {} Writing: {} Waiting: {} \n",
                     snap.process.connections, snap.process.acceptedTotal, snap.process.acceptedTotal,
                     snap.process.requestsTotal, reading, writing, waiting);
}

}  // namespace weir::stats

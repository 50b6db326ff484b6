#include "backend_stats.h"

#include <fmt/format.h>

namespace weir::fake {

std::string BackendStats::toJson() const {
  return fmt::format(R"({{"connections":{},"requests":{},"open":{},"dropped":{},"idle_closed":{}}})",
                     connections.load(std::memory_order_acquire), requests.load(std::memory_order_acquire),
                     open.load(std::memory_order_acquire), dropped.load(std::memory_order_acquire),
                     idleClosed.load(std::memory_order_acquire));
}

}  // namespace weir::fake

#include "weir/upstream/health_counter.h"

#include <fmt/format.h>

namespace weir::upstream {

HealthCounter::HealthCounter(int rise, int fall, bool initUp) : rise_(rise), fall_(fall), health_(initUp ? rise + fall - 1 : 0) {}

HealthCounter::Change HealthCounter::onSuccess() {
  if (health_ >= top()) return Change::kNone;
  const bool wasUp = up();
  ++health_;
  if (health_ >= rise_) health_ = top();
  return !wasUp && up() ? Change::kWentUp : Change::kNone;
}

HealthCounter::Change HealthCounter::onFailure() {
  if (health_ > rise_) {
    --health_;  // still UP
    return Change::kNone;
  }
  const bool wasUp = up();
  health_ = 0;
  return wasUp ? Change::kWentDown : Change::kNone;
}

std::string HealthCounter::describe() const {
  if (up()) return health_ < top() ? fmt::format("UP, going down {}/{}", top() - health_, fall_) : "UP";
  return health_ > 0 ? fmt::format("DOWN, going up {}/{}", health_, rise_) : "DOWN";
}

std::chrono::milliseconds HealthCounter::nextDelay(std::chrono::milliseconds inter, std::chrono::milliseconds fastinter,
                                                   std::chrono::milliseconds downinter) const {
  if (changing()) return fastinter;
  return up() ? inter : downinter;
}

}  // namespace weir::upstream

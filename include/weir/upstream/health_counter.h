#pragma once
// HAProxy's health counter (src/check.c): one number per server in 0 … rise+fall−1, the server
// is UP at ≥ rise. A success adds one, and the one that reaches rise jumps to the top (so a
// server that just came up needs `fall` failures to go down again); a failure takes one away
// from an UP server, and the one that would go below rise drops it to 0 (DOWN). A DOWN server
// that fails again on its way up starts from 0. This hysteresis is what keeps a server from
// flapping on a single bad check.
//
// Pure: no clock, no I/O. Owned by the health checker's thread.

#include <chrono>
#include <string>

namespace weir::upstream {

class HealthCounter {
 public:
  enum class Change { kNone, kWentUp, kWentDown };

  /// `initUp`: starts at the top (UP) or at 0 (DOWN).
  HealthCounter(int rise, int fall, bool initUp);

  Change onSuccess();
  Change onFailure();

  bool up() const { return health_ >= rise_; }
  int value() const { return health_; }
  /// UP but not at the top, or DOWN but above 0: checked at `fastinter`.
  bool changing() const { return up() ? health_ < top() : health_ > 0; }
  /// "UP", "UP, going down 1/3", "DOWN", "DOWN, going up 1/2" (HAProxy's wording).
  std::string describe() const;
  /// How long until the next check: fastinter while changing, downinter while DOWN, else inter.
  std::chrono::milliseconds nextDelay(std::chrono::milliseconds inter, std::chrono::milliseconds fastinter,
                                      std::chrono::milliseconds downinter) const;

 private:
  int top() const { return rise_ + fall_ - 1; }

  int rise_;
  int fall_;
  int health_;
};

}  // namespace weir::upstream

#include "weir/base/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <string>

#include "weir/base/time_util.h"

namespace weir::log {
namespace {

std::atomic<Level> gMinLevel{Level::kInfo};

const char* levelName(Level level) {
  switch (level) {
    case Level::kDebug: return "debug";
    case Level::kInfo: return "info";
    case Level::kWarning: return "warning";
    case Level::kError: return "error";
  }
  return "?";
}

}  // namespace

bool onceIn(std::atomic<int64_t>& lastMs, int64_t periodMs) {
  const int64_t now = steadyNowMs();
  int64_t last = lastMs.load(std::memory_order_relaxed);
  return now - last >= periodMs && lastMs.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
  if (level < gMinLevel.load(std::memory_order_relaxed)) return;
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line = fmt::format("{} weir[{}] {}: {}\n", stamp, getpid(), levelName(level), message);
  // One write per line; a short write to stderr is not retried (the log must never block us).
  [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace weir::log

#pragma once
// Operational log (start-up, warnings, state changes) to stderr, one line per event.
// Each line goes out in one write(2), so lines from different workers never interleave.
// The access log is separate (log/access_log.h).

#include <fmt/format.h>

#include <atomic>
#include <cstdint>
#include <string_view>

namespace weir::log {

enum class Level { kDebug, kInfo, kWarning, kError };

void write(Level level, std::string_view message);

/// True at most once per `periodMs` for one `lastMs` (shared by every thread; start it at
/// -periodMs): for a warning a busy proxy could otherwise print thousands of times a second.
bool onceIn(std::atomic<int64_t>& lastMs, int64_t periodMs);

template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kInfo, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warning(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kWarning, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::kError, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace weir::log

#include "weir/upstream/connection_reuse.h"

#include <algorithm>
#include <charconv>

#include "weir/http/header_map.h"

namespace weir::upstream {

namespace {

/// Margin kept before the server's announced timeout: a request must reach the server well
/// before it decides to close.
constexpr std::chrono::milliseconds kServerTimeoutMargin{1000};

}  // namespace

bool mayReuse(const ExchangeEnd& end) {
  return end.requestSent && end.responseComplete && end.responseKeepAlive && end.responseVersionMinor == 1 &&
         !end.upgraded && !end.bytesLeft;
}

std::chrono::milliseconds idleBudget(std::chrono::milliseconds configured, std::string_view keepAliveHeader) {
  // Keep-Alive: timeout=5, max=100 (RFC 2068 19.7.1.1; what Apache and Node send).
  std::string_view rest = keepAliveHeader;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view param = http::trimOws(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const size_t eq = param.find('=');
    if (eq == std::string_view::npos || !http::equalsIgnoreCase(http::trimOws(param.substr(0, eq)), "timeout")) continue;
    const std::string_view value = http::trimOws(param.substr(eq + 1));
    long long seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) continue;  // malformed: ignored
    const auto announced = std::chrono::milliseconds(std::min<long long>(seconds, 86400) * 1000);
    return std::max(std::chrono::milliseconds(0), std::min(configured, announced - kServerTimeoutMargin));
  }
  return configured;
}

}  // namespace weir::upstream

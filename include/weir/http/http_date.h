#pragma once
// HTTP dates (RFC 9110 5.6.7): written as IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), read
// in all three forms a recipient must accept (IMF-fixdate, RFC 850, asctime).

#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace weir::http {

/// IMF-fixdate of `t` (seconds since the epoch, UTC).
std::string formatHttpDate(std::time_t t);
/// Seconds since the epoch, or nullopt when `text` is not an HTTP date.
std::optional<std::time_t> parseHttpDate(std::string_view text);

}  // namespace weir::http

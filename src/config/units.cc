#include "weir/config/units.h"

#include <array>
#include <charconv>
#include <limits>

namespace weir::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

constexpr uint64_t kSecond = 1000;
constexpr uint64_t kHour = 3600 * kSecond;
constexpr uint64_t kDay = 24 * kHour;
constexpr std::array kDurationUnits{
    Unit{"", 1},      Unit{"ms", 1},   Unit{"s", kSecond},    Unit{"m", 60 * kSecond},
    Unit{"h", kHour}, Unit{"d", kDay}, Unit{"y", 365 * kDay},
};
constexpr std::array kSizeUnits{
    Unit{"", 1},           Unit{"k", 1ULL << 10}, Unit{"K", 1ULL << 10}, Unit{"m", 1ULL << 20},
    Unit{"M", 1ULL << 20}, Unit{"g", 1ULL << 30}, Unit{"G", 1ULL << 30},
};

enum class ParseFailure { kNone, kEmpty, kNegative, kGarbage, kOverflow };

/// Digits followed by one of `units`; the product, checked for overflow against `max`.
template <size_t N>
ParseFailure parseScaled(std::string_view text, const std::array<Unit, N>& units, uint64_t max,
                         uint64_t* out) {
  if (text.empty()) return ParseFailure::kEmpty;
  if (text.front() == '-') return ParseFailure::kNegative;
  uint64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (end == text.data()) return ParseFailure::kGarbage;
  const std::string_view suffix(end, static_cast<size_t>(text.data() + text.size() - end));
  for (const Unit& unit : units) {
    if (unit.suffix != suffix) continue;
    if (ec == std::errc::result_out_of_range) return ParseFailure::kOverflow;
    if (number > max / unit.factor) return ParseFailure::kOverflow;
    *out = number * unit.factor;
    return ParseFailure::kNone;
  }
  return ParseFailure::kGarbage;
}

std::string describe(ParseFailure failure, std::string_view text, std::string_view what,
                     std::string_view units) {
  const std::string quoted = "'" + std::string(text) + "'";
  switch (failure) {
    case ParseFailure::kEmpty:
      return "empty " + std::string(what);
    case ParseFailure::kNegative:
      return quoted + " is negative";
    case ParseFailure::kOverflow:
      return quoted + " is too large";
    case ParseFailure::kGarbage:
    case ParseFailure::kNone:
      break;
  }
  return quoted + " is not a " + std::string(what) + " (use " + std::string(units) + ")";
}

}  // namespace

std::optional<std::chrono::milliseconds> parseDuration(std::string_view text, std::string* error) {
  using Rep = std::chrono::milliseconds::rep;
  uint64_t ms = 0;
  const auto max = static_cast<uint64_t>(std::numeric_limits<Rep>::max());
  const ParseFailure failure = parseScaled(text, kDurationUnits, max, &ms);
  if (failure != ParseFailure::kNone) {
    *error = describe(failure, text, "duration", "ms, s, m, h, d or y");
    return std::nullopt;
  }
  return std::chrono::milliseconds(static_cast<Rep>(ms));
}

std::optional<uint64_t> parseSize(std::string_view text, std::string* error) {
  uint64_t bytes = 0;
  const ParseFailure failure =
      parseScaled(text, kSizeUnits, std::numeric_limits<uint64_t>::max(), &bytes);
  if (failure != ParseFailure::kNone) {
    *error = describe(failure, text, "size", "k, m or g");
    return std::nullopt;
  }
  return bytes;
}

}  // namespace weir::config

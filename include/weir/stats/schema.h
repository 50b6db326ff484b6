#pragma once
// The one table of stats fields: HAProxy's CSV columns in HAProxy's order and meaning
// (management guide, 9.1), which rows each applies to, its nature for the JSON export, and
// its Prometheus name where HAProxy's exporter has one. CSV, JSON, Prometheus and the HTML
// page all render rows through this table, so a field cannot be in one and missing from
// another. Fields weir has no notion of are listed too, and render empty: never shifted.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "weir/stats/snapshot.h"

namespace weir::stats {

/// Which rows a field applies to (HAProxy's L/F/B/S marks; weir has no listener rows).
enum Scope : uint8_t { kFrontendScope = 1, kBackendScope = 2, kServerScope = 4, kAllScopes = 7 };

/// HAProxy's JSON "nature" tag.
enum class Nature { kName, kOutput, kGauge, kLimit, kMax, kRate, kCounter, kDuration, kAge, kAvg, kTime };

/// Empty (weir has no value for it), a number, or text.
using Value = std::variant<std::monostate, uint64_t, int64_t, std::string>;

struct PromName {
  std::string_view name;   // after haproxy_<scope>_ ; "" = not exported
  std::string_view label;  // extra label, e.g. code="2xx"; "" = none
  bool counter = false;    // TYPE counter, else gauge
  double scale = 1;        // multiply (ms -> seconds: 0.001)
};

struct Field {
  std::string_view name;  // the CSV column
  uint8_t scopes;
  Nature nature;
  std::string_view description;
  Value (*value)(const Row&);
  PromName prom{};
};

/// Every column of HAProxy 2.6's CSV, in order (the statistics of its modules, after a "-"
/// column, are left out: TLS and HTTP/2 are not weir's yet).
std::span<const Field> fields();

/// The value of `field` for `row`: empty when the field does not apply to the row's type.
Value fieldValue(const Field& field, const Row& row);

std::string_view natureName(Nature n);
uint8_t scopeOf(RowType t);

}  // namespace weir::stats

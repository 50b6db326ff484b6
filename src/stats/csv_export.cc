// HAProxy's CSV: "# " and the column names, then a line per row, every line ending with ','
// as HAProxy's do, so tools that split on commas find every column where HAProxy puts it.
#include <fmt/format.h>

#include "weir/stats/exports.h"
#include "weir/stats/schema.h"

namespace weir::stats {
namespace {

/// A value in a CSV cell: quoted (RFC 4180) only when it holds a comma, quote or line break.
void appendCell(std::string& out, const Value& v) {
  if (const auto* un = std::get_if<uint64_t>(&v)) {
    out += fmt::format_int(*un).c_str();
  } else if (const auto* sn = std::get_if<int64_t>(&v)) {
    out += fmt::format_int(*sn).c_str();
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    if (s->find_first_of(",\"\r\n") == std::string::npos) {
      out += *s;
      return;
    }
    out += '"';
    for (char c : *s) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
}

}  // namespace

bool shownWhenUpOnly(const Row& row) {
  return row.type != RowType::kServer || row.status.starts_with("UP") || row.status == "no check";
}

std::string renderCsv(const Snapshot& snap, const ExportOptions& options) {
  std::string out = "# ";
  for (const Field& f : fields()) out.append(f.name).append(",");
  out += '\n';
  for (const Row& row : snap.rows) {
    if (options.upOnly && !shownWhenUpOnly(row)) continue;
    for (const Field& f : fields()) {
      appendCell(out, fieldValue(f, row));
      out += ',';
    }
    out += '\n';
  }
  return out;
}

}  // namespace weir::stats

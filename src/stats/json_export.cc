// HAProxy's typed JSON (`show stat json`): an array per row, an object per field that has a
// value, each with its position, name, nature and typed value, so tools written for HAProxy's
// JSON read weir's as they are.
#include <fmt/format.h>

#include "weir/base/json_string.h"
#include "weir/stats/exports.h"
#include "weir/stats/schema.h"

namespace weir::stats {
namespace {

std::string_view objType(RowType t) {
  switch (t) {
    case RowType::kFrontend: return "Frontend";
    case RowType::kBackend: return "Backend";
    case RowType::kServer: return "Server";
  }
  return "Frontend";
}

/// HAProxy's origin tag: what kind of information the field is.
std::string_view origin(const Field& f, size_t pos) {
  if (pos < 2) return "Key";
  if (f.nature == Nature::kOutput) return "Status";
  if (f.nature == Nature::kLimit) return "Config";
  return "Metric";
}

/// HAProxy's scope tag: names and settings belong to the service, measurements to the process.
std::string_view scope(std::string_view origin) { return origin == "Key" || origin == "Config" ? "Service" : "Process"; }

void appendValue(std::string& out, const Value& v) {
  if (const auto* un = std::get_if<uint64_t>(&v)) {
    fmt::format_to(std::back_inserter(out), R"({{"type":"u64","value":{}}})", *un);
  } else if (const auto* sn = std::get_if<int64_t>(&v)) {
    fmt::format_to(std::back_inserter(out), R"({{"type":"s64","value":{}}})", *sn);
  } else if (const auto* s = std::get_if<std::string>(&v)) {
    out += R"({"type":"str","value":)";
    appendJsonString(*s, out);
    out += '}';
  }
}

}  // namespace

std::string renderJson(const Snapshot& snap, const ExportOptions& options) {
  std::string out = "[";
  bool firstRow = true;
  const std::span<const Field> all = fields();
  for (const Row& row : snap.rows) {
    if (options.upOnly && !shownWhenUpOnly(row)) continue;
    out += firstRow ? "\n[" : ",\n[";
    firstRow = false;
    bool firstField = true;
    for (size_t pos = 0; pos < all.size(); ++pos) {
      const Value v = fieldValue(all[pos], row);
      if (std::holds_alternative<std::monostate>(v)) continue;  // as HAProxy: fields without a value are left out
      if (!firstField) out += ',';
      firstField = false;
      fmt::format_to(std::back_inserter(out),
                     R"({{"objType":"{}","proxyId":{},"id":{},"field":{{"pos":{},"name":"{}"}},"processNum":1,)"
                     R"("tags":{{"origin":"{}","nature":"{}","scope":"{}"}},"value":)",
                     objType(row.type), row.iid, row.sid, pos, all[pos].name, origin(all[pos], pos),
                     natureName(all[pos].nature), scope(origin(all[pos], pos)));
      appendValue(out, v);
      out += '}';
    }
    out += ']';
  }
  out += "\n]\n";
  return out;
}

}  // namespace weir::stats

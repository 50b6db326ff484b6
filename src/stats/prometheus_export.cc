// The Prometheus text exposition (format 0.0.4): HAProxy's exporter families where the meaning
// is the same (so its Grafana dashboards work), taken from the field table, plus weir's own
// response-time histograms. Families are grouped (one HELP and TYPE each), labels escaped.
#include <fmt/format.h>

#include <algorithm>

#include "weir/stats/exports.h"
#include "weir/stats/schema.h"

namespace weir::stats {
namespace {

std::string_view scopeName(RowType t) {
  switch (t) {
    case RowType::kFrontend: return "frontend";
    case RowType::kBackend: return "backend";
    case RowType::kServer: return "server";
  }
  return "frontend";
}

void appendLabelValue(std::string& out, std::string_view v) {
  for (char c : v) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
}

std::string labels(const Row& row, std::string_view extra) {
  std::string out = "{proxy=\"";
  appendLabelValue(out, row.pxname);
  out += '"';
  if (row.type == RowType::kServer) {
    out += ",server=\"";
    appendLabelValue(out, row.svname);
    out += '"';
  }
  if (!extra.empty()) out.append(",").append(extra);
  out += '}';
  return out;
}

void appendNumber(std::string& out, double v) {
  if (v == static_cast<double>(static_cast<int64_t>(v))) out += fmt::format_int(static_cast<int64_t>(v)).c_str();
  else fmt::format_to(std::back_inserter(out), "{}", v);
}

void family(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(std::back_inserter(out), "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

/// One family per (scope, Prometheus name) of the field table, in table order.
void fieldFamilies(std::string& out, const Snapshot& snap, RowType type) {
  std::vector<std::string_view> done;
  for (const Field& f : fields()) {
    if (f.prom.name.empty() || (f.scopes & scopeOf(type)) == 0) continue;
    if (std::find(done.begin(), done.end(), f.prom.name) != done.end()) continue;
    done.push_back(f.prom.name);
    const std::string name = fmt::format("haproxy_{}_{}", scopeName(type), f.prom.name);
    family(out, name, f.prom.counter ? "counter" : "gauge", f.description);
    // Every field sharing the name (http_responses_total by code) goes in this family.
    for (const Row& row : snap.rows) {
      if (row.type != type) continue;
      for (const Field& g : fields()) {
        if (g.prom.name != f.prom.name || (g.scopes & scopeOf(type)) == 0) continue;
        const Value v = fieldValue(g, row);
        double number = 0;
        if (const auto* un = std::get_if<uint64_t>(&v)) number = static_cast<double>(*un);
        else if (const auto* sn = std::get_if<int64_t>(&v)) number = static_cast<double>(*sn);
        else continue;
        out.append(name).append(labels(row, g.prom.label)).append(" ");
        appendNumber(out, number * g.prom.scale);
        out += '\n';
      }
    }
  }
}

/// haproxy_<scope>_status: one series per state, 1 for the current one (HAProxy 2.4+).
void statusFamily(std::string& out, const Snapshot& snap, RowType type) {
  static const std::vector<std::string_view> kServerStates{"DOWN", "UP", "MAINT", "DRAIN", "NOLB"};
  static const std::vector<std::string_view> kBackendStates{"DOWN", "UP"};
  const auto& states = type == RowType::kServer ? kServerStates : kBackendStates;
  const std::string name = fmt::format("haproxy_{}_status", scopeName(type));
  family(out, name, "gauge", "current status, one series per state (1 = in it)");
  for (const Row& row : snap.rows) {
    if (row.type != type) continue;
    // "UP 1/3" counts as UP, "DOWN 1/2" as DOWN, a server without checks as UP unless passive health took it out.
    const std::string_view current = row.status.starts_with("DOWN") ? "DOWN" : row.status.starts_with("UP") || row.status == "no check" ? "UP" : std::string_view(row.status);
    for (std::string_view s : states)
      out.append(name).append(labels(row, fmt::format("state=\"{}\"", s))).append(current == s ? " 1\n" : " 0\n");
  }
}

void histogramFamily(std::string& out, const Snapshot& snap, RowType type, std::string_view metric, std::string_view help,
                     LatencyHistogram::Totals Row::*totals) {
  const std::string name = fmt::format("weir_{}_{}", scopeName(type), metric);
  family(out, name, "histogram", help);
  static const uint64_t kLe[] = {500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};
  for (const Row& row : snap.rows) {
    if (row.type != type) continue;
    const LatencyHistogram::Totals& h = row.*totals;
    uint64_t all = 0;
    for (uint64_t b : h.buckets) all += b;
    for (uint64_t le : kLe) {
      out.append(name).append("_bucket").append(labels(row, fmt::format("le=\"{}\"", static_cast<double>(le) / 1e6)));
      fmt::format_to(std::back_inserter(out), " {}\n", h.countAtMost(le));
    }
    out.append(name).append("_bucket").append(labels(row, "le=\"+Inf\""));
    fmt::format_to(std::back_inserter(out), " {}\n", all);
    out.append(name).append("_sum").append(labels(row, "")).append(" ");
    appendNumber(out, static_cast<double>(h.sumMicros) / 1e6);
    out += '\n';
    out.append(name).append("_count").append(labels(row, ""));
    fmt::format_to(std::back_inserter(out), " {}\n", all);
  }
}

}  // namespace

std::string renderPrometheus(const Snapshot& snap) {
  std::string out;
  const ProcessInfo& p = snap.process;
  const auto gauge = [&](std::string_view name, std::string_view help, double v) {
    family(out, name, "gauge", help);
    out.append(name).append(" ");
    appendNumber(out, v);
    out += '\n';
  };
  gauge("haproxy_process_nbthread", "worker threads", p.threads);
  gauge("haproxy_process_current_connections", "client connections open now", static_cast<double>(p.connections));
  gauge("haproxy_process_max_connections", "global.maxconn", static_cast<double>(p.maxconn));
  gauge("haproxy_process_start_time_seconds", "start time, seconds since the epoch", static_cast<double>(p.startUnix));
  family(out, "weir_build_info", "gauge", "weir's version");
  fmt::format_to(std::back_inserter(out), "weir_build_info{{version=\"{}\"}} 1\n", p.version);
  for (RowType type : {RowType::kFrontend, RowType::kBackend, RowType::kServer}) {
    if (type != RowType::kFrontend) statusFamily(out, snap, type);
    fieldFamilies(out, snap, type);
  }
  for (RowType type : {RowType::kBackend, RowType::kServer}) {
    histogramFamily(out, snap, type, "response_time_seconds", "time from the request sent to the response head (Tr)",
                    &Row::responseTime);
    histogramFamily(out, snap, type, "total_time_seconds", "time from the request head to the response's end (Ta)",
                    &Row::totalTime);
  }
  return out;
}

}  // namespace weir::stats

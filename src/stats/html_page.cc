// The dashboard, in the shape HAProxy users know: a table per frontend (its FRONTEND row) and
// per backend (a row per server, then BACKEND), grouped columns (Queue, Session rate, Sessions,
// Bytes, Denied, Errors, Warnings, Server, HTTP responses), and beyond HAProxy: cache hits,
// response-time percentiles from histograms, a requests/s sparkline of the last five minutes
// (inline SVG) and each server's recent UP/DOWN changes with their reasons. Server-rendered;
// the refresh is a <meta> tag, so it all works without JavaScript. Every field of the CSV is
// also under each row's "all fields".
#include <fmt/chrono.h>
#include <fmt/format.h>

#include <ctime>

#include "weir/stats/exports.h"
#include "weir/stats/rate_history.h"
#include "weir/stats/schema.h"

namespace weir::stats {
namespace {

void escape(std::string& out, std::string_view s) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
}

std::string esc(std::string_view s) {
  std::string out;
  escape(out, s);
  return out;
}

std::string num(uint64_t v) { return fmt::format("{}", v); }
std::string num(const std::optional<uint64_t>& v) { return v ? num(*v) : std::string(); }

std::string bytes(uint64_t v) {
  if (v < 10 * 1024) return fmt::format("{}", v);
  if (v < 10 * 1024 * 1024) return fmt::format("{:.1f}K", static_cast<double>(v) / 1024);
  if (v < 10ULL * 1024 * 1024 * 1024) return fmt::format("{:.1f}M", static_cast<double>(v) / (1024 * 1024));
  return fmt::format("{:.1f}G", static_cast<double>(v) / (1024.0 * 1024 * 1024));
}

std::string duration(int64_t seconds) {
  if (seconds < 0) return "";
  if (seconds < 60) return fmt::format("{}s", seconds);
  if (seconds < 3600) return fmt::format("{}m{}s", seconds / 60, seconds % 60);
  if (seconds < 86400) return fmt::format("{}h{}m", seconds / 3600, seconds / 60 % 60);
  return fmt::format("{}d{}h", seconds / 86400, seconds / 3600 % 24);
}

std::string millis(double micros) {
  if (micros <= 0) return "";
  return micros < 10'000 ? fmt::format("{:.1f}", micros / 1000) : fmt::format("{:.0f}", micros / 1000);
}

/// The row's colour class, as HAProxy's page: green up, red down, yellow/orange on the way,
/// blue maintenance, grey without checks.
std::string_view stateClass(const Row& row) {
  if (row.type == RowType::kFrontend) return "open";
  const std::string& s = row.status;
  if (s == "MAINT") return "maint";
  if (s == "DRAIN") return "drain";
  if (s == "no check") return row.backup ? "nocheck backup" : "nocheck";
  if (s.starts_with("DOWN ")) return "goingup";
  if (s.starts_with("UP ")) return "goingdown";
  if (s.starts_with("DOWN")) return "down";
  return row.backup ? "up backup" : "up";
}

std::string sparkline(const std::vector<uint32_t>& values) {
  if (values.size() < 2) return "";
  constexpr int kWidth = 120, kHeight = 22;
  uint32_t top = 1;
  for (uint32_t v : values) top = std::max(top, v);
  std::string points;
  const double step = static_cast<double>(kWidth) / static_cast<double>(RateHistory::kSeconds - 1);
  const double x0 = static_cast<double>(kWidth) - step * static_cast<double>(values.size() - 1);
  for (size_t i = 0; i < values.size(); ++i) {
    const double y = kHeight - 1 - (kHeight - 2) * static_cast<double>(values[i]) / top;
    fmt::format_to(std::back_inserter(points), "{:.1f},{:.1f} ", x0 + step * static_cast<double>(i), y);
  }
  return fmt::format(R"(<svg class="spark" width="{}" height="{}" viewBox="0 0 {} {}" role="img" aria-label="requests per second, last {} s, peak {}"><polyline points="{}"/></svg>)",
                     kWidth, kHeight, kWidth, kHeight, values.size(), top, points);
}

void allFields(std::string& out, const Row& row) {
  out += "<details class=\"fields\"><summary>all fields</summary><dl>";
  for (const Field& f : fields()) {
    const Value v = fieldValue(f, row);
    std::string text;
    if (const auto* un = std::get_if<uint64_t>(&v)) text = num(*un);
    else if (const auto* sn = std::get_if<int64_t>(&v)) text = fmt::format("{}", *sn);
    else if (const auto* s = std::get_if<std::string>(&v)) text = *s;
    else continue;
    fmt::format_to(std::back_inserter(out), "<dt title=\"{}\">{}</dt><dd>{}</dd>", esc(f.description), f.name, esc(text));
  }
  out += "</dl></details>";
}

void historyCell(std::string& out, const Row& row) {
  if (row.history.empty()) return;
  out += "<details class=\"why\"><summary>";
  const upstream::HealthTransition& last = row.history.back();
  fmt::format_to(std::back_inserter(out), "{} {}", esc(last.to), esc(last.reason));
  out += "</summary><ol reversed>";
  for (auto it = row.history.rbegin(); it != row.history.rend(); ++it) {
    const std::time_t t = static_cast<std::time_t>(it->atUnixMs / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    fmt::format_to(std::back_inserter(out), "<li>{:%Y-%m-%d %H:%M:%S} UTC: {}, {}</li>", tm, esc(it->to), esc(it->reason));
  }
  out += "</ol></details>";
}

/// The server's admin forms (state, weight): plain POST forms carrying the page's CSRF token.
void adminCell(std::string& out, const Row& row, const PageOptions& options) {
  out += "<td class=\"admin\">";
  if (row.type == RowType::kServer && !options.adminToken.empty()) {
    const std::string hidden = fmt::format(
        R"(<input type="hidden" name="csrf" value="{}"><input type="hidden" name="backend" value="{}"><input type="hidden" name="server" value="{}">)",
        esc(options.adminToken), esc(row.pxname), esc(row.svname));
    out += fmt::format(R"(<form method="post" action="{}/api/server/state">{}<select name="state" aria-label="state">)",
                       esc(options.uri), hidden);
    for (std::string_view s : {"ready", "drain", "maint"})
      out += fmt::format("<option{}>{}</option>", row.adminState == s ? " selected" : "", s);
    out += "</select><button>set</button></form>";
    out += fmt::format(R"(<form method="post" action="{}/api/server/weight">{}<input name="weight" size="3" value="{}" aria-label="weight"><button>weight</button></form>)",
                       esc(options.uri), hidden, row.weight.value_or(0));
  }
  out += "</td>";
}

void rowHtml(std::string& out, const Row& row, const PageOptions& options) {
  const bool server = row.type == RowType::kServer;
  const bool frontend = row.type == RowType::kFrontend;
  fmt::format_to(std::back_inserter(out), "<tr class=\"{}{}\">", stateClass(row),
                 server ? "" : (frontend ? " total frontend" : " total backend"));
  fmt::format_to(std::back_inserter(out), "<th class=\"name\">{}", esc(row.svname));
  allFields(out, row);
  out += "</th>";
  const auto td = [&](const std::string& v) { fmt::format_to(std::back_inserter(out), "<td>{}</td>", v); };
  // Queue
  td(frontend ? "" : num(row.qcur)); td(frontend ? "" : num(row.qmax)); td(num(row.qlimit));
  // Session rate
  td(num(row.rate)); td(num(row.rateMax));
  // Sessions
  td(num(row.scur)); td(num(row.smax)); td(num(row.slim)); td(num(row.stot)); td(frontend ? "" : num(row.lbtot));
  td(frontend || !row.lastsess ? "" : duration(*row.lastsess));
  // Bytes
  td(bytes(row.bin)); td(bytes(row.bout));
  // Denied
  td(server ? "" : num(row.dreq)); td(num(row.dresp));
  // Errors
  td(frontend ? num(row.ereq) : ""); td(frontend ? "" : num(row.econ)); td(frontend ? "" : num(row.eresp));
  // Warnings
  td(frontend ? "" : num(row.wretr)); td(frontend ? "" : num(row.wredis));
  // Server
  std::string status = esc(row.statusDetail.empty() ? row.status : row.statusDetail);
  if (!frontend && row.lastchg) status = fmt::format("{} {}", duration(*row.lastchg), status);
  td(status);
  std::string check;
  if (server && row.checked) {
    check = esc(row.checkStatus);
    if (row.checkCode) check += fmt::format("/{}", *row.checkCode);
    if (row.checkDuration) check += fmt::format(" in {}ms", *row.checkDuration);
  }
  out += fmt::format("<td title=\"{}\">{}</td>", esc(row.checkDesc), check);
  td(num(row.weight)); td(server ? (row.backup ? "-" : "Y") : num(row.act)); td(server ? (row.backup ? "Y" : "-") : num(row.bck));
  td(num(row.chkfail)); td(num(row.chkdown)); td(row.downtime && !frontend ? duration(*row.downtime) : "");
  td(row.throttle ? fmt::format("{}%", *row.throttle) : "");
  // HTTP responses
  for (uint64_t n : row.hrsp) td(num(n));
  // Cache
  td(server ? "" : num(row.cacheHits)); td(server ? "" : num(row.cacheLookups));
  // Latency (from the histogram of response times)
  td(millis(row.responseTime.quantileMicros(0.50)));
  td(millis(row.responseTime.quantileMicros(0.95)));
  td(millis(row.responseTime.quantileMicros(0.99)));
  // Requests per second, last minutes
  td(sparkline(row.requestsPerSecond));
  out += "<td class=\"why\">";
  historyCell(out, row);
  out += "</td>";
  if (!options.adminToken.empty()) adminCell(out, row, options);
  out += "</tr>\n";
}

constexpr std::string_view kHeadFormat = R"(<tr class="groups"><th rowspan="2"></th><th colspan="3">Queue</th><th colspan="2">Session rate</th><th colspan="6">Sessions</th><th colspan="2">Bytes</th><th colspan="2">Denied</th><th colspan="3">Errors</th><th colspan="2">Warnings</th><th colspan="9">Server</th><th colspan="6">HTTP responses</th><th colspan="2">Cache</th><th colspan="3">Response ms</th><th rowspan="2">Req/s, 5 min</th><th rowspan="2">Last changes</th>{}</tr>
<tr class="cols"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th><th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th><th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th><th>1xx</th><th>2xx</th><th>3xx</th><th>4xx</th><th>5xx</th><th>other</th><th>Hits</th><th>Lookups</th><th>p50</th><th>p95</th><th>p99</th></tr>
)";

constexpr std::string_view kStyle = R"(<style>
body{font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2430;background:#f4f6f9}
header{background:#1f2a44;color:#fff;padding:12px 20px;display:flex;flex-wrap:wrap;gap:8px 28px;align-items:baseline}
header h1{font-size:18px;margin:0 12px 0 0}header .info span{margin-right:18px;opacity:.9}header a{color:#9cc3ff}
main{padding:14px 20px}
section{margin:0 0 18px;background:#fff;border:1px solid #d8dde6;border-radius:6px;overflow-x:auto}
section h2{font-size:14px;margin:0;padding:7px 10px;background:#e8edf5;border-bottom:1px solid #d8dde6}
section h2 small{font-weight:normal;color:#566}
table{border-collapse:collapse;width:100%;white-space:nowrap}
th,td{padding:3px 6px;border:1px solid #e3e7ee;text-align:right;font-variant-numeric:tabular-nums}
tr.groups th{background:#f0f3f8;text-align:center}tr.cols th{background:#f7f9fc;font-weight:600;text-align:center}
th.name{text-align:left;font-weight:600}
tr.up td,tr.up th.name{background:#e3f5e1}tr.up.backup td,tr.up.backup th.name{background:#dfeefb}
tr.down td,tr.down th.name{background:#f9d9d9}tr.goingdown td,tr.goingdown th.name{background:#fdf0c8}
tr.goingup td,tr.goingup th.name{background:#fde2c4}tr.maint td,tr.maint th.name{background:#d8e3f7}
tr.drain td,tr.drain th.name{background:#ece0f7}tr.nocheck td,tr.nocheck th.name{background:#eef0f3}
tr.total td,tr.total th.name{background:#dde3ee;font-weight:600}tr.open td,tr.open th.name{background:#e8f0fb}
.spark polyline{fill:none;stroke:#2f6fd6;stroke-width:1.4}
details{text-align:left;font-weight:normal}details.fields summary{font-size:10px;color:#789;cursor:pointer}
details.fields dl{display:grid;grid-template-columns:auto auto;gap:0 10px;margin:4px 0;font-size:11px}
details.fields dt{color:#566}details.fields dd{margin:0}
td.why{text-align:left;max-width:280px;white-space:normal;font-size:12px}td.why ol{margin:2px 0;padding-left:18px}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;margin:0 0 14px;font-size:12px}
.legend span{padding:2px 8px;border:1px solid #d8dde6;border-radius:3px}
td.admin form,.legend form{display:inline-flex;gap:3px;align-items:center;margin:0 6px 0 0}td.admin{text-align:left}
</style>)";

}  // namespace

std::string renderHtml(const Snapshot& snap, const PageOptions& options) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  if (options.refreshSeconds > 0) fmt::format_to(std::back_inserter(out), "<meta http-equiv=\"refresh\" content=\"{}\">", options.refreshSeconds);
  out += "<title>weir statistics</title>";
  out += kStyle;
  out += "</head><body><header><h1>weir statistics</h1><div class=\"info\">";
  const ProcessInfo& p = snap.process;
  fmt::format_to(std::back_inserter(out),
                 "<span>version <b>{}</b></span><span>uptime <b>{}</b></span><span>threads <b>{}</b></span>"
                 "<span>connections <b>{}</b> / maxconn <b>{}</b></span><span>accepted <b>{}</b></span>"
                 "<span>requests <b>{}</b></span>",
                 esc(p.version), duration(p.uptimeSeconds), p.threads, p.connections, p.maxconn, p.acceptedTotal,
                 p.requestsTotal);
  const std::string uri = esc(options.uri);
  fmt::format_to(std::back_inserter(out),
                 "</div><nav><a href=\"{0};csv\">CSV</a> · <a href=\"{0};json\">JSON</a> · <a href=\"{1}\">Prometheus</a> · "
                 "<a href=\"{0}{2}{3}\">{4}</a> · <a href=\"{0}{5}{6}\">{7}</a></nav></header><main>",
                 uri, esc(options.metricsUri), options.upOnly ? "" : ";up", options.refreshSeconds > 0 ? "" : ";norefresh",
                 options.upOnly ? "show all servers" : "hide servers that are not up", options.upOnly ? ";up" : "",
                 options.refreshSeconds > 0 ? ";norefresh" : "",
                 options.refreshSeconds > 0 ? fmt::format("stop refreshing (every {}s)", options.refreshSeconds) : "refresh");
  out += "<div class=\"legend\"><span class=\"l-up\" style=\"background:#e3f5e1\">UP</span>"
         "<span style=\"background:#fdf0c8\">UP, going down</span><span style=\"background:#fde2c4\">DOWN, going up</span>"
         "<span style=\"background:#f9d9d9\">DOWN</span><span style=\"background:#dfeefb\">backup UP</span>"
         "<span style=\"background:#ece0f7\">DRAIN</span><span style=\"background:#d8e3f7\">MAINT</span>"
         "<span style=\"background:#eef0f3\">no active check</span></div>\n";
  if (!options.adminToken.empty()) {
    const std::string token = esc(options.adminToken);
    fmt::format_to(std::back_inserter(out),
                   R"(<div class="legend"><form method="post" action="{0}/api/cache/purge"><input type="hidden" name="csrf" value="{1}">)"
                   R"(purge cache <input name="cache" size="8" aria-label="cache"> path <input name="path" size="20" value="/" aria-label="path">)"
                   R"( <label><input type="checkbox" name="prefix" value="true">prefix</label> <button>purge</button></form>)"
                   R"(<form method="post" action="{0}/api/counters/clear"><input type="hidden" name="csrf" value="{1}"><button>clear counters</button></form></div>)",
                   uri, token);
  }
  size_t i = 0;
  while (i < snap.rows.size()) {
    const Row& first = snap.rows[i];
    size_t end = i + 1;
    if (first.type != RowType::kFrontend)
      while (end <= snap.rows.size() && snap.rows[end - 1].type != RowType::kBackend) ++end;
    const Row& last = snap.rows[end - 1];
    fmt::format_to(std::back_inserter(out), "<section id=\"{}-{}\"><h2>{} <small>{}{}</small></h2><table>\n",
                   first.type == RowType::kFrontend ? "fe" : "be", esc(first.pxname), esc(first.pxname),
                   first.type == RowType::kFrontend ? "frontend" : "backend",
                   last.algo.empty() ? "" : ", balance " + esc(last.algo));
    out += fmt::format(fmt::runtime(kHeadFormat), options.adminToken.empty() ? "" : "<th rowspan=\"2\">Admin</th>");
    for (size_t r = i; r < end; ++r)
      if (!options.upOnly || shownWhenUpOnly(snap.rows[r])) rowHtml(out, snap.rows[r], options);
    out += "</table></section>\n";
    i = end;
  }
  out += "</main></body></html>\n";
  return out;
}

}  // namespace weir::stats

#pragma once
// One reading of every proxy's numbers: a row per frontend, per server and per backend (in
// HAProxy's order: a backend's servers, then its BACKEND row), with the workers' shards added
// up and the servers' shared state read. The renderers (CSV, JSON, Prometheus, HTML) only
// format rows, through the field table of schema.h. Built on any thread, at any time.

#include <array>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "weir/stats/counters.h"
#include "weir/stats/latency_histogram.h"
#include "weir/upstream/server_health.h"

namespace weir::proxy {
struct Runtime;
}

namespace weir::stats {

enum class RowType { kFrontend = 0, kBackend = 1, kServer = 2 };

struct Row {
  RowType type = RowType::kFrontend;
  std::string pxname;
  std::string svname;  // FRONTEND, BACKEND or the server's name
  int iid = 0;         // proxy id: frontends then backends, from 1
  int sid = 0;         // server id within its backend, from 1; 0 for FRONTEND/BACKEND

  uint64_t qcur = 0, qmax = 0;
  std::optional<uint64_t> qlimit;
  uint64_t scur = 0, smax = 0;
  std::optional<uint64_t> slim;
  uint64_t stot = 0, lbtot = 0, bin = 0, bout = 0;
  uint64_t dcon = 0, dreq = 0, dresp = 0, ereq = 0, econ = 0, eresp = 0, wretr = 0, wredis = 0;
  std::array<uint64_t, kStatusClasses> hrsp{};
  uint64_t reqTot = 0, cliAbrt = 0, srvAbrt = 0, connTot = 0, intercepted = 0;
  uint64_t cacheLookups = 0, cacheHits = 0;
  // per second, from the sampler (rate_history.h): sessions, HTTP requests, connections
  uint64_t rate = 0, rateMax = 0, reqRate = 0, reqRateMax = 0, connRate = 0, connRateMax = 0;
  std::vector<uint32_t> requestsPerSecond;  // the last minutes, oldest first (sparklines)

  std::string status;         // HAProxy's words: OPEN, UP, DOWN, "UP 1/3", NOLB, MAINT, DRAIN, no check
  std::string statusDetail;   // for people: "UP, going down 1/3"
  std::optional<uint64_t> weight;
  std::optional<uint64_t> uweight;  // the configured weight
  std::optional<uint64_t> act, bck;
  std::optional<uint64_t> chkfail, chkdown;
  std::optional<int64_t> lastchg;   // seconds since the last UP/DOWN change
  std::optional<int64_t> downtime;  // seconds spent DOWN
  std::optional<uint64_t> throttle;  // slow start: percent of the weight
  bool checked = false;        // active checks run on this server
  std::string checkStatus;     // L7OK, L4CON, ...
  std::optional<int> checkCode;
  std::optional<int64_t> checkDuration;  // ms
  std::string checkDesc;
  std::optional<int> checkRise, checkFall, checkHealth;
  uint64_t checks = 0;
  std::optional<int64_t> lastsess;  // seconds since the last request, none: never
  std::optional<uint64_t> qtime, ctime, rtime, ttime;  // ms, averages
  std::string addr;
  std::string algo;
  bool backup = false;
  std::string adminState;  // ready, drain, maint (servers)

  LatencyHistogram::Totals responseTime;
  LatencyHistogram::Totals totalTime;
  std::deque<upstream::HealthTransition> history;  // servers: the last UP/DOWN changes, with why
};

struct ProcessInfo {
  std::string version;
  int64_t uptimeSeconds = 0;
  int64_t startUnix = 0;
  int threads = 0;
  uint64_t connections = 0;  // client connections open now
  uint64_t maxconn = 0;
  uint64_t acceptedTotal = 0;
  uint64_t requestsTotal = 0;
};

struct Snapshot {
  ProcessInfo process;
  std::vector<Row> rows;  // frontends, then for each backend its servers and its BACKEND row
};

/// `startUnix`: when the process started (time(nullptr)).
Snapshot takeSnapshot(const proxy::Runtime& runtime, int64_t steadyNowMs, int64_t unixNowMs);

/// HAProxy's CSV status of a server from weir's words ("UP, going down 1/3" -> "UP 1/3").
std::string haproxyStatus(const std::string& words);

}  // namespace weir::stats

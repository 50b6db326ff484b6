#include "weir/stats/snapshot.h"

#include <algorithm>

#include "weir/proxy/runtime.h"
#include "weir/proxy/worker_context.h"

namespace weir::stats {
namespace {

/// HAProxy's check_status code for weir's (HAProxy's) description of a check result.
std::string checkCode(const upstream::CheckResult& r) {
  static const std::pair<std::string_view, std::string_view> kCodes[] = {
      {"Layer4 check passed", "L4OK"},        {"Layer4 timeout", "L4TOUT"},
      {"Layer4 connection problem", "L4CON"}, {"Layer7 check passed", "L7OK"},
      {"Layer7 timeout", "L7TOUT"},           {"Layer7 invalid response", "L7RSP"},
      {"Layer7 wrong status", "L7STS"},       {"Layer7 wrong response", "L7RSP"},
      {"Layer6 invalid response", "L6RSP"},
  };
  if (r.durationMs < 0 && r.reason.empty()) return "INI";  // not checked yet
  for (const auto& [reason, code] : kCodes)
    if (r.reason == reason) return std::string(code);
  return "UNK";
}

void addExchange(Row& row, const ExchangeShard& x, int64_t& lastMs) {
  row.stot += x.requests.get();
  row.bin += x.bytesIn.get();
  row.bout += x.bytesOut.get();
  row.wretr += x.retries.get();
  row.wredis += x.redispatches.get();
  row.cliAbrt += x.clientAborts.get();
  row.srvAbrt += x.serverAborts.get();
  for (size_t i = 0; i < kStatusClasses; ++i) row.hrsp[i] += x.responses[i].get();
  lastMs = std::max(lastMs, static_cast<int64_t>(x.lastRequestMs.get()));
  x.responseTime.addTo(row.responseTime);
  x.totalTime.addTo(row.totalTime);
}

/// What only the sums can give: request totals, averages, seconds since the last request.
void finishExchangeRow(Row& row, uint64_t queueMicros, uint64_t connectMicros, uint64_t connects, int64_t lastMs,
                       int64_t nowMs) {
  row.reqTot = row.stot;
  row.lastsess = lastMs > 0 ? std::optional<int64_t>((nowMs - lastMs) / 1000) : std::nullopt;
  const auto avgMs = [](uint64_t micros, uint64_t n) { return n > 0 ? micros / n / 1000 : 0; };
  row.qtime = avgMs(queueMicros, row.stot);
  row.ctime = avgMs(connectMicros, connects);
  row.rtime = avgMs(row.responseTime.sumMicros, row.responseTime.count);
  row.ttime = avgMs(row.totalTime.sumMicros, row.totalTime.count);
}

Row frontendRow(const proxy::Runtime& rt, const proxy::FrontendRuntime& fe) {
  Row row;
  row.type = RowType::kFrontend;
  row.pxname = fe.name;
  row.svname = "FRONTEND";
  row.iid = fe.index + 1;
  row.status = "OPEN";
  row.slim = static_cast<uint64_t>(rt.maxconn);
  for (proxy::WorkerContext* w : rt.workers) {
    const FrontendShard& s = w->counters().frontend(fe.index);
    row.scur += s.current.get();
    row.connTot += s.connections.get();
    row.reqTot += s.requests.get();
    row.bin += s.bytesIn.get();
    row.bout += s.bytesOut.get();
    row.dreq += s.denied.get();
    row.dcon += s.deniedConnections.get();
    row.ereq += s.requestErrors.get();
    row.intercepted += s.intercepted.get();
    row.cacheLookups += s.cacheLookups.get();
    row.cacheHits += s.cacheHits.get();
    for (size_t i = 0; i < kStatusClasses; ++i) row.hrsp[i] += s.responses[i].get();
  }
  row.stot = row.connTot;
  return row;
}

Row serverRow(const proxy::Runtime& rt, const upstream::Backend& be, const upstream::Server& sv, int64_t nowMs,
              int64_t unixNowMs) {
  Row row;
  row.type = RowType::kServer;
  row.pxname = be.name();
  row.svname = sv.name();
  row.sid = sv.index() + 1;
  row.addr = sv.address().toString();
  row.backup = sv.backup();
  row.scur = static_cast<uint64_t>(std::max(sv.active().load(std::memory_order_relaxed), 0));
  if (sv.maxconn() > 0) row.slim = static_cast<uint64_t>(sv.maxconn());
  row.act = sv.backup() ? 0 : 1;
  row.bck = sv.backup() ? 1 : 0;
  using F = upstream::ServerFailure;
  row.econ = sv.failures(F::kConnectError) + sv.failures(F::kConnectTimeout);
  row.eresp = sv.failures(F::kBadResponse) + sv.failures(F::kResponseTimeout) + sv.failures(F::kClosed);

  int64_t lastMs = 0;
  uint64_t queueMicros = 0, connectMicros = 0, connects = 0;
  for (proxy::WorkerContext* w : rt.workers) {
    const ServerShard& s = w->counters().server(sv.globalId());
    addExchange(row, s.exchange, lastMs);
    row.lbtot += s.selected.get();
    queueMicros += s.exchange.queueMicros.get();
    connectMicros += s.exchange.connectMicros.get();
    connects += s.exchange.connects.get();
  }
  finishExchangeRow(row, queueMicros, connectMicros, connects, lastMs, nowMs);

  const upstream::HealthSnapshot health = sv.health().snapshot(nowMs);
  const upstream::AdminState admin = sv.shared().admin.load(std::memory_order_relaxed);
  row.adminState = admin == upstream::AdminState::kMaint   ? "maint"
                   : admin == upstream::AdminState::kDrain ? "drain"
                                                           : "ready";
  const config::HealthCheckConfig& hc = be.healthCheck();
  row.checked = hc.enabled && !sv.shared().checksDisabled.load(std::memory_order_relaxed);
  const bool passiveDown = sv.shared().downUntilMs.load(std::memory_order_relaxed) > nowMs;
  if (admin == upstream::AdminState::kMaint) {
    row.status = row.statusDetail = "MAINT";
  } else if (admin == upstream::AdminState::kDrain) {
    row.status = row.statusDetail = "DRAIN";
  } else if (row.checked) {
    row.statusDetail = health.state;
    row.status = haproxyStatus(health.state);
    if (row.status.starts_with("UP") && passiveDown) row.status = row.statusDetail = "DOWN";
  } else {
    row.status = passiveDown ? "DOWN" : "no check";
    row.statusDetail = passiveDown ? "DOWN (passive: max_fails)" : "UP (no check)";
  }
  const int64_t weight = sv.effectiveWeight(nowMs);
  row.weight = static_cast<uint64_t>(row.status.starts_with("DOWN") || row.status == "MAINT" ? 0 : weight / upstream::kWeightScale);
  if (weight < int64_t{sv.weight()} * upstream::kWeightScale)
    row.throttle = static_cast<uint64_t>(weight * 100 / (int64_t{sv.weight()} * upstream::kWeightScale));
  row.chkfail = health.checkFailures;
  row.chkdown = health.downTransitions + sv.shared().downTransitions.load(std::memory_order_relaxed);
  // Never changed: since the start, as HAProxy counts it.
  row.lastchg = (unixNowMs - (health.lastChangeUnixMs > 0 ? health.lastChangeUnixMs : rt.startUnixMs)) / 1000;
  row.downtime = health.downtimeMs / 1000;
  row.checks = health.checks;
  row.uweight = static_cast<uint64_t>(sv.configuredWeight());
  if (row.checked) {
    row.checkStatus = checkCode(health.last);
    if (health.last.code > 0) row.checkCode = health.last.code;
    if (health.last.durationMs >= 0) row.checkDuration = health.last.durationMs;
    row.checkDesc = health.last.reason;
    if (!health.last.info.empty()) row.checkDesc += ": " + health.last.info;
    row.checkRise = hc.rise;
    row.checkFall = hc.fall;
  }
  row.history = health.history;
  return row;
}

Row backendRow(const proxy::Runtime& rt, upstream::Backend& be, const std::vector<Row>& servers, int64_t nowMs) {
  Row row;
  row.type = RowType::kBackend;
  row.pxname = be.name();
  row.svname = "BACKEND";
  row.qcur = static_cast<uint64_t>(std::max(be.queue().length(), 0));
  row.qmax = static_cast<uint64_t>(std::max(be.queue().stats().maxLength.load(), 0));
  if (be.queue().limit() > 0) row.qlimit = static_cast<uint64_t>(be.queue().limit());  // the page's Queue Limit
  row.algo = be.balance() == config::BalanceAlgorithm::kLeastConn ? "leastconn"
             : be.balance() == config::BalanceAlgorithm::kSource  ? "source"
                                                                   : "roundrobin";
  uint64_t weight = 0, act = 0, bck = 0, uweight = 0;
  int64_t lastchg = -1;
  for (const Row& s : servers) {
    uweight += s.uweight.value_or(0);
    row.scur += s.scur;
    row.lbtot += s.lbtot;
    row.econ += s.econ;
    row.eresp += s.eresp;
    const bool up = !s.status.starts_with("DOWN") && s.status != "MAINT" && s.status != "DRAIN";
    if (up) {
      weight += s.weight.value_or(0);
      (s.backup ? bck : act) += 1;
    }
    if (s.lastchg && (lastchg < 0 || *s.lastchg < lastchg)) lastchg = *s.lastchg;
  }
  row.weight = weight;
  row.uweight = uweight;
  row.act = act;
  row.bck = bck;
  if (lastchg >= 0) row.lastchg = lastchg;
  row.status = act + bck > 0 ? "UP" : "DOWN";
  row.statusDetail = row.status;

  int64_t lastMs = 0;
  uint64_t queueMicros = 0, connectMicros = 0, connects = 0;
  for (proxy::WorkerContext* w : rt.workers) {
    const BackendShard& s = w->counters().backend(be.index());
    addExchange(row, s.exchange, lastMs);
    row.cacheLookups += s.cacheLookups.get();
    row.cacheHits += s.cacheHits.get();
    queueMicros += s.exchange.queueMicros.get();
    connectMicros += s.exchange.connectMicros.get();
    connects += s.exchange.connects.get();
  }
  finishExchangeRow(row, queueMicros, connectMicros, connects, lastMs, nowMs);
  return row;
}

}  // namespace

std::string haproxyStatus(const std::string& words) {
  // "UP, going down 1/3" -> "UP 1/3"; "DOWN, going up 1/2" -> "DOWN 1/2"
  const size_t comma = words.find(", going ");
  if (comma == std::string::npos) return words;
  const size_t space = words.rfind(' ');
  return words.substr(0, comma) + words.substr(space);
}

Snapshot takeSnapshot(const proxy::Runtime& rt, int64_t steadyNowMs, int64_t unixNowMs) {
  Snapshot snap;
  snap.process.version = WEIR_VERSION;
  snap.process.startUnix = rt.startUnixMs / 1000;
  snap.process.uptimeSeconds = (unixNowMs - rt.startUnixMs) / 1000;
  snap.process.threads = rt.threads;
  snap.process.connections = static_cast<uint64_t>(std::max(rt.connections->load(std::memory_order_relaxed), 0));
  snap.process.maxconn = static_cast<uint64_t>(rt.maxconn);
  for (const proxy::FrontendRuntime& fe : rt.frontends) {
    snap.rows.push_back(frontendRow(rt, fe));
    snap.process.acceptedTotal += snap.rows.back().connTot;
    snap.process.requestsTotal += snap.rows.back().reqTot;
  }
  int iid = static_cast<int>(rt.frontends.size());
  for (const auto& be : rt.backends) {
    ++iid;
    std::vector<Row> servers;
    for (const auto& sv : be->servers()) {
      if (!sv->inUse()) continue;  // an empty slot (spare_servers)
      servers.push_back(serverRow(rt, *be, *sv, steadyNowMs, unixNowMs));
      servers.back().iid = iid;
    }
    Row backend = backendRow(rt, *be, servers, steadyNowMs);
    backend.iid = iid;
    for (Row& s : servers) snap.rows.push_back(std::move(s));
    snap.rows.push_back(std::move(backend));
  }
  rt.rates->apply(snap);
  return snap;
}

}  // namespace weir::stats

#include "weir/stats/schema.h"

#include <array>

namespace weir::stats {
namespace {

Value u(uint64_t v) { return v; }
Value i(int64_t v) { return v; }
Value text(const std::string& s) { return s.empty() ? Value{} : Value{s}; }
template <class T>
Value opt(const std::optional<T>& v) {
  if (!v) return {};
  if constexpr (std::is_signed_v<T>) return static_cast<int64_t>(*v);
  else return static_cast<uint64_t>(*v);
}
Value none(const Row&) { return {}; }

constexpr uint8_t F = kFrontendScope, B = kBackendScope, S = kServerScope;
constexpr uint8_t FB = F | B, BS = B | S, FBS = kAllScopes;

using N = Nature;

// HAProxy 2.6, `show stat` (doc/management.txt 9.1). Positions are the array's indices.
const std::array kFields = {
    Field{"pxname", FBS, N::kName, "proxy name", [](const Row& r) { return text(r.pxname); }},
    Field{"svname", FBS, N::kName, "FRONTEND, BACKEND or the server's name", [](const Row& r) { return text(r.svname); }},
    Field{"qcur", BS, N::kGauge, "requests waiting for a server slot", [](const Row& r) { return u(r.qcur); },
          {"current_queue", "", false}},
    Field{"qmax", BS, N::kMax, "most requests ever waiting", [](const Row& r) { return u(r.qmax); },
          {"max_queue", "", false}},
    Field{"scur", FBS, N::kGauge, "current sessions (frontend: client connections; backend/server: requests in flight)",
          [](const Row& r) { return u(r.scur); }, {"current_sessions", "", false}},
    Field{"smax", FBS, N::kMax, "most sessions at once (sampled each second)", [](const Row& r) { return u(r.smax); },
          {"max_sessions", "", false}},
    Field{"slim", FBS, N::kLimit, "session limit (frontend: global.maxconn; server: maxconn)",
          [](const Row& r) { return opt(r.slim); }, {"limit_sessions", "", false}},
    Field{"stot", FBS, N::kCounter, "sessions: connections accepted (frontend), requests sent (backend/server)",
          [](const Row& r) { return u(r.stot); }, {"sessions_total", "", true}},
    Field{"bin", FBS, N::kCounter, "bytes in (from clients)", [](const Row& r) { return u(r.bin); },
          {"bytes_in_total", "", true}},
    Field{"bout", FBS, N::kCounter, "bytes out (to clients)", [](const Row& r) { return u(r.bout); },
          {"bytes_out_total", "", true}},
    Field{"dreq", FB, N::kCounter, "requests denied by rules", [](const Row& r) { return u(r.dreq); },
          {"requests_denied_total", "", true}},
    Field{"dresp", FBS, N::kCounter, "responses denied by rules", [](const Row& r) { return u(r.dresp); },
          {"responses_denied_total", "", true}},
    Field{"ereq", F, N::kCounter, "request errors (malformed, too large, timed out)", [](const Row& r) { return u(r.ereq); },
          {"request_errors_total", "", true}},
    Field{"econ", BS, N::kCounter, "failed connections to servers", [](const Row& r) { return u(r.econ); },
          {"connection_errors_total", "", true}},
    Field{"eresp", BS, N::kCounter, "response errors (bad, closed or timed-out responses)",
          [](const Row& r) { return u(r.eresp); }, {"response_errors_total", "", true}},
    Field{"wretr", BS, N::kCounter, "retries", [](const Row& r) { return u(r.wretr); },
          {"retry_warnings_total", "", true}},
    Field{"wredis", BS, N::kCounter, "redispatches to another server", [](const Row& r) { return u(r.wredis); },
          {"redispatch_warnings_total", "", true}},
    Field{"status", FBS, N::kOutput, "OPEN, UP, DOWN, UP 1/3 (going down), DOWN 1/2 (going up), MAINT, DRAIN, no check",
          [](const Row& r) { return text(r.status); }},
    Field{"weight", BS, N::kGauge, "effective weight (backend: sum of its usable servers)",
          [](const Row& r) { return opt(r.weight); }, {"weight", "", false}},
    Field{"act", BS, N::kGauge, "active servers up (server: 1 if active)", [](const Row& r) { return opt(r.act); },
          {"active_servers", "", false}},
    Field{"bck", BS, N::kGauge, "backup servers up (server: 1 if backup)", [](const Row& r) { return opt(r.bck); },
          {"backup_servers", "", false}},
    Field{"chkfail", S, N::kCounter, "failed health checks", [](const Row& r) { return opt(r.chkfail); },
          {"check_failures_total", "", true}},
    Field{"chkdown", BS, N::kCounter, "UP to DOWN transitions", [](const Row& r) { return opt(r.chkdown); },
          {"check_up_down_total", "", true}},
    Field{"lastchg", BS, N::kAge, "seconds since the last UP/DOWN change", [](const Row& r) { return opt(r.lastchg); },
          {"check_last_change_seconds", "", false}},
    Field{"downtime", BS, N::kDuration, "seconds spent DOWN", [](const Row& r) { return opt(r.downtime); },
          {"downtime_seconds_total", "", true}},
    Field{"qlimit", S, N::kLimit, "queue limit (weir queues per backend: maxqueue)", [](const Row& r) { return opt(r.qlimit); },
          {"queue_limit", "", false}},
    Field{"pid", FBS, N::kOutput, "process id, from 1", [](const Row&) { return u(1); }},
    Field{"iid", FBS, N::kOutput, "proxy id", [](const Row& r) { return i(r.iid); }},
    Field{"sid", FBS, N::kOutput, "server id (0 for FRONTEND and BACKEND)", [](const Row& r) { return i(r.sid); }},
    Field{"throttle", S, N::kGauge, "slow start: percent of the weight in use", [](const Row& r) { return opt(r.throttle); },
          {"current_throttle", "", false}},
    Field{"lbtot", BS, N::kCounter, "times the server was selected", [](const Row& r) { return u(r.lbtot); },
          {"loadbalanced_total", "", true}},
    Field{"tracked", S, N::kOutput, "id of the tracked server (weir: none)", none},
    Field{"type", FBS, N::kOutput, "0 frontend, 1 backend, 2 server", [](const Row& r) { return u(static_cast<uint64_t>(r.type)); }},
    Field{"rate", FBS, N::kRate, "sessions per second over the last second", [](const Row& r) { return u(r.rate); },
          {"current_session_rate", "", false}},
    Field{"rate_lim", F, N::kLimit, "session rate limit (weir: none)", none},
    Field{"rate_max", FBS, N::kMax, "highest sessions per second", [](const Row& r) { return u(r.rateMax); },
          {"max_session_rate", "", false}},
    Field{"check_status", S, N::kOutput, "last check: L4OK, L4TOUT, L4CON, L7OK, L7TOUT, L7RSP, L7STS, INI",
          [](const Row& r) { return text(r.checkStatus); }},
    Field{"check_code", S, N::kOutput, "last check's HTTP status", [](const Row& r) { return opt(r.checkCode); },
          {"check_code", "", false}},
    Field{"check_duration", S, N::kDuration, "last check's duration in ms", [](const Row& r) { return opt(r.checkDuration); },
          {"check_duration_seconds", "", false, 0.001}},
    Field{"hrsp_1xx", FBS, N::kCounter, "HTTP 1xx responses", [](const Row& r) { return u(r.hrsp[0]); },
          {"http_responses_total", "code=\"1xx\"", true}},
    Field{"hrsp_2xx", FBS, N::kCounter, "HTTP 2xx responses", [](const Row& r) { return u(r.hrsp[1]); },
          {"http_responses_total", "code=\"2xx\"", true}},
    Field{"hrsp_3xx", FBS, N::kCounter, "HTTP 3xx responses", [](const Row& r) { return u(r.hrsp[2]); },
          {"http_responses_total", "code=\"3xx\"", true}},
    Field{"hrsp_4xx", FBS, N::kCounter, "HTTP 4xx responses", [](const Row& r) { return u(r.hrsp[3]); },
          {"http_responses_total", "code=\"4xx\"", true}},
    Field{"hrsp_5xx", FBS, N::kCounter, "HTTP 5xx responses", [](const Row& r) { return u(r.hrsp[4]); },
          {"http_responses_total", "code=\"5xx\"", true}},
    Field{"hrsp_other", FBS, N::kCounter, "other HTTP responses", [](const Row& r) { return u(r.hrsp[5]); },
          {"http_responses_total", "code=\"other\"", true}},
    Field{"hanafail", S, N::kCounter, "failed health checks details (weir: none)", none},
    Field{"req_rate", F, N::kRate, "HTTP requests per second over the last second", [](const Row& r) { return u(r.reqRate); },
          {"http_requests_rate_current", "", false}},
    Field{"req_rate_max", F, N::kMax, "highest HTTP requests per second", [](const Row& r) { return u(r.reqRateMax); },
          {"http_requests_rate_max", "", false}},
    Field{"req_tot", FBS, N::kCounter, "HTTP requests", [](const Row& r) { return u(r.reqTot); },
          {"http_requests_total", "", true}},
    Field{"cli_abrt", BS, N::kCounter, "exchanges aborted by the client", [](const Row& r) { return u(r.cliAbrt); },
          {"client_aborts_total", "", true}},
    Field{"srv_abrt", BS, N::kCounter, "exchanges aborted by the server", [](const Row& r) { return u(r.srvAbrt); },
          {"server_aborts_total", "", true}},
    Field{"comp_in", FB, N::kCounter, "bytes into the compressor (weir: no compression)", none},
    Field{"comp_out", FB, N::kCounter, "bytes out of the compressor", none},
    Field{"comp_byp", FB, N::kCounter, "bytes that bypassed the compressor", none},
    Field{"comp_rsp", FB, N::kCounter, "compressed responses", none},
    Field{"lastsess", BS, N::kAge, "seconds since the last request", [](const Row& r) { return r.lastsess ? i(*r.lastsess) : i(-1); },
          {"last_session_seconds", "", false}},
    Field{"last_chk", S, N::kOutput, "last check's description", [](const Row& r) { return text(r.checkDesc); }},
    Field{"last_agt", S, N::kOutput, "last agent check (weir: none)", none},
    Field{"qtime", BS, N::kAvg, "average queue time, ms", [](const Row& r) { return opt(r.qtime); },
          {"queue_time_average_seconds", "", false, 0.001}},
    Field{"ctime", BS, N::kAvg, "average connect time, ms", [](const Row& r) { return opt(r.ctime); },
          {"connect_time_average_seconds", "", false, 0.001}},
    Field{"rtime", BS, N::kAvg, "average response time, ms", [](const Row& r) { return opt(r.rtime); },
          {"response_time_average_seconds", "", false, 0.001}},
    Field{"ttime", BS, N::kAvg, "average total time, ms", [](const Row& r) { return opt(r.ttime); },
          {"total_time_average_seconds", "", false, 0.001}},
    Field{"agent_status", S, N::kOutput, "agent check status (weir: none)", none},
    Field{"agent_code", S, N::kOutput, "agent check code", none},
    Field{"agent_duration", S, N::kDuration, "agent check duration", none},
    Field{"check_desc", S, N::kOutput, "last check's status in words", [](const Row& r) { return text(r.checkDesc); }},
    Field{"agent_desc", S, N::kOutput, "agent check description", none},
    Field{"check_rise", S, N::kOutput, "rise", [](const Row& r) { return opt(r.checkRise); }},
    Field{"check_fall", S, N::kOutput, "fall", [](const Row& r) { return opt(r.checkFall); }},
    Field{"check_health", S, N::kOutput, "health counter", [](const Row& r) { return opt(r.checkHealth); }},
    Field{"agent_rise", S, N::kOutput, "agent rise", none},
    Field{"agent_fall", S, N::kOutput, "agent fall", none},
    Field{"agent_health", S, N::kOutput, "agent health", none},
    Field{"addr", S, N::kOutput, "server address", [](const Row& r) { return text(r.addr); }},
    Field{"cookie", BS, N::kOutput, "cookie (weir: none)", none},
    Field{"mode", FBS, N::kOutput, "proxy mode", [](const Row&) { return Value{std::string("http")}; }},
    Field{"algo", B, N::kOutput, "balance algorithm", [](const Row& r) { return text(r.algo); }},
    Field{"conn_rate", F, N::kRate, "connections per second over the last second", [](const Row& r) { return u(r.connRate); },
          {"connections_rate_current", "", false}},
    Field{"conn_rate_max", F, N::kMax, "highest connections per second", [](const Row& r) { return u(r.connRateMax); },
          {"connections_rate_max", "", false}},
    Field{"conn_tot", F, N::kCounter, "connections", [](const Row& r) { return u(r.connTot); },
          {"connections_total", "", true}},
    Field{"intercepted", FB, N::kCounter, "requests answered by weir itself", [](const Row& r) { return u(r.intercepted); },
          {"intercepted_requests_total", "", true}},
    Field{"dcon", F, N::kCounter, "connections refused at accept (maxconn_per_src)", [](const Row& r) { return u(r.dcon); },
          {"denied_connections_total", "", true}},
    Field{"dses", F, N::kCounter, "sessions refused by tcp-request session rules (weir: none)", none},
    Field{"wrew", FBS, N::kCounter, "failed header rewrites", none},
    Field{"connect", BS, N::kCounter, "connection attempts", none},
    Field{"reuse", BS, N::kCounter, "connection reuses", none},
    Field{"cache_lookups", FB, N::kCounter, "cache lookups", [](const Row& r) { return u(r.cacheLookups); },
          {"http_cache_lookups_total", "", true}},
    Field{"cache_hits", FB, N::kCounter, "cache hits", [](const Row& r) { return u(r.cacheHits); },
          {"http_cache_hits_total", "", true}},
    Field{"srv_icur", S, N::kGauge, "idle connections reusable", none},
    Field{"src_ilim", S, N::kLimit, "limit of idle connections", none},
    Field{"qtime_max", BS, N::kMax, "longest queue time, ms", none},
    Field{"ctime_max", BS, N::kMax, "longest connect time, ms", none},
    Field{"rtime_max", BS, N::kMax, "longest response time, ms", none},
    Field{"ttime_max", BS, N::kMax, "longest total time, ms", none},
    Field{"eint", FBS, N::kCounter, "internal errors", [](const Row&) { return u(0); },
          {"internal_errors_total", "", true}},
    Field{"idle_conn_cur", S, N::kGauge, "unsafe idle connections", none},
    Field{"safe_conn_cur", S, N::kGauge, "safe idle connections", none},
    Field{"used_conn_cur", S, N::kGauge, "connections in use", none},
    Field{"need_conn_est", S, N::kGauge, "estimated connections needed", none},
    Field{"uweight", BS, N::kGauge, "configured weight", [](const Row& r) { return opt(r.uweight); }, {"uweight", "", false}},
    Field{"agg_server_status", B, N::kGauge, "servers' status, aggregated (weir: see status and act/bck)", none},
    Field{"agg_server_check_status", B, N::kGauge, "servers' check status, aggregated (deprecated in HAProxy)", none},
    Field{"agg_check_status", B, N::kGauge, "servers' check status, aggregated", none},
};

}  // namespace

std::span<const Field> fields() { return kFields; }

uint8_t scopeOf(RowType t) {
  switch (t) {
    case RowType::kFrontend: return kFrontendScope;
    case RowType::kBackend: return kBackendScope;
    case RowType::kServer: return kServerScope;
  }
  return 0;
}

Value fieldValue(const Field& field, const Row& row) {
  if ((field.scopes & scopeOf(row.type)) == 0) return {};
  return field.value(row);
}

std::string_view natureName(Nature n) {
  switch (n) {
    case Nature::kName: return "Name";
    case Nature::kOutput: return "Output";
    case Nature::kGauge: return "Gauge";
    case Nature::kLimit: return "Limit";
    case Nature::kMax: return "Max";
    case Nature::kRate: return "Rate";
    case Nature::kCounter: return "Counter";
    case Nature::kDuration: return "Duration";
    case Nature::kAge: return "Age";
    case Nature::kAvg: return "Avg";
    case Nature::kTime: return "Time";
  }
  return "Output";
}

}  // namespace weir::stats

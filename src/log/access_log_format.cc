// The two access-log line formats. httplog follows HAProxy's "option httplog":
//   client:port [accept_date] frontend backend/server TR/Tw/Tc/Tr/Ta status bytes - - term
//   actconn/feconn/beconn/srv_conn/retries srv_queue/backend_queue "request line"
// (actconn, feconn, beconn and srv_queue are not tracked yet and print as 0). On a TLS bind
// the line ends as HAProxy's httpslog does: ` sni/version/cipher` (`-` without SNI).

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "weir/base/json_string.h"
#include "weir/log/access_log.h"

namespace weir::log {

namespace {

void appendAcceptDate(const AccessLogEntry& e, std::string& out) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(e.acceptDate.time_since_epoch()).count() % 1000;
  std::time_t t = std::chrono::system_clock::to_time_t(e.acceptDate);
  std::tm tm{};
  gmtime_r(&t, &tm);
  fmt::format_to(std::back_inserter(out), "{:%d/%b/%Y:%H:%M:%S}.{:03d}", tm, ms);
}

std::string_view orDash(std::string_view s, std::string_view dash) { return s.empty() ? dash : s; }

}  // namespace

namespace {
void appendTls(const AccessLogEntry& e, std::string& out) {
  if (e.tlsVersion.empty()) return;
  fmt::format_to(std::back_inserter(out), " {}/{}/{}", orDash(e.sni, "-"), e.tlsVersion, e.tlsCipher);
}
}  // namespace

void formatHttpLog(const AccessLogEntry& e, std::string& out) {
  auto it = std::back_inserter(out);
  fmt::format_to(it, "{} [", e.client);
  appendAcceptDate(e, out);
  fmt::format_to(it, "] {} {}/{} {}/{}/{}/{}/{} {} {} - - {}-- 0/0/0/{}/{} 0/{} ", e.frontend,
                 orDash(e.backend, "<NOSRV>"), orDash(e.server, "<NOSRV>"), e.TR, e.Tw, e.Tc, e.Tr, e.Ta, e.status,
                 e.bytesRead, e.termination, e.serverConns, e.retries, e.queuedBehind);
  if (e.badRequest) {
    out.append("\"<BADREQ>\"");
    appendTls(e, out);
    return;
  }
  // The request line is printed as received; control characters cannot reach here (the
  // parser rejects them) but quotes are escaped so the field stays one token.
  out.push_back('"');
  for (char c : e.method) out.push_back(c);
  out.push_back(' ');
  for (char c : e.target) {
    if (c == '"') out.append("%22");
    else out.push_back(c);
  }
  fmt::format_to(it, " HTTP/1.{}\"", e.versionMinor);
  appendTls(e, out);
}

void formatJson(const AccessLogEntry& e, std::string& out) {
  auto it = std::back_inserter(out);
  const auto field = [&](std::string_view name, std::string_view value) {
    out.append(",\"").append(name).append("\":");
    appendJsonString(value, out);
  };
  out.append("{\"client\":");
  appendJsonString(e.client, out);
  out.append(",\"accept_date\":\"");
  appendAcceptDate(e, out);
  out.push_back('"');
  field("frontend", e.frontend);
  field("backend", e.backend);
  field("server", e.server);
  fmt::format_to(it, ",\"TR\":{},\"Tw\":{},\"Tc\":{},\"Tr\":{},\"Ta\":{},\"status\":{},\"bytes_read\":{}", e.TR, e.Tw,
                 e.Tc, e.Tr, e.Ta, e.status, e.bytesRead);
  field("termination_state", e.termination);
  fmt::format_to(it, ",\"retries\":{},\"srv_conn\":{},\"backend_queue\":{}", e.retries, e.serverConns,
                 e.queuedBehind);
  field("method", e.badRequest ? "<BADREQ>" : e.method);
  field("uri", e.target);
  fmt::format_to(it, ",\"version\":\"HTTP/1.{}\"", e.versionMinor);
  if (!e.tlsVersion.empty()) {
    field("tls_version", e.tlsVersion);
    field("tls_cipher", e.tlsCipher);
    field("sni", e.sni);
  }
  out.push_back('}');
}

}  // namespace weir::log

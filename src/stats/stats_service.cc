#include "weir/stats/stats_service.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "weir/base/time_util.h"
#include "weir/http/header_map.h"
#include "weir/proxy/runtime.h"
#include "weir/proxy/runtime_api.h"
#include "weir/proxy/worker_context.h"
#include "weir/stats/exports.h"
#include "weir/stats/snapshot.h"

namespace weir::stats {
namespace {

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

StatsReply plain(int status, std::string body) {
  StatsReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

/// The page's switches after `uri`: ";csv;up;norefresh" in any order.
struct Switches {
  bool csv = false, json = false, up = false, norefresh = false, valid = true;
};

Switches readSwitches(std::string_view rest) {
  Switches s;
  while (!rest.empty()) {
    if (rest.front() != ';') {
      s.valid = false;
      return s;
    }
    rest.remove_prefix(1);
    const size_t end = rest.find(';');
    const std::string_view word = rest.substr(0, end);
    if (word == "csv") s.csv = true;
    else if (word == "json") s.json = true;
    else if (word == "up") s.up = true;
    else if (word == "norefresh") s.norefresh = true;
    else s.valid = false;
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  }
  return s;
}

}  // namespace

StatsService::StatsService(const config::StatsConfig& config) : config_(config), apiPrefix_(config.uri + "/api") {
  for (const std::string& cidr : config.allow) allow_.add(cidr);  // checked by the loader
  allow_.finish();
  if (!config.user.empty()) expectedCredentials_ = base64(config.user + ":" + config.password);
}

bool StatsService::authorized(std::string_view authorization) const {
  if (expectedCredentials_.empty()) return true;
  authorization = http::trimOws(authorization);
  constexpr std::string_view kScheme = "basic ";
  if (authorization.size() < kScheme.size() || !http::equalsIgnoreCase(authorization.substr(0, kScheme.size()), kScheme))
    return false;
  const std::string_view token = http::trimOws(authorization.substr(kScheme.size()));
  // Constant time in the secret: a length mismatch compares the expected value with itself.
  const bool sameLength = token.size() == expectedCredentials_.size();
  const char* given = sameLength ? token.data() : expectedCredentials_.data();
  const bool same = CRYPTO_memcmp(given, expectedCredentials_.data(), expectedCredentials_.size()) == 0;
  return sameLength && same;
}

std::optional<StatsReply> StatsService::handle(proxy::WorkerContext& ctx, const http::RequestHead& req, std::string_view path,
                                               const net::Address& peer, const ConnectionStates& states,
                                               std::string_view body, std::function<void(StatsReply)> later) const {
  if (!allow_.empty() && !allow_.contains(peer)) return plain(403, "403 Forbidden: this address may not see the stats.\n");
  if (!expectedCredentials_.empty()) {
    const std::string* auth = req.headers.get("authorization");
    if (auth == nullptr || !authorized(*auth)) {
      StatsReply r = plain(401, "401 Unauthorized: the stats need a user and password.\n");
      r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"weir statistics\"");
      return r;
    }
  }
  if (path.starts_with(apiPrefix_) && (path.size() == apiPrefix_.size() || path[apiPrefix_.size()] == '/'))
    return proxy::RuntimeApi::handle(ctx, req, path.substr(apiPrefix_.size()), body, config_.uri, std::move(later));
  if (req.method != "GET" && req.method != "HEAD") {
    StatsReply r = plain(405, "405 Method Not Allowed\n");
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  return page(ctx.runtime(), path, states);
}

StatsReply StatsService::page(const proxy::Runtime& runtime, std::string_view path, const ConnectionStates& states) const {
  const Snapshot snap = takeSnapshot(runtime, steadyNowMs(), unixNowMs());
  StatsReply r;
  r.headers.emplace_back("Cache-Control", "no-cache");
  if (path == config_.metrics_uri) {
    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
    r.body = renderPrometheus(snap);
    return r;
  }
  if (path == config_.stub_status_uri) {
    r.body = renderStubStatus(snap, states.reading, states.writing, states.waiting);
    return r;
  }
  if (!path.starts_with(config_.uri)) return plain(404, "404 Not Found: the stats are at " + config_.uri + "\n");
  const Switches sw = readSwitches(path.substr(config_.uri.size()));
  if (!sw.valid || (sw.csv && sw.json)) return plain(404, "404 Not Found: the stats are at " + config_.uri + "\n");
  ExportOptions options;
  options.upOnly = sw.up;
  if (sw.csv) {
    r.contentType = "text/csv; charset=utf-8";
    r.body = renderCsv(snap, options);
  } else if (sw.json) {
    r.contentType = "application/json";
    r.body = renderJson(snap, options);
  } else {
    PageOptions page;
    page.upOnly = sw.up;
    page.refreshSeconds = sw.norefresh ? 0 : static_cast<int>((config_.refresh.count() + 999) / 1000);
    page.uri = config_.uri;
    page.metricsUri = config_.metrics_uri;
    if (config_.admin) page.adminToken = runtime.adminToken;
    r.contentType = "text/html; charset=utf-8";
    r.body = renderHtml(snap, page);
  }
  return r;
}

}  // namespace weir::stats

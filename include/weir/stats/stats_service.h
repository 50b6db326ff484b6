#pragma once
// The stats listener's answers: who may ask (allow, auth), and which page a request gets —
// the dashboard at `uri`, `uri;csv`, `uri;json` (with `;up` and `;norefresh` switches),
// Prometheus at `metrics_uri`, stub_status at `stub_status_uri`. Built once per worker from
// the config; answers on the worker's thread without touching other workers.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weir/config/config.h"
#include "weir/http/header_map.h"
#include "weir/http/message.h"
#include "weir/net/address.h"
#include "weir/route/ip_set.h"

namespace weir::proxy {
struct Runtime;
class WorkerContext;
}

namespace weir::stats {

struct StatsReply {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

/// Connection states of the listener's clients for stub_status, counted by the caller.
struct ConnectionStates {
  uint64_t reading = 0;
  uint64_t writing = 0;
  uint64_t waiting = 0;
};

class StatsService {
 public:
  explicit StatsService(const config::StatsConfig& config);

  /// The reply to `req` from `peer` (`path` with its ';' switches, `body` read in full), or
  /// nullopt when an operation on every worker runs first and `later` gets the reply on this
  /// worker's thread.
  std::optional<StatsReply> handle(proxy::WorkerContext& ctx, const http::RequestHead& req, std::string_view path,
                                   const net::Address& peer, const ConnectionStates& states, std::string_view body,
                                   std::function<void(StatsReply)> later) const;

  /// Whether `authorization` (the header's value) carries the configured user and password.
  /// Compared in constant time.
  bool authorized(std::string_view authorization) const;

 private:
  StatsReply page(const proxy::Runtime& runtime, std::string_view path, const ConnectionStates& states) const;

  const config::StatsConfig& config_;
  route::IpSet allow_;
  std::string expectedCredentials_;  // base64 of "user:password"
  std::string apiPrefix_;            // uri + "/api"
};

}  // namespace weir::stats

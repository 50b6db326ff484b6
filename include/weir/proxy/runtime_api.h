#pragma once
// The runtime API on the stats listener (`{uri}/api/...`, JSON answers): read the process and
// the servers; with `admin: true`, change a server's state (ready/drain/maint), weight or
// active checks, purge the response cache, clear the counters. A change is made through the
// server's atomics (every worker sees it on its next pick) or posted to every worker (their
// caches and counters are theirs alone), and logged.
//
// Requests from browsers are guarded against cross-site forgery: a form post must carry the
// page's token (`csrf`); a JSON post needs `Content-Type: application/json`, which a foreign
// page cannot send without a CORS preflight weir never grants; an `Origin` must be this host.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "weir/http/message.h"
#include "weir/stats/stats_service.h"

namespace weir::proxy {

class WorkerContext;

class RuntimeApi {
 public:
  using Later = std::function<void(stats::StatsReply)>;

  /// `path` is what follows `{uri}/api`; nullopt when the reply comes later through `later`
  /// (on `ctx`'s thread).
  static std::optional<stats::StatsReply> handle(WorkerContext& ctx, const http::RequestHead& req, std::string_view path,
                                                 std::string_view body, const std::string& returnTo, Later later);
};

}  // namespace weir::proxy

#pragma once
// What every worker shares: the config snapshot and the objects built from it. Immutable once
// the workers start, except the atomics (server state, the global connection count). A reload
// builds a new Runtime (a generation) beside the old one, which lives on while requests that
// began under it finish; what belongs to the process (connection count, rates, ticket keys,
// the stats token) is shared by the generations.

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "weir/cache/miss_collapser.h"
#include "weir/config/config.h"
#include "weir/http/http_parser.h"
#include "weir/log/log_target.h"
#include "weir/route/router.h"
#include "weir/static/mime_types.h"
#include "weir/static/static_site.h"
#include "weir/stats/counters.h"
#include "weir/stats/rate_history.h"
#include "weir/tls/tls_bind.h"
#include "weir/upstream/backend.h"
#include "weir/upstream/health_checker.h"

namespace weir::proxy {

class WorkerContext;

/// One address a frontend listens on, and what its TLS serves (null for plain HTTP). The
/// workers' listeners hold their own reference to `tls`, swapped when certificates reload.
struct BindRuntime {
  net::Address address;  // the port filled in once bound (":0" picks one)
  std::shared_ptr<const tls::TlsBind> tls;
  const config::BindConfig* config = nullptr;  // in Runtime::config
};

struct FrontendRuntime {
  std::string name;
  int index = 0;  // position among the config's frontends
  config::ProxyOptions options;
  route::Router router;  // each worker routes with its own copy (WorkerContext::router)
  std::vector<std::shared_ptr<const static_files::StaticSite>> statics;  // by static rule
  std::vector<BindRuntime> binds;
  bool stats = false;  // the stats listener (config `stats`): its requests get the stats pages
  uint32_t maxconnPerSrc = 0;  // 0 = no limit
};

/// A reload keeps a listener when the new config has the same bind: the same frontend and
/// the bind as written (":0" then keeps the port it got).
inline bool sameBind(const BindRuntime& a, const BindRuntime& b) {
  return a.config->text == b.config->text && a.config->ssl == b.config->ssl;
}

struct Runtime {
  /// This generation's frontend of that name, or null.
  FrontendRuntime* frontendNamed(const std::string& name) {
    for (FrontendRuntime& fe : frontends)
      if (fe.name == name) return &fe;
    return nullptr;
  }

  std::shared_ptr<const config::Config> config;
  std::vector<std::unique_ptr<upstream::Backend>> backends;
  std::vector<FrontendRuntime> frontends;
  std::vector<std::unique_ptr<cache::MissCollapser>> collapsers;  // by config.caches index
  int serverCount = 0;  // across all backends: size of per-worker pools
  static_files::MimeTypes mimeTypes = static_files::MimeTypes::systemDefault();
  http::ParserLimits requestLimits;
  http::ParserLimits responseLimits;
  int maxconn = 4096;
  int threads = 1;  // worker count; each worker's response caches get 1/threads of the size
  int64_t startUnixMs = 0;  // when the process started (the stats' uptime)
  std::string adminToken;   // the stats page's forms carry it (CSRF); random per process
  log::LogTarget logTarget;  // the access log; shared, owned by the daemon
  // Client connections open, all workers and generations.
  std::shared_ptr<std::atomic<int>> connections = std::make_shared<std::atomic<int>>(0);
  // Client connections held by this generation's workers: 0 once a retired one can go.
  std::atomic<int> liveSessions{0};
  std::vector<WorkerContext*> workers;  // this generation's, one per worker, set before they run
  // Recorded each second by worker 0 when the stats listener is on; by name, so a reload keeps it.
  std::shared_ptr<stats::RateHistory> rates = std::make_shared<stats::RateHistory>();
  upstream::HealthChecker* checker = nullptr;  // the active checks' thread, when there are checks
  std::shared_ptr<tls::TicketKeyRing> ticketKeys;  // every TLS bind's, rotated by worker 0
  // Runtime API requests that add or remove servers may arrive on two workers at once: this
  // makes "is the name free, which slot" one step. Never taken on the request path.
  std::mutex serverSlotsMutex;
  // A reload's: what of this generation is the previous one's (by index), worked out once
  // while the previous one's servers could not change; each worker's counters follow it.
  stats::WorkerCounters::SameAs sameAsPrevious;
};

/// nullptr (after logging why) when a frontend's rules cannot be compiled: only possible when
/// a file a rule reads changed since the config was checked. With `previous` (a reload): the
/// process's shared parts come from it, and each server that is in both (same backend, name,
/// address and TLS) keeps its health, admin state, run-time weight and failure counts.
std::unique_ptr<Runtime> buildRuntime(std::shared_ptr<const config::Config> config, Runtime* previous = nullptr);

}  // namespace weir::proxy

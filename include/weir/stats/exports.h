#pragma once
// The machine-readable renderings of a snapshot: HAProxy's CSV (`show stat`), HAProxy's typed
// JSON (`show stat json`), the Prometheus text exposition (HAProxy's exporter names plus
// weir's histograms) and nginx's stub_status. Pure functions of the snapshot.

#include <string>

#include "weir/stats/snapshot.h"

namespace weir::stats {

struct ExportOptions {
  bool upOnly = false;  // ";up": leave out servers that are not UP
};

std::string renderCsv(const Snapshot& snap, const ExportOptions& options);
std::string renderJson(const Snapshot& snap, const ExportOptions& options);
std::string renderPrometheus(const Snapshot& snap);
std::string renderStubStatus(const Snapshot& snap, uint64_t reading, uint64_t writing, uint64_t waiting);

struct PageOptions {
  bool upOnly = false;
  int refreshSeconds = 0;  // 0: the page does not reload itself
  std::string uri;         // the page's own path, for the links to ;csv, ;json, ;up, ;norefresh
  std::string metricsUri;
  std::string adminToken;  // non-empty: admin forms on the servers' rows, carrying it (CSRF)
};
/// The dashboard: server-rendered HTML (no JavaScript needed), one table per proxy.
std::string renderHtml(const Snapshot& snap, const PageOptions& options);

/// Whether `row` is shown with ";up" (servers that are not UP are left out).
bool shownWhenUpOnly(const Row& row);

}  // namespace weir::stats

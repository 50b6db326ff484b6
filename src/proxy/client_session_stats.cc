// ClientSession, stats listener: its requests are answered by the stats service (dashboard,
// CSV, JSON, Prometheus, stub_status) as local replies, with the same keep-alive, pipelining
// and logging as any other.
#include <fmt/format.h>

#include "weir/http/status_reason.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"
#include "weir/route/path_normalizer.h"

namespace weir::proxy {

void ClientSession::serveStats(const http::RequestHead& req) {
  stats::ConnectionStates states;
  for (WorkerContext* w : ctx_.runtime().workers) {
    states.reading += w->counters().connections().reading.get();
    states.waiting += w->counters().connections().waiting.get();
  }
  const uint64_t open = static_cast<uint64_t>(std::max(ctx_.runtime().connections.load(std::memory_order_relaxed), 0));
  states.writing = open > states.reading + states.waiting ? open - states.reading - states.waiting : 0;
  const route::TargetParts parts = route::splitTarget(req.target);
  const stats::StatsReply reply = ctx_.statsService().handle(ctx_.runtime(), req, parts.path, peer_, states);

  const bool close = localReplyCloses();
  std::string& out = scratch_;
  out.clear();
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", reply.status,
                 http::statusReason(reply.status), reply.contentType, reply.body.size());
  for (const auto& [name, value] : reply.headers) out.append(name).append(": ").append(value).append("\r\n");
  endLocalHead(out, close, req.versionMinor);
  if (!req.isHead()) out.append(reply.body);
  bytesOut_ += out.size();
  evbuffer_add(bufferevent_get_output(client_.get()), out.data(), out.size());
  finishLocalReply(reply.status, "LR", close);
}

}  // namespace weir::proxy

// ClientSession, stats listener: its requests are answered by the stats service (dashboard,
// CSV, JSON, Prometheus, stub_status, runtime API) as local replies, with the same keep-alive,
// pipelining and logging as any other. A runtime API request's small body is read first
// (kLocalBody); an operation on every worker is waited for (kLocalWait).
#include <fmt/format.h>

#include "weir/http/status_reason.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"
#include "weir/route/path_normalizer.h"

namespace weir::proxy {

namespace {
constexpr uint64_t kStatsBodyLimit = 64 * 1024;
constexpr std::chrono::milliseconds kLocalWaitLimit{10000};
}  // namespace

void ClientSession::startStatsRequest(const http::RequestHead& req) {
  if (!req.hasBody()) {
    serveStats(req, {});
    return;
  }
  if (req.framing != http::BodyFraming::kContentLength || req.contentLength > kStatsBodyLimit) {
    writeStatsReply({413, "text/plain; charset=utf-8", {}, "413 Content Too Large: at most 64 KiB, with a Content-Length.\n"});
    return;
  }
  transitionTo(State::kLocalBody);
  requestPassthrough_ = true;
  requestBodyLeft_ = req.contentLength;
  const timeval* clientTimeout = ctx_->timeout(fe_->options.timeout.client);
  bufferevent_set_timeouts(client_.get(), clientTimeout, clientTimeout);
}

void ClientSession::serveStats(const http::RequestHead& req, std::string_view body) {
  stats::ConnectionStates states;
  for (WorkerContext* w : ctx_->runtime().workers) {
    states.reading += w->counters().connections().reading.get();
    states.waiting += w->counters().connections().waiting.get();
  }
  const uint64_t open = static_cast<uint64_t>(std::max(ctx_->runtime().connections->load(std::memory_order_relaxed), 0));
  states.writing = open > states.reading + states.waiting ? open - states.reading - states.waiting : 0;
  const route::TargetParts parts = route::splitTarget(req.target);
  WorkerContext* ctx = ctx_;
  const uint64_t id = id_;
  const uint64_t request = static_cast<uint64_t>(requestsServed_);
  auto later = [ctx, id, request](stats::StatsReply reply) { ctx->deliverReply(id, request, std::move(reply)); };
  std::optional<stats::StatsReply> reply =
      ctx_->statsService().handle(*ctx_, req, parts.path, peer_, states, body, std::move(later));
  if (reply) {
    writeStatsReply(*reply);
    return;
  }
  // A request without a body is over once its head is: the parse loop does not run in
  // kLocalWait, so it would not see the end of the message.
  if (!req.hasBody()) requestDone_ = true;
  transitionTo(State::kLocalWait);
  ctx_->addWaiting(id_, this);
  armTimer(TimerRole::kLocalWait, kLocalWaitLimit);
}

void ClientSession::takeDeferredReply(uint64_t request, const stats::StatsReply& reply) {
  if (state_ != State::kLocalWait || request != static_cast<uint64_t>(requestsServed_)) return;
  answerLocalWait(reply);
}

void ClientSession::answerLocalWait(const stats::StatsReply& reply) {
  ctx_->removeWaiting(id_);
  armTimer(TimerRole::kNone, {});
  writeStatsReply(reply);
  if (state_ == State::kReadingHead) parseRequest();  // pipelined requests
  flushBoth();
}

void ClientSession::writeStatsReply(const stats::StatsReply& reply) {
  const http::RequestHead& req = requestParser_.request();
  const bool close = localReplyCloses();
  std::string& out = scratch_;
  out.clear();
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n", reply.status,
                 http::statusReason(reply.status), reply.contentType, reply.body.size());
  for (const auto& [name, value] : reply.headers) out.append(name).append(": ").append(value).append("\r\n");
  // The dashboard has admin forms: no other site may frame it (clickjacking) or sniff its types.
  out.append("X-Frame-Options: DENY\r\nContent-Security-Policy: frame-ancestors 'none'\r\nX-Content-Type-Options: nosniff\r\n");
  endLocalHead(out, close, req.versionMinor);
  if (!req.isHead()) out.append(reply.body);
  bytesOut_ += out.size();
  evbuffer_add(bufferevent_get_output(client_.get()), out.data(), out.size());
  finishLocalReply(reply.status, "LR", close);
}

}  // namespace weir::proxy

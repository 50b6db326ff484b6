// ClientSession, counters: each exchange adds itself to this worker's shards of its
// frontend's, backend's and server's counters once it is over (stats/counters.h).
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

namespace {

uint64_t microsBetween(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  if (from == std::chrono::steady_clock::time_point{} || to < from) return 0;
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(to - from).count());
}

}  // namespace

void ClientSession::countExchange(Clock::time_point now) {
  stats::WorkerCounters& counters = ctx_->counters();
  stats::FrontendShard& fe = counters.frontend(fe_->index);
  const bool haveRequest = requestParser_.headComplete();
  if (haveRequest) fe.requests.add();
  // A malformed, oversized or timed-out head; a connection that closes without sending a byte
  // is not an error.
  else if (bytesIn_ > 0 || status_ >= 400) fe.requestErrors.add();
  fe.bytesIn.add(bytesIn_);
  fe.bytesOut.add(bytesOut_);
  if (status_ > 0) fe.responses[stats::statusClass(status_)].add();
  // HAProxy's termination states: P = weir itself refused (deny), L = answered locally.
  if (deniedByRule_) fe.denied.add();
  else if (termination_.size() == 2 && termination_[0] == 'L') fe.intercepted.add();
  if (backend_ == nullptr || server_ == nullptr) return;  // no server took part

  const auto addTo = [&](stats::ExchangeShard& x) {
    x.requests.add();
    x.bytesIn.add(bytesIn_);
    x.bytesOut.add(bytesOut_);
    if (status_ > 0) x.responses[stats::statusClass(status_)].add();
    x.lastRequestMs.set(static_cast<uint64_t>(steadyNowMs()));
    x.queueMicros.add(static_cast<uint64_t>(queueWaitMs_) * 1000);
    if (connected_ != Clock::time_point{}) {
      x.connects.add();
      x.connectMicros.add(microsBetween(connectStart_, connected_));
    }
    if (responseHeadAt_ != Clock::time_point{}) x.responseTime.record(microsBetween(connected_, responseHeadAt_));
    x.totalTime.record(microsBetween(requestStart_, now));
    const char who = termination_.empty() ? '-' : termination_[0];
    if (who == 'C' || who == 'c') x.clientAborts.add();
    if (who == 'S' || who == 's') x.serverAborts.add();
  };
  addTo(counters.backend(backend_->index()).exchange);
  addTo(counters.server(server_->globalId()).exchange);
}

void ClientSession::countRetry(const upstream::Server& failed, bool redispatch) {
  stats::WorkerCounters& counters = ctx_->counters();
  for (stats::ExchangeShard* x : {&counters.backend(backend_->index()).exchange, &counters.server(failed.globalId()).exchange}) {
    x->retries.add();
    if (redispatch) x->redispatches.add();  // HAProxy: the server's count is of requests moved away from it
  }
}

}  // namespace weir::proxy

// ClientSession, collapsed forwarding: a cacheable miss on a key another request is already
// fetching waits for that response (cache/miss_collapser.h) instead of sending its own. The
// wait is bounded by kCollapseWait (nginx: proxy_cache_lock_timeout, 5s); after it, or when
// the leader's response turns out not storable or not this request's variant, the request
// goes to a server as any miss does.
#include "weir/base/time_util.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/flow_control.h"
#include "weir/proxy/worker_context.h"

namespace weir::proxy {

cache::MissCollapser& ClientSession::collapser() const {
  return *ctx_->runtime().collapsers[static_cast<size_t>(cacheIndex_)];
}

bool ClientSession::waitForCollapsedMiss(const http::RequestHead& req) {
  if (req.method != "GET" || req.hasBody()) return false;
  const cache::CollapseWaiter me{ctx_->index(), id_, static_cast<uint64_t>(requestsServed_)};
  if (collapser().lead(cacheKey_, me)) {
    collapseRole_ = CollapseRole::kLeader;
    return false;
  }
  collapseRole_ = CollapseRole::kWaiter;
  ctx_->addWaiting(id_, this);
  transitionTo(State::kCacheWait);
  armTimer(TimerRole::kCacheWait, kCollapseWait);
  return true;
}

void ClientSession::endCollapse(std::shared_ptr<const cache::CachedResponse> response) {
  if (collapseRole_ != CollapseRole::kLeader) return;
  collapseRole_ = CollapseRole::kNone;
  for (const cache::CollapseWaiter& waiter : collapser().finish(cacheKey_)) ctx_->deliverCollapsed(waiter, response);
}

void ClientSession::leaveCollapse() {
  if (collapseRole_ != CollapseRole::kWaiter) return;
  collapseRole_ = CollapseRole::kNone;
  ctx_->removeWaiting(id_);
  collapser().leave(cacheKey_, {ctx_->index(), id_, static_cast<uint64_t>(requestsServed_)});
  if (timerRole_ == TimerRole::kCacheWait) armTimer(TimerRole::kNone, {});
}

void ClientSession::takeCollapsedResponse(uint64_t request, std::shared_ptr<const cache::CachedResponse> response) {
  if (collapseRole_ != CollapseRole::kWaiter || request != static_cast<uint64_t>(requestsServed_)) return;
  resumeAfterCollapse(std::move(response));
}

void ClientSession::resumeAfterCollapse(std::shared_ptr<const cache::CachedResponse> response) {
  leaveCollapse();
  const http::RequestHead& req = requestParser_.request();
  const int64_t now = steadyNowMs();
  if (response && now < response->expiresAtMs && cache::ResponseCache::varyMatches(*response, req.headers)) {
    cache::ResponseCache& cache = ctx_->responseCache(cacheIndex_);
    cache.store(cacheKey_, response);  // from another worker: this one's next requests hit too
    cache.countCollapsed();
    serveCached(req, *response, now, "weir; fwd=miss; collapsed");
    if (state_ == State::kReadingHead) parseRequest();  // pipelined requests
  } else {
    forwardRequest();
  }
  flushBoth();
}

}  // namespace weir::proxy

// ClientSession, response cache: hits answered from this worker's cache, and the capture of a
// storable response while it streams to the client (stored once complete).
#include <fmt/format.h>

#include <ctime>

#include "weir/base/time_util.h"
#include "weir/cache/cache_policy.h"
#include "weir/http/status_reason.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/worker_context.h"
#include "weir/static/conditional_request.h"

namespace weir::proxy {

void ClientSession::chooseCache(int cacheIndex, const http::RequestHead& req) {
  cacheIndex_ = cacheIndex;
  if (cacheIndex < 0) return;
  const std::string* host = req.headers.get("host");
  cache::ResponseCache::makeKey(host != nullptr ? std::string_view(*host) : std::string_view(), req.target, cacheKey_);
}

bool ClientSession::serveFromCache(const http::RequestHead& req, int backend) {
  const int64_t now = steadyNowMs();
  std::shared_ptr<const cache::CachedResponse> hit = ctx_->responseCache(cacheIndex_).lookup(cacheKey_, req.headers, now);
  stats::FrontendShard& feCounters = ctx_->counters().frontend(fe_->index);
  stats::BackendShard& beCounters = ctx_->counters().backend(backend);
  feCounters.cacheLookups.add();
  beCounters.cacheLookups.add();
  if (!hit) return false;
  feCounters.cacheHits.add();
  beCounters.cacheHits.add();
  serveCached(req, *hit, now, "weir; hit");
  return true;
}

void ClientSession::serveCached(const http::RequestHead& req, const cache::CachedResponse& hit, int64_t now,
                                std::string_view cacheStatus) {
  const std::string* etag = hit.headers.get("etag");
  const std::string* inm = req.headers.get("if-none-match");
  const bool notModified = etag != nullptr && inm != nullptr && static_files::etagListMatches(*inm, *etag, true);
  const int status = notModified ? 304 : hit.status;
  std::string& out = scratch_;
  out.clear();
  out.append("HTTP/1.1 ").append(fmt::format_int(status).c_str()).append(" ");
  out.append(notModified ? std::string_view("Not Modified") : std::string_view(hit.reason)).append("\r\n");
  for (const http::Header& h : hit.headers) out.append(h.name).append(": ").append(h.value).append("\r\n");
  out.append("Age: ").append(fmt::format_int(std::max<int64_t>(now - hit.storedAtMs, 0) / 1000).c_str()).append("\r\n");
  out.append("Cache-Status: ").append(cacheStatus).append("\r\n");
  const bool hasBody = !notModified && hit.status != 204;
  if (hasBody) out.append("Content-Length: ").append(fmt::format_int(hit.body.size()).c_str()).append("\r\n");
  const bool close = localReplyCloses();
  endLocalHead(out, close, req.versionMinor);
  if (hasBody && !req.isHead()) out.append(hit.body);
  bytesOut_ += out.size();
  evbuffer_add(bufferevent_get_output(client_.get()), out.data(), out.size());
  finishLocalReply(status, "LR", close);
}

void ClientSession::startCapture(http::ResponseHead& resp) {
  const http::RequestHead& req = requestParser_.request();
  if (cacheIndex_ < 0 || req.method != "GET") return;
  const config::CacheConfig& config = ctx_->runtime().config->caches[static_cast<size_t>(cacheIndex_)];
  const int64_t maxSeconds = config.max_age.count() / 1000;
  cache::Storability s = cache::storability(req, resp, std::time(nullptr), maxSeconds, maxSeconds);
  const bool sized = resp.framing == http::BodyFraming::kContentLength;
  if (sized && resp.contentLength > config.max_object_size) s.store = false;
  // "stored" only when it is sure: a body of unknown length may still turn out too large.
  resp.headers.add("Cache-Status", s.store && sized ? "weir; fwd=miss; stored" : "weir; fwd=miss");
  if (!s.store) {
    endCollapse(nullptr);  // waiting requests go to the server now rather than after this response
    return;
  }
  capture_ = std::make_shared<cache::CachedResponse>();
  capture_->status = resp.status;
  capture_->reason = resp.reason;
  capture_->expiresAtMs = s.freshSeconds * 1000;  // from storage time, set in finishCapture
  for (std::string& name : s.vary) {
    std::string value = cache::ResponseCache::varyValue(req.headers, name);
    capture_->varyValues.emplace_back(std::move(name), std::move(value));
  }
  captureLimit_ = config.max_object_size;
}

void ClientSession::captureHeaders(const http::ResponseHead& resp) {
  if (!capture_) return;
  capture_->headers = resp.headers;  // after writeResponseHead: end-to-end fields only
  capture_->headers.remove("cache-status");
  capture_->headers.remove("age");
}

bool ClientSession::captureHasRoom(size_t len) {
  if (!capture_) return false;
  if (capture_->body.size() + len <= captureLimit_) return true;
  capture_.reset();  // larger than max_object_size: passed on, not kept
  endCollapse(nullptr);
  return false;
}

void ClientSession::captureBody(const char* data, size_t len) {
  if (captureHasRoom(len)) capture_->body.append(data, len);
}

void ClientSession::captureBody(evbuffer* from, size_t len) {
  if (len == 0 || !captureHasRoom(len)) return;
  const size_t at = capture_->body.size();
  capture_->body.resize(at + len);
  evbuffer_copyout(from, capture_->body.data() + at, len);
}

void ClientSession::finishCapture() {
  if (!capture_) return;
  const int64_t now = steadyNowMs();
  capture_->storedAtMs = now;
  capture_->expiresAtMs += now;
  std::shared_ptr<const cache::CachedResponse> stored = std::move(capture_);
  capture_.reset();
  if (!ctx_->responseCache(cacheIndex_).store(cacheKey_, stored)) stored.reset();
  endCollapse(std::move(stored));
}

}  // namespace weir::proxy

// ClientSession, routing: the frontend's rules decide what answers a request, and the replies
// weir writes itself (return, redirect, deny, static files) leave from here.
#include <fmt/format.h>

#include <chrono>

#include "weir/base/time_util.h"
#include "weir/cache/cache_policy.h"
#include "weir/http/status_reason.h"
#include "weir/proxy/client_session.h"
#include "weir/proxy/flow_control.h"
#include "weir/proxy/worker_context.h"
#include "weir/route/path_normalizer.h"

namespace weir::proxy {

bool ClientSession::routeRequest(http::RequestHead& req) {
  const route::TargetParts parts = route::splitTarget(req.target);
  if (!route::normalizePath(parts.path, routePath_)) {
    failExchange(Failure::kBadRequest);
    return false;
  }
  // Absolute-form: the authority is the host, whatever Host says (RFC 9112 3.2.2).
  if (!parts.authority.empty()) req.headers.set("Host", parts.authority);
  route::RequestFacts facts{req.method, routePath_, parts.query, parts.hasQuery, &req.headers, &peer_, tls_ != nullptr, 0};
  const route::Router& router = ctx_->router(*fe_);
  route::RouteResult result = router.route(facts, req.headers, routePath_);
  if (result.kind == route::RouteResult::Kind::kStatic) {
    if (serveStatic(result.staticRule, parts)) return false;
    result = router.pickBackend(facts);  // no such file, and the rule falls back to the backend
  }
  // The cache rules first: with none (the usual frontend) the request's headers are not read.
  int cacheIndex = result.kind == route::RouteResult::Kind::kBackend ? router.pickCache(facts) : -1;
  if (cacheIndex >= 0 && cache::requestPolicy(req) != cache::RequestPolicy::kLookup) cacheIndex = -1;
  // The server gets the path the rules saw (normalised, maybe rewritten), in origin-form.
  if (!parts.authority.empty() || routePath_ != parts.path) {
    scratch_.assign(routePath_);
    if (parts.hasQuery) scratch_.append("?").append(parts.query);
    req.target.swap(scratch_);
  }
  chooseCache(cacheIndex, req);  // the key is the target as forwarded
  if (cacheIndex >= 0 && serveFromCache(req, result.backend)) return false;
  switch (result.kind) {
    case route::RouteResult::Kind::kBackend:
      backend_ = ctx_->runtime().backends[static_cast<size_t>(result.backend)].get();
      return cacheIndex < 0 || !waitForCollapsedMiss(req);
    case route::RouteResult::Kind::kReply:
      replyLocally(*result.rule);
      return false;
    case route::RouteResult::Kind::kNoBackend:
    case route::RouteResult::Kind::kStatic:
      failExchange(Failure::kNoBackend);
      return false;
  }
  return false;
}

namespace {

/// Bytes of a file kept in memory: small slices are copied (cheaper than a reference's
/// bookkeeping); larger ones are referenced, so a connection never holds a copy of a big file.
void addCachedBytes(evbuffer* out, const std::shared_ptr<const std::string>& contents, uint64_t offset, uint64_t length) {
  constexpr uint64_t kCopyLimit = 64 * 1024;
  if (length <= kCopyLimit) {
    evbuffer_add(out, contents->data() + offset, length);
    return;
  }
  auto holder = std::make_unique<std::shared_ptr<const std::string>>(contents);
  auto release = [](const void*, size_t, void* h) { std::unique_ptr<std::shared_ptr<const std::string>>(static_cast<std::shared_ptr<const std::string>*>(h)); };
  if (evbuffer_add_reference(out, contents->data() + offset, length, release, holder.get()) == 0) holder.release();
}

}  // namespace

bool ClientSession::serveStatic(int rule, const route::TargetParts& parts) {
  const http::RequestHead& req = requestParser_.request();
  const static_files::StaticSite& site = *fe_->statics[static_cast<size_t>(rule)];
  const auto now = std::chrono::system_clock::now();
  static_files::StaticResponse r = ctx_->staticResponder().respond(
      site, routePath_, parts.query, parts.hasQuery, req, steadyNowMs(), std::chrono::system_clock::to_time_t(now));
  if (r.outcome == static_files::StaticResponse::Outcome::kMissing) {
    if (site.config.fallback_backend) return false;
    r = static_files::StaticResponder::notFound();
  }
  const bool close = localReplyCloses();
  endLocalHead(r.head, close, req.versionMinor);
  evbuffer* out = bufferevent_get_output(client_.get());
  evbuffer_add(out, r.head.data(), r.head.size());
  bytesOut_ += r.head.size();
  if (!req.isHead() && !r.errorBody.empty()) {
    evbuffer_add(out, r.errorBody.data(), r.errorBody.size());
    bytesOut_ += r.errorBody.size();
  } else if (r.length > 0 && r.contents) {
    addCachedBytes(out, r.contents, r.offset, r.length);
    bytesOut_ += r.length;
  } else if (r.length > 0 && r.file.valid()) {
    // sendfile(2) from the page cache: the file is never read into memory (the fd is the buffer's now).
    if (evbuffer_add_file(out, r.file.get(), static_cast<ev_off_t>(r.offset), static_cast<ev_off_t>(r.length)) == 0) {
      r.file.release();
      bytesOut_ += r.length;
    } else {
      abort("PR");  // the head promised bytes we cannot send
      return true;
    }
  }
  finishLocalReply(r.status, "LR", close);
  return true;
}

void ClientSession::finishLocalReply(int status, std::string_view termination, bool close) {
  status_ = status;
  termination_ = termination;
  logExchange();
  if (close) {
    closeAfterFlush();
  } else {
    resetForNextRequest();  // the parse loop goes on with pipelined requests, if any
  }
}

void ClientSession::applyResponseRules(http::ResponseHead& resp) {
  const route::Router& router = ctx_->router(*fe_);
  if (!router.hasResponseRules()) return;
  const http::RequestHead& req = requestParser_.request();
  // hdr() in a response rule reads the response's headers, as in HAProxy.
  const route::TargetParts parts = route::splitTarget(req.target);
  const route::RequestFacts facts{req.method, routePath_, parts.query, parts.hasQuery, &resp.headers, &peer_, tls_ != nullptr,
                                  resp.status};
  router.applyResponseRules(facts, resp.headers);
}

void ClientSession::replyLocally(const route::HttpRule& rule) {
  const http::RequestHead& req = requestParser_.request();
  const route::ReplySpec* spec = &rule.reply;
  route::ReplySpec redirect;
  if (rule.action == route::RuleAction::kRedirect) {
    const std::string* host = req.headers.get("host");
    const route::TargetParts parts = route::splitTarget(req.target);
    redirect.status = rule.redirect.code;
    redirect.headers.push_back({"Location", route::redirectLocation(rule.redirect, host ? *host : std::string_view(),
                                                                     parts.path, parts.query, parts.hasQuery)});
    spec = &redirect;
  }
  std::string_view body = spec->body;
  std::string_view contentType = spec->contentType;
  std::string defaultBody;
  if (rule.action == route::RuleAction::kDeny && body.empty()) {
    defaultBody = fmt::format("{} {}: request forbidden by administrative rules.\n", spec->status, http::statusReason(spec->status));
    body = defaultBody;
    contentType = "text/plain";
  }
  // A request body that was not read yet cannot be skipped safely: the connection closes.
  const bool close = localReplyCloses();
  std::string& out = scratch_;
  out.clear();
  fmt::format_to(std::back_inserter(out), "HTTP/1.1 {} {}\r\n", spec->status, http::statusReason(spec->status));
  for (const http::Header& h : spec->headers) fmt::format_to(std::back_inserter(out), "{}: {}\r\n", h.name, h.value);
  if (!contentType.empty()) fmt::format_to(std::back_inserter(out), "Content-Type: {}\r\n", contentType);
  fmt::format_to(std::back_inserter(out), "Content-Length: {}\r\n", body.size());
  if (rule.action != route::RuleAction::kReturn) out.append("Cache-Control: no-cache\r\n");
  endLocalHead(out, close, req.versionMinor);
  if (!req.isHead()) out.append(body);
  bytesOut_ += out.size();
  evbuffer_add(bufferevent_get_output(client_.get()), out.data(), out.size());
  deniedByRule_ = rule.action == route::RuleAction::kDeny;
  finishLocalReply(spec->status, deniedByRule_ ? "PR" : "LR", close);  // HAProxy: denied / local
}

}  // namespace weir::proxy

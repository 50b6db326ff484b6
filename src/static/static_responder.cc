#include "weir/static/static_responder.h"

#include <fmt/format.h>

#include <chrono>

#include "weir/http/header_map.h"
#include "weir/http/http_date.h"
#include "weir/http/status_reason.h"
#include "weir/static/conditional_request.h"

namespace weir::static_files {
namespace {

constexpr std::string_view kNotFound = "404 Not Found\n";
constexpr std::string_view kForbidden = "403 Forbidden\n";
constexpr std::string_view kMethodNotAllowed = "405 Method Not Allowed: only GET and HEAD are served from files.\n";
constexpr std::string_view kServerError = "500 Internal Server Error\n";

/// Whether Accept-Encoding admits `coding` (a token listed without q=0).
bool accepts(const http::HeaderMap& headers, std::string_view coding) {
  for (const http::Header& h : headers) {
    if (!http::equalsIgnoreCase(h.name, "accept-encoding")) continue;
    std::string_view rest = h.value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      const size_t semi = item.find(';');
      std::string_view token = item.substr(0, semi);
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      if (http::equalsIgnoreCase(token, coding)) {
        const std::string_view params = semi == std::string_view::npos ? std::string_view() : item.substr(semi + 1);
        const size_t q = params.find("q=");
        return q == std::string_view::npos || params.substr(q + 2).find_first_not_of("0. ") != std::string_view::npos;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

/// IMF-fixdate of `t`, formatted once per second per worker.
const std::string& cachedHttpDate(std::time_t t) {
  thread_local std::time_t last = -1;
  thread_local std::string text;
  if (t != last) {
    text = http::formatHttpDate(t);
    last = t;
  }
  return text;
}

StaticResponse errorResponse(int status, std::string_view body) {
  StaticResponse r;
  r.outcome = StaticResponse::Outcome::kServed;
  r.status = status;
  r.errorBody = body;
  fmt::format_to(std::back_inserter(r.head), "HTTP/1.1 {} {}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n",
                 status, http::statusReason(status), body.size());
  if (status == 405) r.head += "Allow: GET, HEAD\r\n";
  return r;
}

}  // namespace

bool StaticResponder::choose(const StaticSite& site, const std::string& relative, const http::RequestHead& req,
                             int64_t nowMs, Chosen* out) {
  const int root = site.root.get();
  if (site.config.precompressed) {
    for (std::string_view encoding : {"br", "gzip"}) {
      const std::string sibling = relative + (encoding == "br" ? ".br" : ".gz");
      UniqueFd fd;
      const FileRecord& r = cache_.lookup(site.id, root, sibling, nowMs, &fd);
      if (r.status != OpenStatus::kFile) continue;
      out->vary = true;  // the answer depends on Accept-Encoding
      if (!out->encoding.empty() || !accepts(req.headers, encoding)) continue;
      out->record = r;
      out->relative = sibling;
      out->encoding = encoding;
      out->fd = std::move(fd);
    }
    if (!out->encoding.empty()) return true;
  }
  UniqueFd fd;
  const FileRecord& r = cache_.lookup(site.id, root, relative, nowMs, &fd);
  out->record = r;
  out->relative = relative;
  out->fd = std::move(fd);
  return r.status == OpenStatus::kFile;
}

StaticResponse StaticResponder::respond(const StaticSite& site, std::string_view path, std::string_view query,
                                        bool hasQuery, const http::RequestHead& req, int64_t nowMs, std::time_t now) {
  const std::optional<std::string> relative = relativeFilePath(path, site.config.dotfiles);
  if (!relative) return errorResponse(404, kNotFound);  // a hostile or hidden name: never passed on
  Chosen chosen;
  std::string target = *relative;
  if (!choose(site, target, req, nowMs, &chosen)) {
    const OpenStatus status = chosen.record.status;
    if (status == OpenStatus::kForbidden) return errorResponse(403, kForbidden);
    if (status == OpenStatus::kError) return errorResponse(500, kServerError);
    if (status != OpenStatus::kDirectory || site.config.index.empty()) return {};  // missing: the fallback decides
    if (!path.ends_with('/')) {
      StaticResponse r = errorResponse(301, "");
      fmt::format_to(std::back_inserter(r.head), "Location: {}/{}{}\r\n", path, hasQuery ? "?" : "", query);
      return r;
    }
    target = target.empty() ? site.config.index : target + (target.ends_with('/') ? "" : "/") + site.config.index;
    chosen = Chosen{};
    if (!choose(site, target, req, nowMs, &chosen)) return {};
  }
  if (!req.isHead() && req.method != "GET") return errorResponse(405, kMethodNotAllowed);
  StaticResponse r;
  finish(site, chosen, target, req, now, &r);
  return r;
}

void StaticResponder::finish(const StaticSite& site, Chosen& chosen, std::string_view path, const http::RequestHead& req,
                             std::time_t now, StaticResponse* r) {
  const FileRecord& file = chosen.record;
  const Validators validators{file.etag, file.mtime};
  r->outcome = StaticResponse::Outcome::kServed;
  const Precondition pre = evaluatePreconditions(req.headers, validators);
  RangeDecision range;
  if (pre == Precondition::kProceed) range = decideRange(req.headers, validators, file.size);
  r->status = pre == Precondition::kNotModified ? 304
              : pre == Precondition::kFailed    ? 412
              : range.kind == RangeDecision::Kind::kPartial ? 206
              : range.kind == RangeDecision::Kind::kUnsatisfiable ? 416 : 200;
  std::string& h = r->head;
  fmt::format_to(std::back_inserter(h), "HTTP/1.1 {} {}\r\nDate: {}\r\n", r->status, http::statusReason(r->status),
                 cachedHttpDate(now));
  fmt::format_to(std::back_inserter(h), "Last-Modified: {}\r\nETag: {}\r\n", http::formatHttpDate(file.mtime), file.etag);
  if (const auto& expires = site.config.expires) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*expires).count();
    fmt::format_to(std::back_inserter(h), "Cache-Control: public, max-age={}{}\r\nExpires: {}\r\n", seconds,
                   seconds >= 365 * 86400 ? ", immutable" : "", http::formatHttpDate(now + seconds));
  }
  if (chosen.vary) h += "Vary: Accept-Encoding\r\n";
  if (r->status == 304 || r->status == 412) {
    h += "Content-Length: 0\r\n";
    return;
  }
  // The type is the original name's: style.css.gz is text/css with Content-Encoding: gzip.
  fmt::format_to(std::back_inserter(h), "Content-Type: {}\r\nAccept-Ranges: bytes\r\n", mime_.lookup(path));
  if (!chosen.encoding.empty()) fmt::format_to(std::back_inserter(h), "Content-Encoding: {}\r\n", chosen.encoding);
  if (r->status == 416) {
    fmt::format_to(std::back_inserter(h), "Content-Range: bytes */{}\r\nContent-Length: 0\r\n", file.size);
    return;
  }
  r->offset = range.kind == RangeDecision::Kind::kPartial ? range.range.first : 0;
  r->length = range.kind == RangeDecision::Kind::kPartial ? range.range.length : file.size;
  if (r->status == 206)
    fmt::format_to(std::back_inserter(h), "Content-Range: bytes {}-{}/{}\r\n", r->offset, r->offset + r->length - 1, file.size);
  fmt::format_to(std::back_inserter(h), "Content-Length: {}\r\n", r->length);
  if (req.isHead()) {
    r->length = 0;
    return;
  }
  if (file.contents) {
    r->contents = file.contents;
  } else if (chosen.fd.valid()) {
    r->file = std::move(chosen.fd);
  } else {
    // Too large to keep and known from memory: open it again for this response.
    OpenedFile f = openBeneath(site.root.get(), chosen.relative);
    if (f.status != OpenStatus::kFile || static_cast<uint64_t>(f.st.st_size) != file.size) {
      *r = errorResponse(503, "503 Service Unavailable: the file changed; try again.\n");
      return;
    }
    r->file = std::move(f.fd);
  }
}

}  // namespace weir::static_files

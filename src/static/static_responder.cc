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
        size_t q = params.find("q=");
        if (q == std::string_view::npos) q = params.find("Q=");  // the name is case-insensitive
        return q == std::string_view::npos || params.substr(q + 2).find_first_not_of("0. ") != std::string_view::npos;
      }
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

/// An HTTP date formatted at most once per second (per worker: thread_local instances).
class DateText {
 public:
  const std::string& at(std::time_t t) {
    if (t != last_) {
      text_ = http::formatHttpDate(t);
      last_ = t;
    }
    return text_;
  }

 private:
  std::time_t last_ = -1;
  std::string text_;
};
thread_local DateText gDateHeader;
thread_local DateText gExpiresHeader;

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

StaticResponse StaticResponder::notFound() { return errorResponse(404, kNotFound); }

bool StaticResponder::choose(const StaticSite& site, const http::RequestHead& req, int64_t nowMs, Chosen* out) {
  const int root = site.root.get();
  out->record = cache_.lookup(site.id, root, relative_, nowMs, &out->fd);
  FileRecord& file = *out->record;
  if (file.status != OpenStatus::kFile) return false;
  if (!site.config.precompressed) return true;
  if (!file.siblingsKnown) {  // once per version of the file (and per revalidation)
    UniqueFd unused;
    file.hasBr = cache_.lookup(site.id, root, relative_ + ".br", nowMs, &unused)->status == OpenStatus::kFile;
    file.hasGz = cache_.lookup(site.id, root, relative_ + ".gz", nowMs, &unused)->status == OpenStatus::kFile;
    file.siblingsKnown = true;
  }
  out->vary = file.hasBr || file.hasGz;  // the answer depends on Accept-Encoding
  for (std::string_view encoding : {"br", "gzip"}) {
    if (!(encoding == "br" ? file.hasBr : file.hasGz) || !accepts(req.headers, encoding)) continue;
    sibling_ = relative_;
    sibling_ += encoding == "br" ? ".br" : ".gz";
    UniqueFd fd;
    std::shared_ptr<FileRecord> compressed = cache_.lookup(site.id, root, sibling_, nowMs, &fd);
    if (compressed->status != OpenStatus::kFile) continue;  // gone since: the next one, or the original
    out->record = std::move(compressed);
    out->encoding = encoding;
    out->fd = std::move(fd);
    break;
  }
  return true;
}

StaticResponse StaticResponder::respond(const StaticSite& site, std::string_view path, std::string_view query,
                                        bool hasQuery, const http::RequestHead& req, int64_t nowMs, std::time_t now) {
  if (!relativeFilePath(path, site.config.dotfiles, relative_)) return errorResponse(404, kNotFound);  // hostile or hidden
  if (!site.root.valid()) return {};  // the root did not exist at start: every file is missing
  Chosen chosen;
  if (!choose(site, req, nowMs, &chosen)) {
    const OpenStatus status = chosen.record->status;
    if (status == OpenStatus::kForbidden) return errorResponse(403, kForbidden);
    if (status == OpenStatus::kError) return errorResponse(500, kServerError);
    if (status != OpenStatus::kDirectory || site.config.index.empty()) return {};  // missing: the fallback decides
    if (!path.ends_with('/')) {
      StaticResponse r = errorResponse(301, "");
      fmt::format_to(std::back_inserter(r.head), "Location: {}/{}{}\r\n", path, hasQuery ? "?" : "", query);
      return r;
    }
    if (!relative_.empty() && !relative_.ends_with('/')) relative_ += '/';
    relative_ += site.config.index;
    chosen = Chosen{};
    if (!choose(site, req, nowMs, &chosen)) return {};
  }
  if (!req.isHead() && req.method != "GET") return errorResponse(405, kMethodNotAllowed);
  StaticResponse r;
  finish(site, chosen, relative_, req, now, &r);
  return r;
}

void StaticResponder::finish(const StaticSite& site, Chosen& chosen, std::string_view path, const http::RequestHead& req,
                             std::time_t now, StaticResponse* r) {
  const FileRecord& file = *chosen.record;
  const Validators validators{file.etag, file.mtime};
  r->outcome = StaticResponse::Outcome::kServed;
  const Precondition pre = evaluatePreconditions(req.headers, validators);
  RangeDecision range;
  if (pre == Precondition::kProceed) range = decideRange(req.headers, validators, file.size);
  r->status = pre == Precondition::kNotModified ? 304
              : pre == Precondition::kFailed    ? 412
              : range.kind == RangeDecision::Kind::kPartial ? 206
              : range.kind == RangeDecision::Kind::kUnsatisfiable ? 416 : 200;
  // Appended piece by piece: this runs for every file served (fmt costs several percent here).
  std::string& h = r->head;
  h.reserve(512);
  h.append("HTTP/1.1 ").append(fmt::format_int(r->status).c_str()).append(" ").append(http::statusReason(r->status));
  h.append("\r\nDate: ").append(gDateHeader.at(now)).append("\r\n").append(file.validatorHeaders);
  if (const auto& expires = site.config.expires) {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(*expires).count();
    h.append("Cache-Control: public, max-age=").append(fmt::format_int(seconds).c_str());
    h.append(seconds >= 365 * 86400 ? ", immutable\r\nExpires: " : "\r\nExpires: ");
    h.append(gExpiresHeader.at(now + seconds)).append("\r\n");
  }
  if (chosen.vary) h += "Vary: Accept-Encoding\r\n";
  if (r->status == 304) return;  // RFC 9110 8.6: no Content-Length unless it is the 200's
  if (r->status == 412) {
    h += "Content-Length: 0\r\n";
    return;
  }
  // The type is the original name's: style.css.gz is text/css with Content-Encoding: gzip.
  h.append("Content-Type: ").append(mime_.lookup(path)).append("\r\nAccept-Ranges: bytes\r\n");
  if (!chosen.encoding.empty()) h.append("Content-Encoding: ").append(chosen.encoding).append("\r\n");
  if (r->status == 416) {
    fmt::format_to(std::back_inserter(h), "Content-Range: bytes */{}\r\nContent-Length: 0\r\n", file.size);
    return;
  }
  r->offset = range.kind == RangeDecision::Kind::kPartial ? range.range.first : 0;
  r->length = range.kind == RangeDecision::Kind::kPartial ? range.range.length : file.size;
  if (r->status == 206)
    fmt::format_to(std::back_inserter(h), "Content-Range: bytes {}-{}/{}\r\n", r->offset, r->offset + r->length - 1, file.size);
  h.append("Content-Length: ").append(fmt::format_int(r->length).c_str()).append("\r\n");
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
    const std::string& name = chosen.encoding.empty() ? relative_ : sibling_;
    OpenedFile f = openBeneath(site.root.get(), name);
    const int64_t mtimeNs = static_cast<int64_t>(f.st.st_mtim.tv_sec) * 1'000'000'000 + f.st.st_mtim.tv_nsec;
    if (f.status != OpenStatus::kFile || static_cast<uint64_t>(f.st.st_size) != file.size || f.st.st_ino != file.inode ||
        mtimeNs != file.mtimeNs) {  // replaced since: not under the old validators
      *r = errorResponse(503, "503 Service Unavailable: the file changed; try again.\n");
      return;
    }
    r->file = std::move(f.fd);
  }
}

}  // namespace weir::static_files

#pragma once
// Answers a GET or HEAD from a static site: the file's bytes with Content-Type, Content-Length,
// Last-Modified, a strong ETag, Accept-Ranges and the rule's Cache-Control / Expires; 304 and
// 412 for conditional requests, 206 / 416 for a byte range, a precompressed .br / .gz sibling
// to clients that accept it, a directory's index (301 to add the slash first), 405 for other
// methods. Says kMissing when there is no such file, so the rule's fallback decides. Owned by
// one worker (its open-file cache is).

#include <cstdint>
#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "weir/http/message.h"
#include "weir/static/mime_types.h"
#include "weir/static/open_file_cache.h"
#include "weir/static/static_site.h"

namespace weir::static_files {

struct StaticResponse {
  enum class Outcome { kServed, kMissing };
  Outcome outcome = Outcome::kMissing;
  int status = 200;
  std::string head;  // status line and header lines, each ending in CRLF; no Connection, no blank line
  // The body: a slice of `contents` (a small file from memory) or of `file`.
  std::shared_ptr<const std::string> contents;
  UniqueFd file;
  uint64_t offset = 0;
  uint64_t length = 0;  // 0: no body (HEAD, 304, errors without one)
  std::string_view errorBody;  // 403, 404, 405, 500: a short text body
};

class StaticResponder {
 public:
  StaticResponder(const config::StaticCacheConfig& config, const MimeTypes& mime) : cache_(config), mime_(mime) {}

  /// `path` is the normalised request path, `query` what followed '?' (for the 301).
  StaticResponse respond(const StaticSite& site, std::string_view path, std::string_view query, bool hasQuery,
                         const http::RequestHead& req, int64_t nowMs, std::time_t now);

  const OpenFileCache& cache() const { return cache_; }
  /// The 404 of a rule whose fallback is 404.
  static StaticResponse notFound();

 private:
  struct Chosen {
    std::shared_ptr<FileRecord> record;
    std::string_view encoding;  // "", "br", "gzip"
    bool vary = false;
    UniqueFd fd;
  };
  /// The file for `relative_`, or its precompressed sibling; false when there is no such file.
  bool choose(const StaticSite& site, const http::RequestHead& req, int64_t nowMs, Chosen* out);
  void finish(const StaticSite& site, Chosen& chosen, std::string_view path, const http::RequestHead& req,
              std::time_t now, StaticResponse* r);

  OpenFileCache cache_;
  const MimeTypes& mime_;
  std::string relative_;  // reused per request
  std::string sibling_;
};

}  // namespace weir::static_files

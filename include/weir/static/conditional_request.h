#pragma once
// The parts of RFC 9110 that decide what a GET or HEAD of a file gets: preconditions
// (If-Match, If-Unmodified-Since -> 412; If-None-Match, If-Modified-Since -> 304; section 13.2.2
// order) and a single byte range (Range, If-Range -> 206 or 416; several ranges are answered
// with the whole file, which RFC 9110 allows). Pure functions over header values.

#include <cstdint>
#include <ctime>
#include <optional>
#include <string_view>

#include "weir/http/header_map.h"

namespace weir::static_files {

/// What a file looks like to validators.
struct Validators {
  std::string_view etag;  // strong, quoted: "\"5f3-1a2b-...\""
  std::time_t lastModified = 0;
};

enum class Precondition { kProceed, kNotModified, kFailed };

/// RFC 9110 13.2.2 for a GET/HEAD of a representation with these validators.
Precondition evaluatePreconditions(const http::HeaderMap& request, const Validators& v);

struct ByteRange {
  uint64_t first = 0;
  uint64_t length = 0;
};

struct RangeDecision {
  enum class Kind { kWhole, kPartial, kUnsatisfiable };
  Kind kind = Kind::kWhole;
  ByteRange range;
};

/// The answer to Range (and If-Range) for a representation of `size` bytes.
RangeDecision decideRange(const http::HeaderMap& request, const Validators& v, uint64_t size);

/// True when `etag` is listed in an If-None-Match / If-Match value (or the value is "*").
/// `weak`: weak comparison (W/ prefixes ignored), as If-None-Match uses.
bool etagListMatches(std::string_view list, std::string_view etag, bool weak);

}  // namespace weir::static_files

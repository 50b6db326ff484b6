#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "support/header_list.h"

namespace weir::test {

/// One entry of a fake backend's record file: a complete request exactly as it reached the
/// backend, or a connection on which the backend saw malformed bytes.
struct RecordedRequest {
  std::uint64_t conn = 0;  // the backend's connection number, from 1
  std::uint64_t req = 0;   // the request's number on that connection, from 1
  std::string method;
  std::string target;
  std::size_t bodySize = 0;
  std::string head;  // raw request head as received, ending in CRLFCRLF
  std::string body;
  bool malformed = false;
  std::string malformedReason;

  /// The header fields of `head` (the request line skipped), in order.
  HeaderList headers() const;
  /// The first value of header `name`, or "" when absent.
  std::string header(std::string_view name) const { return headers().value(name); }
  /// The first line of `head` without CRLF, e.g. "GET /a HTTP/1.1".
  std::string requestLine() const;
};

/// Parses a record file:
///   === conn=C req=R method=M target=T body=N\n<head ending CRLFCRLF><N body bytes>\n
///   === conn=C malformed: REASON\n
/// An incomplete entry at the end (the backend is still writing it) is left out.
std::vector<RecordedRequest> parseRecords(std::string_view text);

}  // namespace weir::test

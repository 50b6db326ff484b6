#include "support/recorded_request.h"

#include <charconv>
#include <optional>

namespace weir::test {

namespace {

constexpr std::string_view kMarker = "=== conn=";

/// The value after `key` up to the next space (or the end); nullopt when `key` is absent.
std::optional<std::string_view> fieldAfter(std::string_view line, std::string_view key) {
  const std::size_t start = line.find(key);
  if (start == std::string_view::npos) {
    return std::nullopt;
  }
  const std::string_view rest = line.substr(start + key.size());
  return rest.substr(0, rest.find(' '));
}

std::uint64_t toNumber(std::optional<std::string_view> text) {
  std::uint64_t value = 0;
  if (text) {
    std::from_chars(text->data(), text->data() + text->size(), value);
  }
  return value;
}

/// Fills method, target, sizes from a "=== conn=..." line; false when it is not one.
bool parseMarkerLine(std::string_view line, RecordedRequest& record) {
  if (line.substr(0, kMarker.size()) != kMarker) {
    return false;
  }
  record.conn = toNumber(fieldAfter(line, "conn="));
  const std::size_t malformed = line.find(" malformed: ");
  if (malformed != std::string_view::npos) {
    record.malformed = true;
    record.malformedReason = std::string(line.substr(malformed + 12));
    return true;
  }
  record.req = toNumber(fieldAfter(line, " req="));
  record.bodySize = toNumber(fieldAfter(line, " body="));
  const std::size_t method = line.find(" method=");
  const std::size_t target = line.find(" target=");
  const std::size_t body = line.rfind(" body=");
  if (method == std::string_view::npos || target == std::string_view::npos ||
      body == std::string_view::npos || body < target) {
    return false;
  }
  record.method = std::string(line.substr(method + 8, target - method - 8));
  record.target = std::string(line.substr(target + 8, body - target - 8));
  return true;
}

}  // namespace

HeaderList RecordedRequest::headers() const {
  const std::size_t firstLineEnd = head.find("\r\n");
  return firstLineEnd == std::string::npos ? HeaderList()
                                           : parseHeaderLines(std::string_view(head).substr(
                                                 firstLineEnd + 2));
}

std::string RecordedRequest::requestLine() const { return head.substr(0, head.find("\r\n")); }

std::vector<RecordedRequest> parseRecords(std::string_view text) {
  std::vector<RecordedRequest> records;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t lineEnd = text.find('\n', pos);
    RecordedRequest record;
    if (lineEnd == std::string_view::npos ||
        !parseMarkerLine(text.substr(pos, lineEnd - pos), record)) {
      break;
    }
    pos = lineEnd + 1;
    if (!record.malformed) {
      const std::size_t headEnd = text.find("\r\n\r\n", pos);
      if (headEnd == std::string_view::npos || text.size() < headEnd + 4 + record.bodySize + 1) {
        break;
      }
      record.head = std::string(text.substr(pos, headEnd + 4 - pos));
      record.body = std::string(text.substr(headEnd + 4, record.bodySize));
      pos = headEnd + 4 + record.bodySize + 1;
    }
    records.push_back(std::move(record));
  }
  return records;
}

}  // namespace weir::test

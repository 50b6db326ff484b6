#include "support/response_parser.h"

#include <cctype>
#include <optional>

namespace weir::test {

namespace {

using Outcome = ResponseParse::Outcome;

constexpr std::size_t kMaxHeadBytes = 1 << 20;
constexpr std::size_t kMaxChunkLineBytes = 4096;
constexpr std::size_t kMaxChunkSize = std::size_t{1} << 40;
constexpr std::string_view kCrlf = "\r\n";

ResponseParse needMore(std::size_t atLeast) {
  ResponseParse parse;
  parse.outcome = Outcome::NeedMore;
  parse.needAtLeast = atLeast;
  return parse;
}

ResponseParse failure(std::string error) {
  ResponseParse parse;
  parse.outcome = Outcome::Error;
  parse.error = std::move(error);
  return parse;
}

bool isTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

/// Every LF must follow a CR and every CR precede an LF.
std::optional<std::string> lineEndingError(std::string_view head) {
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n' && (i == 0 || head[i - 1] != '\r')) {
      return "bare LF in response head at byte " + std::to_string(i);
    }
    if (head[i] == '\r' && i + 1 < head.size() && head[i + 1] != '\n') {
      return "bare CR in response head at byte " + std::to_string(i);
    }
  }
  return std::nullopt;
}

std::optional<std::string> parseStatusLine(std::string_view line, HttpResponse& response) {
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || (line[7] != '0' && line[7] != '1') ||
      line[8] != ' ') {
    return "bad status line: " + escapeBytes(line);
  }
  for (std::size_t i = 9; i < 12; ++i) {
    if (std::isdigit(static_cast<unsigned char>(line[i])) == 0) {
      return "bad status code in: " + escapeBytes(line);
    }
  }
  if (line.size() > 12 && line[12] != ' ') {
    return "no space after status code in: " + escapeBytes(line);
  }
  response.version = std::string(line.substr(0, 8));
  response.status = std::stoi(std::string(line.substr(9, 3)));
  response.reason = line.size() > 13 ? std::string(line.substr(13)) : std::string();
  return std::nullopt;
}

std::optional<std::string> parseFieldLine(std::string_view line, HeaderList& fields) {
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    return "obs-fold (continuation line) in: " + escapeBytes(line);
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return "header line without a name: " + escapeBytes(line);
  }
  for (char c : line.substr(0, colon)) {
    if (!isTokenChar(c)) {
      return "bad character in header name: " + escapeBytes(line);
    }
  }
  fields.add(std::string(line.substr(0, colon)),
             std::string(trimWhitespace(line.substr(colon + 1))));
  return std::nullopt;
}

/// `head` is the status line and field lines, without the final empty line.
std::optional<std::string> parseHead(std::string_view head, HttpResponse& response) {
  std::size_t end = head.find(kCrlf);
  if (auto error = parseStatusLine(head.substr(0, end), response)) {
    return error;
  }
  while (end != std::string_view::npos) {
    const std::size_t start = end + 2;
    end = head.find(kCrlf, start);
    if (auto error = parseFieldLine(head.substr(start, end - start), response.headers)) {
      return error;
    }
  }
  return std::nullopt;
}

/// The single Content-Length value, however many times (or in a list) it was sent.
std::optional<std::string> contentLength(const HttpResponse& response, std::size_t& length) {
  std::optional<std::string> agreed;
  for (const std::string& value : response.headers.getAll("Content-Length")) {
    std::string_view rest = value;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      const std::string item(trimWhitespace(rest.substr(0, comma)));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.empty() || item.size() > 15 ||
          item.find_first_not_of("0123456789") != std::string::npos) {
        return "bad Content-Length: " + escapeBytes(value);
      }
      if (agreed && *agreed != item) {
        return "conflicting Content-Length values";
      }
      agreed = item;
    }
  }
  length = std::stoull(agreed.value_or("0"));
  return std::nullopt;
}

std::optional<std::string> chooseFraming(HttpResponse& response, bool requestWasHead,
                                         std::size_t& length) {
  const int status = response.status;
  if (requestWasHead || status / 100 == 1 || status == 204 || status == 304) {
    response.framing = BodyFraming::None;
    return std::nullopt;
  }
  const bool hasLength = response.headers.has("Content-Length");
  if (response.headers.has("Transfer-Encoding")) {
    if (hasLength) {
      return "response has both Transfer-Encoding and Content-Length";
    }
    std::string codings;
    for (const std::string& value : response.headers.getAll("Transfer-Encoding")) {
      codings += (codings.empty() ? "" : ",") + value;
    }
    const std::string_view last = trimWhitespace(std::string_view(codings).substr(
        codings.rfind(',') == std::string::npos ? 0 : codings.rfind(',') + 1));
    response.framing =
        equalsIgnoreCase(last, "chunked") ? BodyFraming::Chunked : BodyFraming::UntilClose;
    return std::nullopt;
  }
  if (hasLength) {
    response.framing = BodyFraming::ContentLength;
    return contentLength(response, length);
  }
  response.framing = BodyFraming::UntilClose;
  return std::nullopt;
}

/// Where one walk over a chunked body got to.
struct ChunkScan {
  Outcome outcome = Outcome::NeedMore;
  std::size_t end = 0;          // Complete: offset after the last CRLF
  std::size_t needAtLeast = 0;  // NeedMore
  std::string error;
};

ChunkScan chunkNeedMore(std::size_t atLeast, std::size_t have, bool peerClosed) {
  if (peerClosed) {
    return {Outcome::Error, 0, 0,
            "connection closed inside the chunked body after " + std::to_string(have) + " bytes"};
  }
  return {Outcome::NeedMore, 0, atLeast, {}};
}

std::size_t hexValue(char c) {
  if (c >= '0' && c <= '9') {
    return static_cast<std::size_t>(c - '0');
  }
  return static_cast<std::size_t>(std::tolower(static_cast<unsigned char>(c)) - 'a' + 10);
}

/// Reads a chunk size line "HEX[;ext]"; returns an error message when it is not one.
std::optional<std::string> chunkSize(std::string_view line, std::size_t& size) {
  std::size_t digits = 0;
  size = 0;
  while (digits < line.size() && std::isxdigit(static_cast<unsigned char>(line[digits])) != 0) {
    size = size * 16 + hexValue(line[digits]);
    if (size > kMaxChunkSize) {
      return "chunk size too large: " + escapeBytes(line);
    }
    ++digits;
  }
  const std::string_view rest = trimWhitespace(line.substr(digits));
  if (digits == 0 || (!rest.empty() && rest[0] != ';')) {
    return "bad chunk size line: " + escapeBytes(line);
  }
  return std::nullopt;
}

std::optional<std::string> parseTrailers(std::string_view lines, HttpResponse* out) {
  std::size_t start = 0;
  for (std::size_t end; (end = lines.find(kCrlf, start)) != std::string_view::npos;
       start = end + 2) {
    if (out != nullptr) {
      if (auto error = parseFieldLine(lines.substr(start, end - start), out->trailers)) {
        return error;
      }
    }
  }
  return std::nullopt;
}

/// Walks the chunks starting at `pos`; fills `out` (body, chunk sizes, trailers) when given.
ChunkScan scanChunked(std::string_view bytes, std::size_t pos, bool peerClosed,
                      HttpResponse* out) {
  for (;;) {
    const std::size_t lineEnd = bytes.find(kCrlf, pos);
    if (lineEnd == std::string_view::npos) {
      if (bytes.size() - pos > kMaxChunkLineBytes) {
        return {Outcome::Error, 0, 0, "chunk size line too long"};
      }
      return chunkNeedMore(bytes.size() + 1, bytes.size(), peerClosed);
    }
    std::size_t size = 0;
    if (auto error = chunkSize(bytes.substr(pos, lineEnd - pos), size)) {
      return {Outcome::Error, 0, 0, *error};
    }
    pos = lineEnd + 2;
    if (size == 0) {
      const std::size_t trailerEnd = bytes.find("\r\n\r\n", pos - 2);
      if (trailerEnd == std::string_view::npos) {
        return chunkNeedMore(bytes.size() + 1, bytes.size(), peerClosed);
      }
      if (auto error = parseTrailers(bytes.substr(pos, trailerEnd + 2 - pos), out)) {
        return {Outcome::Error, 0, 0, *error};
      }
      return {Outcome::Complete, trailerEnd + 4, 0, {}};
    }
    if (bytes.size() < pos + size + 2) {
      return chunkNeedMore(pos + size + 2, bytes.size(), peerClosed);
    }
    if (bytes.substr(pos + size, 2) != kCrlf) {
      return {Outcome::Error, 0, 0, "chunk data not followed by CRLF"};
    }
    if (out != nullptr) {
      out->body.append(bytes.substr(pos, size));
      out->chunkSizes.push_back(size);
    }
    pos += size + 2;
  }
}

ResponseParse complete(HttpResponse response, std::string_view bytes, std::size_t end) {
  ResponseParse parse;
  parse.outcome = Outcome::Complete;
  parse.consumed = end;
  parse.response = std::move(response);
  parse.response.raw = std::string(bytes.substr(0, end));
  return parse;
}

ResponseParse parseBody(HttpResponse response, std::string_view bytes, std::size_t bodyStart,
                        std::size_t length, bool peerClosed) {
  switch (response.framing) {
    case BodyFraming::None:
      return complete(std::move(response), bytes, bodyStart);
    case BodyFraming::ContentLength:
      if (bytes.size() < bodyStart + length) {
        return peerClosed ? failure("connection closed after " +
                                    std::to_string(bytes.size() - bodyStart) + " of " +
                                    std::to_string(length) + " body bytes")
                          : needMore(bodyStart + length);
      }
      response.body = std::string(bytes.substr(bodyStart, length));
      return complete(std::move(response), bytes, bodyStart + length);
    case BodyFraming::Chunked: {
      const ChunkScan scan = scanChunked(bytes, bodyStart, peerClosed, nullptr);
      if (scan.outcome != Outcome::Complete) {
        return scan.outcome == Outcome::Error ? failure(scan.error) : needMore(scan.needAtLeast);
      }
      scanChunked(bytes, bodyStart, peerClosed, &response);
      return complete(std::move(response), bytes, scan.end);
    }
    case BodyFraming::UntilClose:
      if (!peerClosed) {
        return needMore(bytes.size() + 1);
      }
      response.body = std::string(bytes.substr(bodyStart));
      return complete(std::move(response), bytes, bytes.size());
  }
  return failure("unreachable framing");
}

}  // namespace

ResponseParse parseResponse(std::string_view bytes, bool requestWasHead, bool peerClosed) {
  const std::size_t headEnd = bytes.find("\r\n\r\n");
  const std::string_view head = bytes.substr(0, headEnd);
  if (auto error = lineEndingError(head)) {
    return failure(*error);
  }
  if (headEnd == std::string_view::npos) {
    if (peerClosed) {
      return failure(bytes.empty() ? "connection closed before any response byte"
                                   : "connection closed inside the response head: " +
                                         escapeBytes(bytes));
    }
    return bytes.size() > kMaxHeadBytes ? failure("response head larger than 1 MiB")
                                        : needMore(bytes.size() + 1);
  }
  HttpResponse response;
  if (auto error = parseHead(head, response)) {
    return failure(*error);
  }
  std::size_t length = 0;
  if (auto error = chooseFraming(response, requestWasHead, length)) {
    return failure(*error);
  }
  return parseBody(std::move(response), bytes, headEnd + 4, length, peerClosed);
}

}  // namespace weir::test

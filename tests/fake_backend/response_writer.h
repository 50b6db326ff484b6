#pragma once
// Serialises the fake backend's responses into a connection's output buffer.

#include <event2/buffer.h>
#include <fmt/format.h>

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "body_pattern.h"
#include "response_script.h"

namespace weir::fake {

enum class Framing { kNone, kContentLength, kChunked };
enum class ConnectionToken { kNone, kKeepAlive, kClose, kUpgrade };

/// Everything in a response head besides `X-Server`, which every response carries.
struct ResponseHead {
  int status = 200;
  std::string_view contentType;  // empty: no Content-Type
  Framing framing = Framing::kContentLength;
  uint64_t contentLength = 0;  // for Framing::kContentLength
  ConnectionToken connection = ConnectionToken::kNone;
  std::span<const ResponseHeader> extraHeaders;
};

/// A response body: caller-held bytes, or `size` bytes of the shared pattern.
struct BodySource {
  std::string_view bytes;
  const BodyPattern* pattern = nullptr;
  uint64_t patternSize = 0;

  static BodySource ofBytes(std::string_view bytes) { return BodySource{bytes, nullptr, 0}; }
  static BodySource ofPattern(const BodyPattern& pattern, uint64_t size) { return BodySource{{}, &pattern, size}; }

  uint64_t size() const { return pattern != nullptr ? patternSize : bytes.size(); }
};

/// Owned by one connection (one worker); keeps a scratch buffer between responses so the
/// common response costs no allocation. Every write returns false if libevent failed.
class ResponseWriter {
 public:
  static constexpr uint64_t kMaxChunkBytes = 16 * 1024;

  explicit ResponseWriter(std::string_view serverName) : serverName_(serverName) {}

  bool writeHead(evbuffer* out, const ResponseHead& head);
  /// Writes the first `sendBytes` bytes of `body`, framed as chunks if `chunked`; the
  /// terminating zero chunk follows only when the whole body was sent.
  static bool writeBody(evbuffer* out, const BodySource& body, uint64_t sendBytes, bool chunked);
  static bool writeContinue(evbuffer* out);
  /// Two conflicting Content-Length headers: a response no proxy may forward (bad=1).
  bool writeMalformed(evbuffer* out);

 private:
  std::string_view serverName_;
  fmt::memory_buffer scratch_;
};

/// The reason phrase for a status code ("OK", "Not Found"), "Unknown" for unlisted codes.
std::string_view reasonPhrase(int status);

}  // namespace weir::fake

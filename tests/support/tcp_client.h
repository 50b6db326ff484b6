#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "support/http_response.h"
#include "support/wait_for.h"

namespace weir::test {

/// A raw TCP client to 127.0.0.1:PORT for speaking HTTP/1.x byte by byte. The socket is
/// non-blocking and close-on-exec; every call waits with poll() up to its own timeout, so a
/// misbehaving server fails the test instead of hanging it. Bytes received beyond one response
/// stay buffered for the next read (pipelining, upgraded connections). Never throws: a failed
/// call returns false / an empty string / a response with `error`, and error() says why.
/// Owned by one thread.
class TcpClient {
 public:
  /// Connects at once; check isConnected() (a refused connection is not an exception).
  /// `sourceIp` binds the local end first (another 127.x.y.z: a different client address).
  explicit TcpClient(std::uint16_t port, std::chrono::milliseconds timeout = kDefaultTimeout,
                     std::string_view sourceIp = {});
  ~TcpClient();
  TcpClient(TcpClient&& other) noexcept;
  TcpClient& operator=(TcpClient&& other) noexcept;
  TcpClient(const TcpClient&) = delete;
  TcpClient& operator=(const TcpClient&) = delete;

  bool isConnected() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  int fd() const { return fd_; }
  std::uint16_t localPort() const;

  /// Sends all of `bytes`; false when the peer is gone or the timeout passed.
  bool send(std::string_view bytes, std::chrono::milliseconds timeout = kDefaultTimeout);
  /// Half-closes: the peer sees EOF, we can still read.
  bool shutdownWrite();
  /// Closes with SO_LINGER 0, so the peer sees a TCP RST (an aborting client).
  void closeWithReset();
  void close();

  /// Reads exactly one response (see parseResponse for the rules); the rest stays buffered.
  HttpResponse readResponse(std::chrono::milliseconds timeout = kDefaultTimeout,
                            bool requestWasHead = false);
  /// Buffered bytes if there are any, else whatever arrives first; "" on timeout or EOF.
  std::string readSome(std::chrono::milliseconds timeout = kDefaultTimeout);
  /// Everything (buffered included) until the peer closes or the timeout passes; check
  /// isClosedByPeer(0ms) to tell which.
  std::string readUntilClosed(std::chrono::milliseconds timeout = kDefaultTimeout);
  /// Waits for EOF or RST from the peer, buffering any data that comes first.
  bool isClosedByPeer(std::chrono::milliseconds timeout = kDefaultTimeout);
  bool wasResetByPeer() const { return resetByPeer_; }
  /// Bytes received and not yet returned by a read.
  const std::string& buffered() const { return buffer_; }

 private:
  enum class Fill { Data, Closed, Timeout, Error };
  /// Waits until `deadline` for bytes and appends them to buffer_.
  Fill fill(std::chrono::steady_clock::time_point deadline);
  bool connectTo(std::uint16_t port, std::chrono::milliseconds timeout, std::string_view sourceIp);

  int fd_ = -1;
  std::string buffer_;
  bool peerClosed_ = false;
  bool resetByPeer_ = false;
  std::string error_;
};

}  // namespace weir::test

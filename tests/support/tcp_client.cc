#include "support/tcp_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "support/response_parser.h"

namespace weir::test {

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::size_t kReadSize = 64 * 1024;

std::string errnoText(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

/// poll() for `events` until `deadline`; >0 ready, 0 timed out, <0 error.
int pollUntil(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(remainingUntil(deadline).count()));
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    return ready;
  }
}

}  // namespace

TcpClient::TcpClient(std::uint16_t port, std::chrono::milliseconds timeout, std::string_view sourceIp) {
  if (!connectTo(port, timeout, sourceIp)) {
    close();
  }
}

TcpClient::~TcpClient() { close(); }

TcpClient::TcpClient(TcpClient&& other) noexcept { *this = std::move(other); }

TcpClient& TcpClient::operator=(TcpClient&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    other.fd_ = -1;
    buffer_ = std::move(other.buffer_);
    peerClosed_ = other.peerClosed_;
    resetByPeer_ = other.resetByPeer_;
    error_ = std::move(other.error_);
  }
  return *this;
}

bool TcpClient::connectTo(std::uint16_t port, std::chrono::milliseconds timeout, std::string_view sourceIp) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) {
    error_ = errnoText("socket");
    return false;
  }
  if (!sourceIp.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    const std::string ip(sourceIp);
    if (::inet_pton(AF_INET, ip.c_str(), &local.sin_addr) != 1 ||
        ::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      error_ = errnoText(("bind " + ip).c_str());
      return false;
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0) {
    return true;
  }
  if (errno != EINPROGRESS) {
    error_ = errnoText("connect");
    return false;
  }
  if (pollUntil(fd_, POLLOUT, Clock::now() + timeout) <= 0) {
    error_ = "connect: timed out";
    return false;
  }
  int soError = 0;
  socklen_t length = sizeof soError;
  ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &soError, &length);
  if (soError != 0) {
    error_ = std::string("connect: ") + std::strerror(soError);
    return false;
  }
  return true;
}

std::uint16_t TcpClient::localPort() const {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (fd_ < 0 || ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return 0;
  }
  return ntohs(address.sin_port);
}

bool TcpClient::send(std::string_view bytes, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!bytes.empty()) {
    if (fd_ < 0) {
      error_ = "send: not connected";
      return false;
    }
    const ssize_t sent = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (sent > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    } else if (sent < 0 && errno != EAGAIN && errno != EINTR) {
      error_ = errnoText("send");
      return false;
    } else if (sent < 0 && errno == EAGAIN && pollUntil(fd_, POLLOUT, deadline) <= 0) {
      error_ = "send: timed out with " + std::to_string(bytes.size()) + " bytes unsent";
      return false;
    }
  }
  return true;
}

bool TcpClient::shutdownWrite() {
  if (fd_ < 0 || ::shutdown(fd_, SHUT_WR) != 0) {
    error_ = errnoText("shutdown");
    return false;
  }
  return true;
}

void TcpClient::closeWithReset() {
  if (fd_ >= 0) {
    linger option{1, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &option, sizeof option);
  }
  close();
}

void TcpClient::close() {
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

TcpClient::Fill TcpClient::fill(Clock::time_point deadline) {
  if (peerClosed_) {
    return Fill::Closed;
  }
  if (fd_ < 0) {
    error_ = "read: not connected";
    return Fill::Error;
  }
  for (;;) {
    char chunk[kReadSize];
    const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
    if (got > 0) {
      buffer_.append(chunk, static_cast<std::size_t>(got));
      return Fill::Data;
    }
    if (got == 0 || errno == ECONNRESET) {
      resetByPeer_ = got < 0;
      peerClosed_ = true;
      return Fill::Closed;
    }
    if (errno != EAGAIN && errno != EINTR) {
      error_ = errnoText("recv");
      return Fill::Error;
    }
    if (errno == EAGAIN && pollUntil(fd_, POLLIN, deadline) <= 0) {
      return Fill::Timeout;
    }
  }
}

HttpResponse TcpClient::readResponse(std::chrono::milliseconds timeout, bool requestWasHead) {
  const auto deadline = Clock::now() + timeout;
  std::size_t needAtLeast = 1;
  for (;;) {
    if (buffer_.size() >= needAtLeast || peerClosed_) {
      ResponseParse parse = parseResponse(buffer_, requestWasHead, peerClosed_);
      if (parse.outcome == ResponseParse::Outcome::Complete) {
        buffer_.erase(0, parse.consumed);
        return std::move(parse.response);
      }
      if (parse.outcome == ResponseParse::Outcome::Error) {
        HttpResponse failed;
        failed.error = parse.error;
        return failed;
      }
      if (peerClosed_) {
        HttpResponse failed;
        failed.error = "connection closed before the response was complete";
        return failed;
      }
      needAtLeast = parse.needAtLeast;
    }
    const Fill result = fill(deadline);
    if (result == Fill::Timeout || result == Fill::Error) {
      HttpResponse failed;
      failed.error = result == Fill::Error
                         ? error_
                         : "timed out after " + std::to_string(timeout.count()) +
                               "ms waiting for a response; received " +
                               std::to_string(buffer_.size()) + " bytes: " + escapeBytes(buffer_);
      return failed;
    }
  }
}

std::string TcpClient::readSome(std::chrono::milliseconds timeout) {
  if (buffer_.empty()) {
    fill(Clock::now() + timeout);
  }
  return std::exchange(buffer_, std::string());
}

std::string TcpClient::readUntilClosed(std::chrono::milliseconds timeout) {
  isClosedByPeer(timeout);
  return std::exchange(buffer_, std::string());
}

bool TcpClient::isClosedByPeer(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const Fill result = fill(deadline);
    if (result != Fill::Data) {
      return result == Fill::Closed;
    }
  }
}

}  // namespace weir::test

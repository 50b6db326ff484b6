// Issue 9 point 4, weir under systemd's Type=notify: with NOTIFY_SOCKET set (as systemd sets
// it), weir says READY=1 once it listens, RELOADING=1 then READY=1 around a SIGHUP, and
// STOPPING=1 when it stops. The test plays systemd's part with a datagram socket of its own.

#include <gtest/gtest.h>

#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstring>
#include <string>

#include "support/fake_backend.h"
#include "support/simple_config.h"
#include "support/temp_dir.h"
#include "support/weir_instance.h"

namespace weir::test {
namespace {

using namespace std::chrono_literals;

/// A datagram socket bound to a path, as systemd's notification socket.
class NotifySocket {
 public:
  explicit NotifySocket(const std::string& path) : path_(path), fd_(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    bound_ = fd_ >= 0 && ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~NotifySocket() {
    if (fd_ >= 0) ::close(fd_);
  }
  NotifySocket(const NotifySocket&) = delete;
  NotifySocket& operator=(const NotifySocket&) = delete;
  bool bound() const { return bound_; }

  /// The next message, or "" when none comes within `timeout`.
  std::string next(std::chrono::milliseconds timeout = 5s) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) return "";
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
  }

 private:
  std::string path_;
  int fd_;
  bool bound_ = false;
};

TEST(SystemdNotify, ReadyReloadingAndStoppingReachTheNotifySocket) {
  TempDir dir;
  const std::string path = dir.filePath("notify.sock").string();
  NotifySocket systemd(path);
  ASSERT_TRUE(systemd.bound()) << std::strerror(errno);
  FakeBackend backend("s1");
  WeirInstance weir(simpleConfig({backend.address()}), {{"NOTIFY_SOCKET", path}});

  const std::string ready = systemd.next();
  EXPECT_NE(ready.find("READY=1"), std::string::npos) << ready;
  EXPECT_NE(ready.find(fmt::format("MAINPID={}", weir.pid())), std::string::npos) << ready;

  ASSERT_TRUE(weir.signal(SIGHUP));
  const std::string reloading = systemd.next();
  EXPECT_NE(reloading.find("RELOADING=1"), std::string::npos) << reloading;
  EXPECT_NE(reloading.find("MONOTONIC_USEC="), std::string::npos) << reloading;
  EXPECT_EQ(systemd.next(), "READY=1") << "after the reload";

  EXPECT_EQ(weir.stop(5s), std::optional<int>(0));
  EXPECT_NE(systemd.next(1s).find("STOPPING=1"), std::string::npos);
}

}  // namespace
}  // namespace weir::test

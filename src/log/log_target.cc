#include "weir/log/log_target.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weir::log {
namespace {

/// An inherited stdout/stderr: a pipe is reopened through /proc as a description of our own.
LogTarget inherited(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0) return {fd, false, false};
  if (S_ISSOCK(st.st_mode)) return {fd, true, false};
  if (!S_ISFIFO(st.st_mode)) return {fd, false, false};  // a file or a terminal
  const std::string path = "/proc/self/fd/" + std::to_string(fd);
  const int own = ::open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (own < 0) return {fd, false, false};  // no /proc: blocking, as before
  return {own, false, true};
}

}  // namespace

LogTarget openLogTarget(const std::string& target, std::string* error) {
  if (target == "none") return {};
  if (target == "stdout") return inherited(STDOUT_FILENO);
  if (target == "stderr") return inherited(STDERR_FILENO);
  // O_NONBLOCK: a FIFO without a reader fails here instead of hanging the start-up, and one
  // with a slow reader does not stall a worker. No effect on a regular file.
  const int fd = ::open(target.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0644);
  if (fd < 0) {
    *error = errno == ENXIO ? "a FIFO with no reader" : std::strerror(errno);
    return {};
  }
  struct stat st {};
  const bool socket = fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode);
  return {fd, socket, true};
}

void closeLogTarget(LogTarget& target) {
  if (target.owned && target.fd >= 0) ::close(target.fd);
  target = {};
}

ssize_t writeWithoutWaiting(const LogTarget& target, const char* data, size_t len) {
  if (target.socket) return ::send(target.fd, data, len, MSG_DONTWAIT | MSG_NOSIGNAL);
  return ::write(target.fd, data, len);
}

std::atomic<uint64_t>& droppedLogLines() {
  static std::atomic<uint64_t> dropped{0};
  return dropped;
}

}  // namespace weir::log

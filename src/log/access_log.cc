#include "weir/log/access_log.h"

#include <limits.h>
#include <unistd.h>

#include <cerrno>

namespace weir::log {

namespace {
constexpr size_t kFlushAt = 32 * 1024;
constexpr timeval kFlushDelay = {0, 50 * 1000};
}  // namespace

AccessLog::AccessLog(event_base* base, int fd, config::LogFormat format) : fd_(fd), format_(format) {
  timer_.reset(evtimer_new(base, &AccessLog::onFlushTimer, this));
  buffer_.reserve(kFlushAt * 2);
}

AccessLog::~AccessLog() { flush(); }

void AccessLog::onFlushTimer(evutil_socket_t, short, void* self) { static_cast<AccessLog*>(self)->flush(); }

void AccessLog::write(const AccessLogEntry& e) {
  if (fd_ < 0) return;
  if (format_ == config::LogFormat::kJson)
    formatJson(e, buffer_);
  else
    formatHttpLog(e, buffer_);
  buffer_.push_back('\n');
  if (buffer_.size() >= kFlushAt) {
    flush();
  } else if (!evtimer_pending(timer_.get(), nullptr)) {
    evtimer_add(timer_.get(), &kFlushDelay);
  }
}

void AccessLog::flush() {
  size_t off = 0;
  while (off < buffer_.size()) {
    size_t len = buffer_.size() - off;
    if (len > PIPE_BUF) {
      size_t cut = buffer_.rfind('\n', off + PIPE_BUF - 1);
      len = (cut == std::string::npos || cut < off) ? PIPE_BUF : cut + 1 - off;
    }
    ssize_t n = ::write(fd_, buffer_.data() + off, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // a log that cannot be written must not stall the worker: drop
    off += static_cast<size_t>(n);
  }
  buffer_.clear();
}

}  // namespace weir::log

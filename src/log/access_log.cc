#include "weir/log/access_log.h"

#include <limits.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>

#include "weir/base/log.h"

namespace weir::log {

namespace {
constexpr size_t kFlushAt = 32 * 1024;
constexpr timeval kFlushDelay = {0, 50 * 1000};

/// At most one warning per 10 s, whichever worker drops.
void warnDropped(uint64_t total) {
  static std::atomic<int64_t> lastWarningMs{-10000};
  if (!onceIn(lastWarningMs, 10000)) return;
  warning("access log: {} line(s) dropped so far: its reader is not keeping up", total);
}
}  // namespace

AccessLog::AccessLog(event_base* base, LogTarget target, config::LogFormat format) : target_(target), format_(format) {
  timer_.reset(evtimer_new(base, &AccessLog::onFlushTimer, this));
  buffer_.reserve(kFlushAt * 2);
}

AccessLog::~AccessLog() { flush(); }

void AccessLog::onFlushTimer(evutil_socket_t, short, void* self) { static_cast<AccessLog*>(self)->flush(); }

void AccessLog::write(const AccessLogEntry& e) {
  if (target_.fd < 0) return;
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
    ssize_t n = writeWithoutWaiting(target_, buffer_.data() + off, len);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // the reader is behind (or gone): the worker does not wait for it
    off += static_cast<size_t>(n);
  }
  if (off < buffer_.size()) {
    const auto lines = std::count(buffer_.begin() + static_cast<std::ptrdiff_t>(off), buffer_.end(), '\n');
    const uint64_t before = droppedLogLines().fetch_add(static_cast<uint64_t>(lines), std::memory_order_relaxed);
    warnDropped(before + static_cast<uint64_t>(lines));
  }
  buffer_.clear();
}

}  // namespace weir::log

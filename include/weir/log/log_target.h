#pragma once
// Where the access log goes (global.log), opened so that writing to it never blocks a worker:
// a pipe or FIFO gets a non-blocking open file description of its own (setting O_NONBLOCK on
// the inherited stdout would change it for every process sharing it), a socket (journald's
// stdout) is written with MSG_DONTWAIT. A line that cannot be written at once is dropped and
// counted, as HAProxy does with a full log buffer.

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>

namespace weir::log {

struct LogTarget {
  int fd = -1;          // -1: no access log
  bool socket = false;  // write with send(MSG_DONTWAIT)
  bool owned = false;   // opened here: closed by closeLogTarget
};

/// "stdout" | "stderr" | "none" | a file path. On failure: fd -1 and `error` says why.
LogTarget openLogTarget(const std::string& target, std::string* error);
void closeLogTarget(LogTarget& target);

/// write(2) that never waits: -1 with EAGAIN when the reader is behind.
ssize_t writeWithoutWaiting(const LogTarget& target, const char* data, size_t len);

/// Access-log lines dropped since start, over all workers.
std::atomic<uint64_t>& droppedLogLines();

}  // namespace weir::log

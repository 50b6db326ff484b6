#pragma once
// The --record file: what reached the fake backend, so a test can assert on exactly the bytes
// weir forwarded and on which connection they arrived.

#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

namespace weir::fake {

/// Appends one entry per complete request:
///   `=== conn=C req=R method=M target=T body=N\n` + raw head + N decoded body bytes + `\n`
/// and one line per malformed request: `=== conn=C malformed: REASON\n`.
/// Each entry is flushed before the caller answers, so a test that has the response can read
/// the entry. Thread-safe: one mutex around each entry.
class RequestRecorder {
 public:
  /// Opens `path` for appending (created if missing); null and `error` set on failure.
  static std::unique_ptr<RequestRecorder> open(const std::string& path, std::string& error);
  struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

  explicit RequestRecorder(FilePtr file) : file_(std::move(file)) {}

  void recordRequest(uint64_t conn, uint64_t req, std::string_view method, std::string_view target,
                     std::string_view head, std::string_view body);
  void recordMalformed(uint64_t conn, std::string_view reason);

 private:
  void write(std::string_view bytes);

  std::mutex mutex_;
  FilePtr file_;  // guarded by mutex_
};

}  // namespace weir::fake

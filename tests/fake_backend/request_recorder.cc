#include "request_recorder.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

namespace weir::fake {

std::unique_ptr<RequestRecorder> RequestRecorder::open(const std::string& path, std::string& error) {
  FilePtr file(std::fopen(path.c_str(), "ae"));  // "e": O_CLOEXEC
  if (!file) {
    error = fmt::format("cannot open record file {}: {}", path, std::strerror(errno));
    return nullptr;
  }
  return std::make_unique<RequestRecorder>(std::move(file));
}

void RequestRecorder::recordRequest(uint64_t conn, uint64_t req, std::string_view method, std::string_view target,
                                    std::string_view head, std::string_view body) {
  fmt::memory_buffer entry;
  fmt::format_to(std::back_inserter(entry), "=== conn={} req={} method={} target={} body={}\n", conn, req, method,
                 target, body.size());
  entry.append(head);
  entry.append(body);
  entry.push_back('\n');
  write({entry.data(), entry.size()});
}

void RequestRecorder::recordMalformed(uint64_t conn, std::string_view reason) {
  write(fmt::format("=== conn={} malformed: {}\n", conn, reason));
}

void RequestRecorder::write(std::string_view bytes) {
  std::lock_guard lock(mutex_);
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_.get()) != bytes.size() || std::fflush(file_.get()) != 0) {
    fmt::print(stderr, "weir-fake-backend: event=record_write_failed error=\"{}\"\n", std::strerror(errno));
  }
}

}  // namespace weir::fake

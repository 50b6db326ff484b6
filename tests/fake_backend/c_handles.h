#pragma once
// RAII owners for the libevent handles of the fake backend (the same pattern as
// weir/base/c_handle.h, repeated here because the fixture does not link weir_core).

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <unistd.h>

#include <memory>
#include <utility>

namespace weir::fake {

template <auto F>
struct CDeleter {
  template <typename T>
  void operator()(T* p) const {
    if (p != nullptr) F(p);
  }
};

using EventBasePtr = std::unique_ptr<event_base, CDeleter<event_base_free>>;
using EventPtr = std::unique_ptr<event, CDeleter<event_free>>;
using BufferEventPtr = std::unique_ptr<bufferevent, CDeleter<bufferevent_free>>;
using ListenerPtr = std::unique_ptr<evconnlistener, CDeleter<evconnlistener_free>>;

/// Owns a file descriptor and closes it once.
class FileDescriptor {
 public:
  FileDescriptor() = default;
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() { reset(); }
  FileDescriptor(FileDescriptor&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor& operator=(FileDescriptor&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = std::exchange(other.fd_, -1);
    }
    return *this;
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;

  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

}  // namespace weir::fake

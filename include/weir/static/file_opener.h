#pragma once
// Opens a request's file beneath a static root, and nowhere else. The path (already
// normalised: no dot segments, no "//") has its remaining %-escapes decoded; a NUL (raw or
// decoded), a decoded '/' or a '\' is refused, and so is any segment starting with '.'
// (dotfiles; /.well-known/ is allowed unless `dotfiles` says otherwise). The file is opened
// with openat2(RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS) relative to the root's directory fd,
// so neither ".." nor a symlink can lead out of the root; where openat2 is missing (Linux <
// 5.6) every component is opened with O_NOFOLLOW, so symlinks are refused altogether.
// Thread-safe (system calls on a shared read-only directory fd).

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>

namespace weir::static_files {

/// An open file descriptor, closed on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.release();
    }
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset();

 private:
  int fd_ = -1;
};

enum class OpenStatus { kFile, kDirectory, kNotFound, kForbidden, kError };

struct OpenedFile {
  OpenStatus status = OpenStatus::kNotFound;
  UniqueFd fd;        // kFile, kDirectory
  struct stat st {};  // kFile, kDirectory
};

/// Turns a normalised request path into a path relative to the root ("css/site.css"; "" for
/// the root itself); nullopt when it must not be served (see above).
std::optional<std::string> relativeFilePath(std::string_view path, bool dotfiles);
/// The same into `out` (reused: no allocation once it is large enough); false when refused.
bool relativeFilePath(std::string_view path, bool dotfiles, std::string& out);

/// Opens `relative` (from relativeFilePath) beneath `rootFd`.
OpenedFile openBeneath(int rootFd, const std::string& relative);

}  // namespace weir::static_files

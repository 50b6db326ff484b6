#include "weir/static/file_opener.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "weir/base/hex.h"

namespace weir::static_files {
namespace {

OpenStatus statusOf(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
    case ENAMETOOLONG:
    case ELOOP:   // a symlink where none may be
    case EXDEV:   // RESOLVE_BENEATH: the path would leave the root
    case ENXIO:   // a unix socket
    case ENODEV:  // a device without a driver
      return OpenStatus::kNotFound;
    case EACCES:
    case EPERM:
      return OpenStatus::kForbidden;
    default:
      return OpenStatus::kError;
  }
}

int openat2Beneath(int rootFd, const std::string& relative) {
  open_how how{};
  how.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, rootFd, relative.empty() ? "." : relative.c_str(), &how, sizeof(how)));
}

/// Without openat2: one component at a time, never following a symlink.
int openNoFollow(int rootFd, const std::string& relative) {
  UniqueFd dir(dup(rootFd));
  if (!dir.valid()) return -1;
  size_t start = 0;
  while (true) {
    const size_t slash = relative.find('/', start);
    const std::string part = relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    const bool last = slash == std::string::npos;
    const int flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW | (last ? 0 : O_DIRECTORY);
    UniqueFd next(openat(dir.get(), part.empty() ? "." : part.c_str(), flags));
    if (!next.valid()) return -1;
    if (last) return next.release();
    dir = std::move(next);
    start = slash + 1;
  }
}

}  // namespace

void UniqueFd::reset() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

std::optional<std::string> relativeFilePath(std::string_view path, bool dotfiles) {
  std::string out;
  if (!relativeFilePath(path, dotfiles, out)) return std::nullopt;
  return out;
}

bool relativeFilePath(std::string_view path, bool dotfiles, std::string& out) {
  out.clear();
  if (path.empty() || path[0] != '/') return false;
  for (size_t i = 1; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      const int byte = hexByteAt(path, i + 1);
      if (byte < 0) return false;
      c = static_cast<char>(byte);
      i += 2;
      if (c == '/') return false;  // an encoded slash names no file
    }
    if (c == '\\') return false;  // never a separator here; refused to avoid any doubt
    // A NUL, encoded or not, would end the name the kernel sees: "/a.txt<NUL>.png" would open
    // a.txt. llhttp refuses a raw one in a target, but this is the last gate before openat2
    // (found by tests/fuzz/path_normalizer_fuzzer).
    if (c == '\0') return false;
    out.push_back(c);
  }
  // Dot segments are gone (the path is normalised); a segment starting with '.' is a dotfile.
  const bool wellKnown = out == ".well-known" || out.starts_with(".well-known/");  // RFC 8615
  size_t at = 0;
  while (at < out.size()) {
    const size_t slash = out.find('/', at);
    const std::string_view segment = std::string_view(out).substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    if (segment == "." || segment == "..") return false;  // normalised away already; never trusted here
    if (out[at] == '.' && !dotfiles && !(at == 0 && wellKnown)) return false;
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return true;
}

OpenedFile openBeneath(int rootFd, const std::string& relative) {
  OpenedFile f;
  static std::atomic<bool> haveOpenat2{true};  // false once the kernel says ENOSYS
  int fd = haveOpenat2.load(std::memory_order_relaxed) ? openat2Beneath(rootFd, relative) : -1;
  if (fd < 0 && errno == ENOSYS) haveOpenat2.store(false, std::memory_order_relaxed);
  if (!haveOpenat2.load(std::memory_order_relaxed)) fd = openNoFollow(rootFd, relative);
  if (fd < 0) {
    f.status = statusOf(errno);
    return f;
  }
  f.fd = UniqueFd(fd);
  if (fstat(fd, &f.st) != 0) {
    f.status = OpenStatus::kError;
    return f;
  }
  if (S_ISDIR(f.st.st_mode)) f.status = OpenStatus::kDirectory;
  else if (S_ISREG(f.st.st_mode)) f.status = OpenStatus::kFile;
  else f.status = OpenStatus::kNotFound;  // devices, fifos, sockets are not served
  return f;
}

}  // namespace weir::static_files

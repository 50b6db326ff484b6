// libFuzzer target: the input is the text of a weir YAML config file.
//
// loadConfigText must always return: ok with no errors, or errors (each naming the file),
// never a crash, never an exception out of it, and never its own "internal error" (an
// exception no reader expected). A config that loads has no difference with itself
// (diffConfigs). Loading touches nothing outside the process: this binary replaces the C
// library's socket calls (any call while loading is a failure), its file opens for reading
// (refused while loading, so that certificates and `return ... file` bodies fail as missing
// files and no run depends on the machine, nor reads a FIFO or /dev/zero) and getaddrinfo (numeric addresses
// and localhost only: no DNS query leaves the fuzzer); and no descriptor is left open.

#include <dirent.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "fuzz_support.h"
#include "weir/config/config_diff.h"
#include "weir/config/config_loader.h"

namespace {

bool gLoading = false;  // LLVMFuzzerTestOneInput runs on one thread

template <typename Fn>
Fn realFunction(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "config_loader_fuzzer: no %s in the C library\n", name);
    std::abort();
  }
  return reinterpret_cast<Fn>(f);
}

void refuseSocketCall(const char* call) {
  if (!gLoading) return;
  std::fprintf(stderr, "FUZZ_CHECK failed: %s() while loading a config\n", call);
  std::abort();
}

/// Reads are what a load may attempt; writes are libFuzzer's (a crash or timeout input saved
/// from a signal handler while a load runs), and go through.
bool refusedOpen(int flags) { return gLoading && (flags & O_ACCMODE) == O_RDONLY && (flags & O_CREAT) == 0; }
bool refusedFopen(const char* mode) { return gLoading && mode[0] == 'r' && std::strchr(mode, '+') == nullptr; }

mode_t modeArgument(int flags, va_list args) {
  return (flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(args, mode_t) : 0;
}

int countOpenDescriptors() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  int n = 0;
  while (readdir(dir) != nullptr) ++n;
  closedir(dir);
  return n;
}

class LoadingScope {
 public:
  LoadingScope() { gLoading = true; }
  ~LoadingScope() { gLoading = false; }
  LoadingScope(const LoadingScope&) = delete;
  LoadingScope& operator=(const LoadingScope&) = delete;
};

}  // namespace

// The C library's entry points, replaced for the whole binary (the ASan runtime's own are weak).
extern "C" {

int open(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  if (refusedOpen(flags)) return errno = EACCES, -1;
  static const auto real = realFunction<int (*)(const char*, int, ...)>("open");
  return real(path, flags, mode);
}

int open64(const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  if (refusedOpen(flags)) return errno = EACCES, -1;
  static const auto real = realFunction<int (*)(const char*, int, ...)>("open64");
  return real(path, flags, mode);
}

int openat(int dir, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  if (refusedOpen(flags)) return errno = EACCES, -1;
  static const auto real = realFunction<int (*)(int, const char*, int, ...)>("openat");
  return real(dir, path, flags, mode);
}

int openat64(int dir, const char* path, int flags, ...) {
  va_list args;
  va_start(args, flags);
  const mode_t mode = modeArgument(flags, args);
  va_end(args);
  if (refusedOpen(flags)) return errno = EACCES, -1;
  static const auto real = realFunction<int (*)(int, const char*, int, ...)>("openat64");
  return real(dir, path, flags, mode);
}

FILE* fopen(const char* path, const char* mode) {
  if (refusedFopen(mode)) return errno = EACCES, nullptr;
  static const auto real = realFunction<FILE* (*)(const char*, const char*)>("fopen");
  return real(path, mode);
}

FILE* fopen64(const char* path, const char* mode) {
  if (refusedFopen(mode)) return errno = EACCES, nullptr;
  static const auto real = realFunction<FILE* (*)(const char*, const char*)>("fopen64");
  return real(path, mode);
}

int socket(int domain, int type, int protocol) {
  refuseSocketCall("socket");
  static const auto real = realFunction<int (*)(int, int, int)>("socket");
  return real(domain, type, protocol);
}

int bind(int fd, const sockaddr* addr, socklen_t len) {
  refuseSocketCall("bind");
  static const auto real = realFunction<int (*)(int, const sockaddr*, socklen_t)>("bind");
  return real(fd, addr, len);
}

int listen(int fd, int backlog) {
  refuseSocketCall("listen");
  static const auto real = realFunction<int (*)(int, int)>("listen");
  return real(fd, backlog);
}

int connect(int fd, const sockaddr* addr, socklen_t len) {
  refuseSocketCall("connect");
  static const auto real = realFunction<int (*)(int, const sockaddr*, socklen_t)>("connect");
  return real(fd, addr, len);
}

int getaddrinfo(const char* node, const char* service, const addrinfo* hints, addrinfo** res) {
  addrinfo numeric{};
  if (hints != nullptr) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST | AI_NUMERICSERV;
  if (node != nullptr && std::strcmp(node, "localhost") == 0) node = "127.0.0.1";
  static const auto real =
      realFunction<int (*)(const char*, const char*, const addrinfo*, addrinfo**)>("getaddrinfo");
  return real(node, service, &numeric, res);
}

}  // extern "C"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // OpenSSL reads its configuration once, at its first use: not while a load refuses files.
  OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
  // conf/demo.yaml's variables, so that the seed loads as scripts/demo.sh runs it.
  for (const char* v : {"WEIR_DEMO_PORT", "WEIR_DEMO_TLS_PORT", "WEIR_DEMO_STATS_PORT", "WEIR_DEMO_APP1",
                        "WEIR_DEMO_APP2", "WEIR_DEMO_APP3"})
    setenv(v, "8080", 0);
  setenv("WEIR_DEMO_CERT", "/nonexistent/demo.pem", 0);
  setenv("WEIR_DEMO_STATS_PASSWORD", "demo", 0);
  setenv("WEIR_STATS_PASSWORD", "secret", 0);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const int descriptors = countOpenDescriptors();
  weir::config::LoadResult result;
  {
    LoadingScope loading;
    result = weir::config::loadConfigText(text, "fuzz.yaml");
  }
  FUZZ_CHECK(countOpenDescriptors() == descriptors, "{} descriptors open before the load, {} after", descriptors,
             countOpenDescriptors());
  FUZZ_CHECK(result.ok == result.errors.empty(), "ok {} with {} errors", result.ok, result.errors.size());
  for (const std::string& e : result.errors) {
    FUZZ_CHECK(e.rfind("fuzz.yaml", 0) == 0, "an error that does not name the file: {}", e);
    // loadConfigText's catch-all, as Diagnostics writes it (no position, no key path).
    FUZZ_CHECK(e.rfind("fuzz.yaml: internal error while loading: ", 0) != 0, "{}", e);
  }
  if (result.ok) {
    const std::vector<std::string> changes = weir::config::diffConfigs(result.config, result.config);
    FUZZ_CHECK(changes.empty(), "a config differs from itself: {}", changes.front());
  }
  return 0;
}

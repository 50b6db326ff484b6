/* LD_PRELOAD library that counts heap allocations of a whole process (weir, run as a black box),
 * so a test can show that the request path allocates nothing in steady state (issue 10, point 3).
 *
 * The count lives in a file named by WEIR_MALLOC_COUNT_FILE, mapped shared: the test reads it at
 * any moment with pread, without signalling the process. Offsets: 0 = allocations (malloc, calloc,
 * realloc, memalign and friends), 8 = bytes asked for, 16 = ioctl(FIONREAD) calls, 24 = readv
 * calls (how weir and libevent read sockets). Calls before the constructor ran are not counted.
 * The real allocator is glibc's, reached through its __libc_* entry points; ioctl and readv go
 * to the kernel through syscall(2). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

extern void* __libc_malloc(size_t);
extern void* __libc_calloc(size_t, size_t);
extern void* __libc_realloc(void*, size_t);
extern void* __libc_memalign(size_t, size_t);
extern void __libc_free(void*);

static _Atomic unsigned long long* counters; /* [0] allocations, [1] bytes, [2] FIONREAD, [3] readv */

__attribute__((constructor)) static void mapCounterFile(void) {
  const char* path = getenv("WEIR_MALLOC_COUNT_FILE");
  if (!path) return;
  int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return;
  if (ftruncate(fd, 4096) == 0) {
    void* p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) counters = p;
  }
  close(fd);
}

static inline void countCall(int index) {
  _Atomic unsigned long long* c = counters;
  if (c) atomic_fetch_add_explicit(&c[index], 1, memory_order_relaxed);
}

int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void* arg = va_arg(ap, void*);
  va_end(ap);
  if (request == FIONREAD) countCall(2);
  return (int)syscall(SYS_ioctl, fd, request, arg);
}

ssize_t readv(int fd, const struct iovec* iov, int iovcnt) {
  countCall(3);
  return syscall(SYS_readv, fd, iov, iovcnt);
}

static inline void count(size_t bytes) {
  _Atomic unsigned long long* c = counters;
  if (!c) return;
  atomic_fetch_add_explicit(&c[0], 1, memory_order_relaxed);
  atomic_fetch_add_explicit(&c[1], bytes, memory_order_relaxed);
}

void* malloc(size_t n) {
  count(n);
  return __libc_malloc(n);
}
void* calloc(size_t n, size_t size) {
  count(n * size);
  return __libc_calloc(n, size);
}
void* realloc(void* p, size_t n) {
  count(n);
  return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
void* memalign(size_t align, size_t n) {
  count(n);
  return __libc_memalign(align, n);
}
void* aligned_alloc(size_t align, size_t n) { return memalign(align, n); }
int posix_memalign(void** out, size_t align, size_t n) {
  void* p = memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}

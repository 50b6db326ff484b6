#pragma once
// libevent's memory, served from per-thread caches of fixed-size blocks (HAProxy's pools, for
// libevent). libevent frees an evbuffer chain as soon as it is drained and mallocs a new one for
// the next read or write, so every request would cost a few malloc/free pairs. With the cache,
// a worker reuses the blocks its last requests released and the heap is not touched in steady
// state (issue 10, point 3; shown by tests/integration/allocation_test.cc).
//
// Blocks are sized in powers of two from 64 B to 64 KiB; larger requests go to malloc. Each
// thread keeps at most kCacheBytesPerSize of each size; a block freed on another thread than the
// one that took it joins that thread's cache. A thread's cache is released when the thread ends.

#include <cstddef>

namespace weir::event {

inline constexpr size_t kCacheBytesPerSize = 512 * 1024;

/// Routes libevent's allocations through the cache. Must run before any other libevent call.
/// Does nothing under AddressSanitizer, which must see every chain's malloc and free to find
/// a use after free.
void installLibeventBlockCache();

/// The allocator's three entry points, exposed for the unit tests.
void* cacheMalloc(size_t n);
void* cacheRealloc(void* p, size_t n);
void cacheFree(void* p);
/// How many free blocks of the size that serves `n` bytes this thread's cache holds (tests).
size_t cachedBlocks(size_t n);

}  // namespace weir::event

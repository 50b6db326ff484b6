#include "weir/event/block_cache.h"

#include <event2/event.h>

#include <bit>
#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace weir::event {

namespace {

constexpr unsigned kMinShift = 6;   // 64 B
constexpr unsigned kMaxShift = 16;  // 64 KiB
constexpr unsigned kSizes = kMaxShift - kMinShift + 1;
constexpr uint32_t kUncached = 0xffffffffu;

/// In front of every block; 16 bytes, so the caller's pointer keeps malloc's alignment.
struct alignas(16) BlockHeader {
  uint32_t size;      // index into the thread caches, or kUncached
  uint32_t unused;
  uint64_t capacity;  // bytes the caller may use
};
static_assert(sizeof(BlockHeader) == 16);

struct FreeBlock {
  FreeBlock* next;
};

/// Trivially destructible, so it stays usable while other thread_local destructors (libevent
/// handles owned by thread-local objects) free their blocks.
struct ThreadCache {
  FreeBlock* head[kSizes];
  uint32_t count[kSizes];
  bool releaserArmed;
  bool released;
};
thread_local ThreadCache tCache;

void releaseThreadCache() {
  for (unsigned i = 0; i < kSizes; ++i) {
    while (FreeBlock* b = tCache.head[i]) {
      tCache.head[i] = b->next;
      std::free(reinterpret_cast<BlockHeader*>(b) - 1);
    }
    tCache.count[i] = 0;
  }
  tCache.released = true;  // later frees on this thread go straight to free()
}

struct CacheReleaser {
  ~CacheReleaser() { releaseThreadCache(); }
};
thread_local CacheReleaser tReleaser;

BlockHeader* headerOf(void* p) { return static_cast<BlockHeader*>(p) - 1; }

unsigned sizeIndexFor(size_t n) {
  const unsigned shift = n <= (size_t{1} << kMinShift) ? kMinShift : static_cast<unsigned>(std::bit_width(n - 1));
  return shift - kMinShift;
}

void* fromMalloc(size_t capacity, uint32_t size) {
  auto* h = static_cast<BlockHeader*>(std::malloc(sizeof(BlockHeader) + capacity));
  if (h == nullptr) return nullptr;
  h->size = size;
  h->capacity = capacity;
  return h + 1;
}

}  // namespace

void* cacheMalloc(size_t n) {
  if (n > (size_t{1} << kMaxShift)) return fromMalloc(n, kUncached);
  const unsigned i = sizeIndexFor(n);
  if (FreeBlock* b = tCache.head[i]) {
    tCache.head[i] = b->next;
    --tCache.count[i];
    return b;
  }
  return fromMalloc(size_t{1} << (i + kMinShift), i);
}

void cacheFree(void* p) {
  if (p == nullptr) return;
  BlockHeader* h = headerOf(p);
  const uint32_t i = h->size;
  if (i == kUncached || tCache.released || (size_t{tCache.count[i]} << (i + kMinShift)) >= kCacheBytesPerSize) {
    std::free(h);
    return;
  }
  if (!tCache.releaserArmed) {
    tCache.releaserArmed = true;
    [[maybe_unused]] CacheReleaser* armed = &tReleaser;  // first use registers its destructor
  }
  auto* b = static_cast<FreeBlock*>(p);
  b->next = tCache.head[i];
  tCache.head[i] = b;
  ++tCache.count[i];
}

void* cacheRealloc(void* p, size_t n) {
  if (p == nullptr) return cacheMalloc(n);
  if (n == 0) {
    cacheFree(p);
    return nullptr;
  }
  const size_t capacity = headerOf(p)->capacity;
  if (n <= capacity) return p;
  void* q = cacheMalloc(n);
  if (q == nullptr) return nullptr;
  std::memcpy(q, p, capacity);
  cacheFree(p);
  return q;
}

size_t cachedBlocks(size_t n) {
  return n > (size_t{1} << kMaxShift) ? 0 : tCache.count[sizeIndexFor(n)];
}

void installLibeventBlockCache() {
#if defined(__SANITIZE_ADDRESS__)
  return;
#else
  event_set_mem_functions(&cacheMalloc, &cacheRealloc, &cacheFree);
#endif
}

}  // namespace weir::event

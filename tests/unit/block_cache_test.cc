// The per-thread block cache behind libevent's allocations (weir/event/block_cache.h).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#include "weir/event/block_cache.h"

namespace weir::event {
namespace {

TEST(BlockCache, AFreedBlockIsReusedForTheSameSize) {
  void* a = cacheMalloc(1000);
  ASSERT_NE(a, nullptr);
  std::memset(a, 0xab, 1000);
  cacheFree(a);
  void* b = cacheMalloc(1024);  // same power of two: the same block comes back
  EXPECT_EQ(a, b);
  void* c = cacheMalloc(1025);  // the next size: another block
  EXPECT_NE(c, b);
  cacheFree(b);
  cacheFree(c);
}

TEST(BlockCache, BlocksAreAlignedAndUsableToTheirSize) {
  for (size_t n : {1u, 15u, 64u, 65u, 4000u, 65536u, 65537u, 300000u}) {
    auto* p = static_cast<unsigned char*>(cacheMalloc(n));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 16, 0u) << n;
    std::memset(p, 0x5a, n);  // ASan (the unit tests' sanitizer build) checks the bound
    cacheFree(p);
  }
}

TEST(BlockCache, ReallocKeepsTheContent) {
  auto* p = static_cast<char*>(cacheMalloc(10));
  std::memcpy(p, "0123456789", 10);
  p = static_cast<char*>(cacheRealloc(p, 50));  // within the 64 B block: the same pointer
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(cacheRealloc(p, 100000));  // past the cached sizes
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  p = static_cast<char*>(cacheRealloc(p, 200000));
  EXPECT_EQ(std::memcmp(p, "0123456789", 10), 0);
  EXPECT_EQ(cacheRealloc(p, 0), nullptr);  // frees
  void* q = cacheRealloc(nullptr, 32);
  ASSERT_NE(q, nullptr);
  cacheFree(q);
  cacheFree(nullptr);
}

TEST(BlockCache, EachSizeKeepsAtMostItsShare) {
  std::vector<void*> blocks;
  const size_t cap = kCacheBytesPerSize / 4096;
  const size_t before = cachedBlocks(4096);
  for (size_t i = 0; i < cap + 20; ++i) blocks.push_back(cacheMalloc(4096));
  EXPECT_EQ(cachedBlocks(4096), 0u);  // the cached ones were handed out first
  for (void* b : blocks) cacheFree(b);
  EXPECT_EQ(cachedBlocks(4096), cap);  // the 20 past the share went back to malloc
  EXPECT_GE(cap, before);
  // Taking them again gives distinct blocks.
  std::vector<void*> again;
  for (size_t i = 0; i < cap; ++i) again.push_back(cacheMalloc(4096));
  std::sort(again.begin(), again.end());
  EXPECT_EQ(std::adjacent_find(again.begin(), again.end()), again.end());
  for (void* b : again) cacheFree(b);
}

TEST(BlockCache, ABlockFreedOnAnotherThreadIsFine) {
  void* p = cacheMalloc(2048);
  std::thread([p] {
    cacheFree(p);               // joins that thread's cache...
    void* q = cacheMalloc(2048);
    EXPECT_EQ(q, p);            // ...which hands it out again...
    cacheFree(q);
  }).join();                    // ...and releases it when the thread ends
  void* r = cacheMalloc(2048);
  EXPECT_NE(r, nullptr);
  cacheFree(r);
}

}  // namespace
}  // namespace weir::event

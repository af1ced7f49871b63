// The CUDA allocator's bookkeeping (tensor/device_block_cache.h), run on the CPU with malloc as
// the "device": size classes, reuse per stream, and emptying the cache when memory runs out.
#include <bertology/tensor/device_block_cache.h>
#include <bertology/tensor/error.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <set>

namespace bertology {
namespace {

// A fake device with a fixed capacity, counting its raw calls.
struct FakeDevice {
  static inline size_t capacity = 0, used = 0;
  static inline int mallocs = 0, frees = 0;
  static inline std::set<void*> live;
  static void* allocate(size_t n) {
    if (used + n > capacity) return nullptr;
    used += n;
    ++mallocs;
    void* p = std::malloc(n + sizeof(size_t));
    *static_cast<size_t*>(p) = n;
    live.insert(p);
    return p;
  }
  static void release(void* p) {
    used -= *static_cast<size_t*>(p);
    ++frees;
    live.erase(p);
    std::free(p);
  }
  static void reset(size_t cap) {
    capacity = cap;
    used = 0;
    mallocs = frees = 0;
  }
};

TEST(DeviceBlockCache, SizeClassesRoundUpByAtMostAQuarter) {
  EXPECT_EQ(device_size_class(0), 512u);
  EXPECT_EQ(device_size_class(1), 512u);
  EXPECT_EQ(device_size_class(513), 1024u);
  EXPECT_EQ(device_size_class(1 << 20), size_t{1} << 20);
  EXPECT_EQ(device_size_class((1 << 20) + 1), (size_t{1} << 20) + (size_t{1} << 18));
  for (size_t n : {size_t{3} << 20, size_t{12345678}, size_t{1} << 30}) {
    const size_t cls = device_size_class(n);
    EXPECT_GE(cls, n);
    EXPECT_LE(cls, n + n / 4);
  }
}

TEST(DeviceBlockCache, FreedBlocksAreReusedOnTheSameStreamOnly) {
  FakeDevice::reset(size_t{1} << 30);
  {
    DeviceBlockCache cache(FakeDevice::allocate, FakeDevice::release);
    void* a = cache.allocate(3000, /*stream=*/1);
    EXPECT_EQ(cache.in_use_bytes(), 3072u);
    cache.release(a);
    EXPECT_EQ(cache.cached_bytes(), 3072u);
    EXPECT_EQ(cache.in_use_bytes(), 0u);
    void* b = cache.allocate(2900, 1);  // same class, same stream: the same block
    EXPECT_EQ(b, a);
    EXPECT_EQ(FakeDevice::mallocs, 1);
    void* c = cache.allocate(2900, 2);  // another stream never gets a block stream 1 freed
    EXPECT_NE(c, a);
    EXPECT_EQ(FakeDevice::mallocs, 2);
    cache.release(b);
    cache.release(c);
    cache.release(c);  // a second release is ignored, not a crash
    EXPECT_EQ(cache.cached_bytes(), 2 * 3072u);
    cache.empty();
    EXPECT_EQ(cache.cached_bytes(), 0u);
    EXPECT_EQ(FakeDevice::frees, 2);
  }
  EXPECT_TRUE(FakeDevice::live.empty());
}

TEST(DeviceBlockCache, OutOfMemoryEmptiesTheCacheThenRetriesThenSaysHowMuchIsInUse) {
  FakeDevice::reset(8192);
  DeviceBlockCache cache(FakeDevice::allocate, FakeDevice::release);
  void* a = cache.allocate(4096, 1);
  void* b = cache.allocate(4096, 1);
  cache.release(b);                    // cached: the device is still full
  void* c = cache.allocate(2048, 2);   // fails once, empties the cache, then fits
  EXPECT_NE(c, nullptr);
  EXPECT_EQ(cache.cached_bytes(), 0u);
  try {
    cache.allocate(8192, 1);
    FAIL() << "expected an out-of-memory error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "out of device memory allocating 8192 bytes (6144 bytes in use by tensors)");
  }
  cache.release(a);
  cache.release(c);
  cache.empty();
  EXPECT_TRUE(FakeDevice::live.empty());
}

}  // namespace
}  // namespace bertology

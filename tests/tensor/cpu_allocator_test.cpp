// The CPU block cache: large blocks come back for the next request of their size class, small
// ones are not cached, alignment holds, and emptying the cache returns everything.
#include <gtest/gtest.h>

#include <cstdint>

#include <bertology/tensor/cpu_allocator.h>
#include <bertology/autograd/autograd.h>

using namespace bertology;

TEST(CpuAllocator, LargeBlocksAreReusedWithinTheirSizeClass) {
  cpu_empty_cache();
  void* a = cpu_allocate(3 << 20);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0u);
  cpu_release(a);
#if defined(__SANITIZE_ADDRESS__)
  EXPECT_EQ(cpu_cached_bytes(), 0u);  // sanitizer builds free every block
#else
  EXPECT_GE(cpu_cached_bytes(), size_t{3} << 20);
  void* b = cpu_allocate((3 << 20) - 1000);  // same size class (3 MiB, in steps of 512 KiB)
  EXPECT_EQ(a, b);
  EXPECT_EQ(cpu_cached_bytes(), 0u);
  cpu_release(b);
#endif
  cpu_empty_cache();
  EXPECT_EQ(cpu_cached_bytes(), 0u);
}

TEST(CpuAllocator, SmallBlocksAreNotCachedAndAligned) {
  cpu_empty_cache();
  for (size_t n : {size_t{1}, size_t{63}, size_t{4096}, size_t{100000}}) {
    void* p = cpu_allocate(n);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0u) << n;
    cpu_release(p);
  }
  EXPECT_EQ(cpu_cached_bytes(), 0u);
}

TEST(CpuAllocator, RecycledMemoryIsNotAssumedZero) {
  cpu_empty_cache();
  { Tensor t = Tensor::full({1 << 20}, 7.0f); }
  Tensor z = Tensor::zeros({1 << 20});  // may reuse the block above: zeros() must still clear it
  EXPECT_EQ(sum(z).item(), 0.0);
}

#include <bertology/tensor/cpu_allocator.h>
#include <bertology/tensor/error.h>

#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace bertology {
namespace {

// Every block starts with a 64-byte header holding its size class (0 = not cacheable), so the
// caller's pointer keeps 64-byte alignment and release() needs no size.
constexpr size_t kHeader = 64;
constexpr size_t kCacheFrom = size_t{1} << 20;

size_t size_class(size_t nbytes) {
  if (nbytes < kCacheFrom) return 0;
  size_t power = kCacheFrom;
  while (power * 2 <= nbytes) power *= 2;
  const size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

size_t cache_limit() {
#if defined(__SANITIZE_ADDRESS__)
  return 0;  // AddressSanitizer must see every free to catch use-after-free
#endif
  static const size_t limit = [] {
    const char* env = std::getenv("BERTOLOGY_CPU_CACHE_MB");
    if (!env || !*env) return size_t{1024} << 20;
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(env, &end, 10);
    return (end && *end == '\0') ? static_cast<size_t>(mb) << 20 : size_t{1024} << 20;
  }();
  return limit;
}

struct BlockCache {
  std::mutex mutex;
  std::unordered_map<size_t, std::vector<void*>> free_blocks;  // size class -> raw blocks
  size_t cached = 0;
};

BlockCache& cache() {
  static BlockCache* c = new BlockCache();  // never destroyed: tensors may outlive statics
  return *c;
}

void* raw_allocate(size_t bytes) {
  void* raw = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!raw) throw Error(concat("out of memory allocating ", bytes, " bytes"));
  return raw;
}

}  // namespace

void* cpu_allocate(size_t nbytes) {
  const size_t cls = size_class(nbytes);
  void* raw = nullptr;
  if (cls != 0) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(cls);
    if (it != c.free_blocks.end() && !it->second.empty()) {
      raw = it->second.back();
      it->second.pop_back();
      c.cached -= cls;
    }
  }
  if (!raw) raw = raw_allocate(kHeader + (cls != 0 ? cls : nbytes));
  *static_cast<size_t*>(raw) = cls;
  return static_cast<char*>(raw) + kHeader;
}

void cpu_release(void* p) {
  if (!p) return;
  void* raw = static_cast<char*>(p) - kHeader;
  const size_t cls = *static_cast<size_t*>(raw);
  if (cls != 0) {
    BlockCache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.cached + cls <= cache_limit()) {
      c.free_blocks[cls].push_back(raw);
      c.cached += cls;
      return;
    }
  }
  std::free(raw);
}

size_t cpu_cached_bytes() {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.cached;
}

void cpu_empty_cache() {
  BlockCache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  for (auto& [cls, blocks] : c.free_blocks)
    for (void* raw : blocks) std::free(raw);
  c.free_blocks.clear();
  c.cached = 0;
}

}  // namespace bertology

#include <bertology/tensor/device_block_cache.h>
#include <bertology/tensor/error.h>

namespace bertology {

size_t device_size_class(size_t nbytes) {
  constexpr size_t kSmallStep = 512, kLarge = size_t{1} << 20;
  if (nbytes == 0) return kSmallStep;
  if (nbytes < kLarge) return (nbytes + kSmallStep - 1) / kSmallStep * kSmallStep;
  size_t power = kLarge;
  while (power * 2 <= nbytes) power *= 2;
  const size_t step = power / 4;
  return (nbytes + step - 1) / step * step;
}

void* DeviceBlockCache::allocate(size_t nbytes, uintptr_t stream) {
  const size_t size = device_size_class(nbytes);
  std::lock_guard<std::mutex> lock(mutex_);
  void* p = nullptr;
  auto it = free_.find({stream, size});
  if (it != free_.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
    cached_ -= size;
  }
  if (p == nullptr) p = raw_allocate_(size);
  if (p == nullptr && cached_ > 0) {  // out of memory: give the cached blocks back and retry
    for (auto& [key, blocks] : free_)
      for (void* b : blocks) raw_free_(b);
    free_.clear();
    cached_ = 0;
    p = raw_allocate_(size);
  }
  if (p == nullptr)
    throw Error(concat("out of device memory allocating ", nbytes, " bytes (", in_use_, " bytes in use by tensors)"));
  live_[p] = Block{size, stream};
  in_use_ += size;
  return p;
}

void DeviceBlockCache::release(void* p) {
  if (p == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = live_.find(p);
  if (it == live_.end()) return;  // not from this cache (release runs in destructors: never throw)
  const Block block = it->second;
  live_.erase(it);
  in_use_ -= block.size;
  free_[{block.stream, block.size}].push_back(p);
  cached_ += block.size;
}

void DeviceBlockCache::empty() {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, blocks] : free_)
    for (void* b : blocks) raw_free_(b);
  free_.clear();
  cached_ = 0;
}

size_t DeviceBlockCache::cached_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return cached_;
}

size_t DeviceBlockCache::in_use_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return in_use_;
}

}  // namespace bertology

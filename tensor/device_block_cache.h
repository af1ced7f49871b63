// A cache of freed device-memory blocks, for allocators whose memory the host cannot write to
// (CUDA): block sizes are kept in a table here instead of in a header inside the block. Plain C++
// with the raw allocate and free functions passed in, so the bookkeeping is tested on the CPU.
//
// Why a cache: cudaMalloc and cudaFree synchronise the device and cost tens of microseconds; a
// forward and backward pass allocates the same activation sizes every batch.
// Size classes: multiples of 512 bytes below 1 MiB, four per power of two above (a block is at
// most 25% larger than asked). Blocks are reused only by the stream (thread) that freed them, so
// a kernel still running on another stream never sees its memory handed out again. When the raw
// allocation fails, the cache is emptied and the allocation tried once more.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace bertology {

size_t device_size_class(size_t nbytes);

class DeviceBlockCache {
 public:
  using RawAllocate = void* (*)(size_t nbytes);  // nullptr when out of memory
  using RawFree = void (*)(void* p);

  DeviceBlockCache(RawAllocate raw_allocate, RawFree raw_free) : raw_allocate_(raw_allocate), raw_free_(raw_free) {}

  // stream: an opaque key for the stream (thread) the block will be used on. Throws Error when
  // the device has no room even after the cache is emptied.
  void* allocate(size_t nbytes, uintptr_t stream);
  void release(void* p);  // back into the cache of the stream that allocated it
  void empty();           // every cached block back to raw_free

  size_t cached_bytes() const;
  size_t in_use_bytes() const;

 private:
  struct Block { size_t size; uintptr_t stream; };
  RawAllocate raw_allocate_;
  RawFree raw_free_;
  mutable std::mutex mutex_;
  std::unordered_map<void*, Block> live_;                               // handed out
  std::map<std::pair<uintptr_t, size_t>, std::vector<void*>> free_;     // (stream, size) -> blocks
  size_t cached_ = 0, in_use_ = 0;
};

}  // namespace bertology

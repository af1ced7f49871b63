// Device memory for tensor storage: cudaMalloc behind a DeviceBlockCache (tensor/device_block_cache.h),
// and the copies the Backend table needs. Never managed memory.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/device_block_cache.h>

#include <functional>
#include <thread>

namespace bertology::cuda {
namespace {

void* raw_allocate(size_t nbytes) {
  void* p = nullptr;
  const cudaError_t status = cudaMalloc(&p, nbytes);
  if (status == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // clear it: the cache empties itself and retries
    return nullptr;
  }
  BERTOLOGY_CUDA_CHECK(status);
  return p;
}

void raw_free(void* p) { cudaFree(p); }  // runs from destructors: errors are not thrown

DeviceBlockCache& cache() {
  static DeviceBlockCache* c = new DeviceBlockCache(raw_allocate, raw_free);  // outlives every tensor
  return *c;
}

// Each thread launches on its own default stream (--default-stream per-thread), so the thread
// identifies the stream a block is used on.
uintptr_t this_stream() { return std::hash<std::thread::id>()(std::this_thread::get_id()); }

void* allocate(size_t nbytes) { return cache().allocate(nbytes, this_stream()); }

void fill_zero(void* p, size_t nbytes) {
  BERTOLOGY_CUDA_CHECK(cudaMemsetAsync(p, 0, nbytes, cudaStreamPerThread));
}

void release(void* p) { cache().release(p); }

const Backend kCudaBackend{allocate, fill_zero, release, copy_bytes};

}  // namespace

void copy_bytes(void* dst, const void* src, size_t nbytes) {
  // cudaMemcpyDefault: the driver tells host from device pointers (unified addressing).
  BERTOLOGY_CUDA_CHECK(cudaMemcpyAsync(dst, src, nbytes, cudaMemcpyDefault, cudaStreamPerThread));
  BERTOLOGY_CUDA_CHECK(cudaStreamSynchronize(cudaStreamPerThread));
}

const Backend& backend() { return kCudaBackend; }
size_t cached_bytes() { return cache().cached_bytes(); }
void empty_cache() { cache().empty(); }

}  // namespace bertology::cuda

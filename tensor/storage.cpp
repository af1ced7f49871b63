// Storage allocation through the device backend, and the CPU backend itself.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/cpu_allocator.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/storage.h>

#include <cstdlib>
#include <cstring>
#include <new>

namespace bertology {
namespace {

// 64-byte aligned blocks (AVX-512 loads, BLAS), large ones recycled: see cpu_allocator.h.
void cpu_fill_zero(void* p, size_t n) { std::memset(p, 0, n); }
void cpu_copy(void* dst, const void* src, size_t n) { std::memcpy(dst, src, n); }

const Backend kCpuBackend{cpu_allocate, cpu_fill_zero, cpu_release, cpu_copy};

}  // namespace

const Backend& backend_for(Device device) {
  if (device.is_cpu()) return kCpuBackend;
  if constexpr (kernels::kCudaBuilt) {
    if (device.is_cuda()) {
      static const bool present = cuda::available();  // asked once: the driver's answer does not change
      if (!present) throw Error(concat("device ", device.str(), ": no CUDA GPU is present on this machine"));
      if (device.index != 0) throw Error(concat("device ", device.str(), ": only cuda:0 is supported"));
      return cuda::backend();
    }
  }  throw Error(concat("device ", device.str(), " is not available in this build"));
}

bool cuda_available() {
  if constexpr (kernels::kCudaBuilt) return cuda::available();
  return false;
}

void synchronize(Device device) {
  if constexpr (kernels::kCudaBuilt)
    if (device.is_cuda()) cuda::synchronize();
}

void require_cpu(Device device, const char* op) {
  if (!device.is_cpu()) throw Error(concat(op, ": not implemented for device ", device.str()));
}

Storage::Storage(size_t nbytes, Device device, bool zeroed)
    : data_(backend_for(device).allocate(nbytes)), nbytes_(nbytes), device_(device) {
  release_ = backend_for(device).release;
  if (zeroed) backend_for(device).fill_zero(data_, nbytes);
}

Storage::Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release)
    : data_(data), nbytes_(nbytes), device_(device), release_(std::move(release)) {}

Storage::~Storage() {
  if (release_ && data_) release_(data_);
}

}  // namespace bertology

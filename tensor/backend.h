// The device seam: memory entry points per device. The CPU backend is always built; the CUDA
// backend (tensor/cuda/, CMake option BERTOLOGY_CUDA) adds its own table for Device::cuda().
// Kernels forward to the device of their operands (tensor/kernels/on_device.h).
#pragma once
#include <cstddef>

#include <bertology/tensor/dtype.h>

namespace bertology {

struct Backend {
  void* (*allocate)(size_t nbytes);        // uninitialised
  void (*fill_zero)(void* data, size_t nbytes);
  void (*release)(void* data);
  void (*copy)(void* dst, const void* src, size_t nbytes);
};

// Whether a CUDA GPU can be used: the build has the CUDA backend and a device is present.
bool cuda_available();

// Waits until the device has finished the work queued so far by this thread (a no-op on the CPU,
// whose kernels are synchronous): for timings.
void synchronize(Device device);

// Throws for a device with no backend compiled in.
const Backend& backend_for(Device device);
// Throws unless t lives on the CPU: kernels without a device implementation call it.
void require_cpu(Device device, const char* op);

}  // namespace bertology

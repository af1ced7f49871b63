// The device seam: memory entry points per device. Kernels check the device of their operands
// and the CPU backend is the only one built; a CUDA backend registers its own table here.
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

// Throws for a device with no backend compiled in.
const Backend& backend_for(Device device);
// Throws unless t lives on the CPU: kernels without a device implementation call it.
void require_cpu(Device device, const char* op);

}  // namespace bertology

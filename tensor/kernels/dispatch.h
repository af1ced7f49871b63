// Calls a generic lambda with a value of the C++ type matching a dtype:
//   dispatch_floating(x.dtype(), "exp", [&](auto tag) { using T = decltype(tag); ... });
#pragma once
#include <bertology/tensor/error.h>
#include <bertology/tensor/tensor.h>

namespace bertology::kernels {

template <class F>
void dispatch_floating(DType dtype, const char* op, F&& f) {
  switch (dtype) {
    case DType::Float32: f(float{}); return;
    case DType::Float64: f(double{}); return;
    default: throw Error(concat(op, ": expected a float32 or float64 tensor, got ", dtype_name(dtype)));
  }
}

template <class F>
void dispatch_all(DType dtype, F&& f) {
  switch (dtype) {
    case DType::Float32: f(float{}); return;
    case DType::Float64: f(double{}); return;
    case DType::Int64: f(int64_t{}); return;
    case DType::Bool: f(bool{}); return;
  }
}

// Base pointer of t's storage as T* (element offsets from StridedLoop are absolute).
template <class T>
T* storage_ptr(const Tensor& t) {
  return static_cast<T*>(t.storage()->data());
}

}  // namespace bertology::kernels

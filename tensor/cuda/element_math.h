// Per-element math of the CUDA element-wise kernels: the same formulas as the CPU kernels
// (tensor/kernels/elementwise.cpp), as __host__ __device__ functions so that host tests can check
// them against the CPU. Plain C++ under g++; no CUDA-only calls.
#pragma once
#include <cmath>
#include <cstdint>

#include <bertology/tensor/kernels/kernels.h>

#ifndef BERTOLOGY_HOST_DEVICE  // same definition as strided_index.h
#ifdef __CUDACC__
#define BERTOLOGY_HOST_DEVICE __host__ __device__
#else
#define BERTOLOGY_HOST_DEVICE
#endif
#endif

namespace bertology::cuda {

constexpr double kSqrt2OverPi = 0.7978845608028654;  // √(2/π), tanh-form GELU
constexpr double kInvSqrt2 = 0.7071067811865476;     // 1/√2, erf-form GELU
constexpr double kInvSqrt2Pi = 0.3989422804014327;   // 1/√(2π)
constexpr double kGeluCubic = 0.044715;

// The C library's functions: glibc's on the host (what std::exp(float) etc. call on the CPU),
// CUDA's on the device. Float stays float, as on the CPU. The CPU's GELU uses the faster,
// less exact fast_math.h for float; these are the exact library functions instead.
BERTOLOGY_HOST_DEVICE inline float exp_of(float v) { return ::expf(v); }
BERTOLOGY_HOST_DEVICE inline double exp_of(double v) { return ::exp(v); }
BERTOLOGY_HOST_DEVICE inline float log_of(float v) { return ::logf(v); }
BERTOLOGY_HOST_DEVICE inline double log_of(double v) { return ::log(v); }
BERTOLOGY_HOST_DEVICE inline float sqrt_of(float v) { return ::sqrtf(v); }
BERTOLOGY_HOST_DEVICE inline double sqrt_of(double v) { return ::sqrt(v); }
BERTOLOGY_HOST_DEVICE inline float tanh_of(float v) { return ::tanhf(v); }
BERTOLOGY_HOST_DEVICE inline double tanh_of(double v) { return ::tanh(v); }
BERTOLOGY_HOST_DEVICE inline float erf_of(float v) { return ::erff(v); }
BERTOLOGY_HOST_DEVICE inline double erf_of(double v) { return ::erf(v); }
BERTOLOGY_HOST_DEVICE inline float abs_of(float v) { return ::fabsf(v); }
BERTOLOGY_HOST_DEVICE inline double abs_of(double v) { return ::fabs(v); }
// Neither NaN nor ±Inf.
template <class T>
BERTOLOGY_HOST_DEVICE inline bool is_finite(T v) {
#ifdef __CUDA_ARCH__
  return isfinite(v);  // CUDA's device overloads
#else
  return std::isfinite(v);
#endif
}

// ---- activations ------------------------------------------------------------------------------

// 0 for 0 and NaN, ±1 otherwise.
template <class T>
BERTOLOGY_HOST_DEVICE inline T sign_of(T v) {
  return static_cast<T>((v > 0) - (v < 0));
}

// NaN gives 0, as on the CPU (NaN > 0 is false).
template <class T>
BERTOLOGY_HOST_DEVICE inline T relu(T v) {
  return v > 0 ? v : T(0);
}

// x · Φ(x) = x/2 · (1 + erf(x/√2)).
template <class T>
BERTOLOGY_HOST_DEVICE inline T gelu_erf(T v) {
  return T(0.5) * v * (T(1) + erf_of(v * T(kInvSqrt2)));
}

// x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))).
template <class T>
BERTOLOGY_HOST_DEVICE inline T gelu_tanh(T v) {
  return T(0.5) * v * (T(1) + tanh_of(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v)));
}

// f(x) for every kernels::Unary op, float or double.
template <class T>
BERTOLOGY_HOST_DEVICE inline T apply_unary(kernels::Unary op, T v) {
  switch (op) {
    case kernels::Unary::Neg: return -v;
    case kernels::Unary::Exp: return exp_of(v);
    case kernels::Unary::Log: return log_of(v);
    case kernels::Unary::Sqrt: return sqrt_of(v);
    case kernels::Unary::Tanh: return tanh_of(v);
    case kernels::Unary::Erf: return erf_of(v);
    case kernels::Unary::Relu: return relu(v);
    case kernels::Unary::Abs: return abs_of(v);
    case kernels::Unary::GeluErf: return gelu_erf(v);
    case kernels::Unary::GeluTanh: return gelu_tanh(v);
    case kernels::Unary::Sign: return sign_of(v);
  }
  return v;  // not reached: the host checks op before launching
}

// x^exponent. As on the CPU, x·x for 2, else pow in double (std::pow(float, double) promotes).
template <class T>
BERTOLOGY_HOST_DEVICE inline T pow_scalar_of(T v, double exponent) {
  if (exponent == 2.0) return v * v;
  return static_cast<T>(::pow(static_cast<double>(v), exponent));
}

// ---- binary arithmetic and comparisons ----------------------------------------------------------

// a op b for Add, Sub, Mul, Div (float or double).
template <class T>
BERTOLOGY_HOST_DEVICE inline T apply_arithmetic(kernels::Binary op, T a, T b) {
  switch (op) {
    case kernels::Binary::Add: return a + b;
    case kernels::Binary::Sub: return a - b;
    case kernels::Binary::Mul: return a * b;
    default: return a / b;  // Div
  }
}

// a op b for Eq, Ne, Lt, Le, Gt, Ge (any dtype).
template <class T>
BERTOLOGY_HOST_DEVICE inline bool apply_comparison(kernels::Binary op, T a, T b) {
  switch (op) {
    case kernels::Binary::Eq: return a == b;
    case kernels::Binary::Ne: return a != b;
    case kernels::Binary::Lt: return a < b;
    case kernels::Binary::Le: return a <= b;
    case kernels::Binary::Gt: return a > b;
    default: return a >= b;  // Ge
  }
}

// ---- derivatives, times the incoming gradient g ---------------------------------------------------

// g · d/dx [x · Φ(x)] = g · (Φ(x) + x · φ(x)).
template <class T>
BERTOLOGY_HOST_DEVICE inline T gelu_erf_backward(T g, T v) {
  const T d = T(0.5) * (1 + erf_of(v * T(kInvSqrt2))) + v * exp_of(T(-0.5) * v * v) * T(kInvSqrt2Pi);
  return g * d;
}

// g · d/dx of gelu_tanh, with t = tanh(√(2/π) · (x + 0.044715 x³)).
template <class T>
BERTOLOGY_HOST_DEVICE inline T gelu_tanh_backward(T g, T v) {
  const T t = tanh_of(T(kSqrt2OverPi) * (v + T(kGeluCubic) * v * v * v));
  const T d = T(0.5) * (1 + t) + T(0.5) * v * (1 - t * t) * T(kSqrt2OverPi) * (1 + T(3 * kGeluCubic) * v * v);
  return g * d;
}

// g where x > 0, else 0 (NaN x gives 0).
template <class T>
BERTOLOGY_HOST_DEVICE inline T relu_backward_of(T g, T v) {
  return v > 0 ? g : T(0);
}

}  // namespace bertology::cuda

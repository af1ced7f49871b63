// CUDA element-wise kernels with NumPy broadcasting (the counterparts of
// tensor/kernels/elementwise.cpp): one grid-stride launcher, one small functor per operation;
// the per-element math is element_math.h.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/cuda/element_math.h>
#include <bertology/tensor/cuda/launch.cuh>
#include <bertology/tensor/cuda/strided_index.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernel_helpers.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>

#include <algorithm>
#include <array>

namespace bertology::cuda {
namespace {

using kernels::Binary;
using kernels::Unary;

using kernels::storage_ptr;

// ---- one functor per operation: out (contiguous) [i] = f(operands at i) --------------------------

template <class T>
struct UnaryOp {
  T* out;
  const T* x;
  StridedIndex xi;
  Unary op;
  __device__ void operator()(int64_t i) const { out[i] = apply_unary(op, x[at(xi, i)]); }
};

template <class T>
struct PowOp {
  T* out;
  const T* x;
  StridedIndex xi;
  double exponent;
  __device__ void operator()(int64_t i) const { out[i] = pow_scalar_of(x[at(xi, i)], exponent); }
};

// x + s or x · s, s already in T (as the CPU's static_cast<T>(s)).
template <class T>
struct ScalarOp {
  T* out;
  const T* x;
  StridedIndex xi;
  T s;
  bool multiply;
  __device__ void operator()(int64_t i) const {
    const T v = x[at(xi, i)];
    out[i] = multiply ? v * s : v + s;
  }
};

template <class T>
struct ArithmeticOp {
  T* out;
  const T* a;
  const T* b;
  StridedIndex ai, bi;
  Binary op;
  __device__ void operator()(int64_t i) const { out[i] = apply_arithmetic(op, a[at(ai, i)], b[at(bi, i)]); }
};

template <class T>
struct ComparisonOp {
  bool* out;
  const T* a;
  const T* b;
  StridedIndex ai, bi;
  Binary op;
  __device__ void operator()(int64_t i) const { out[i] = apply_comparison(op, a[at(ai, i)], b[at(bi, i)]); }
};

template <class T>
struct WhereOp {
  T* out;
  const bool* cond;
  const T* a;
  const T* b;
  StridedIndex ci, ai, bi;
  __device__ void operator()(int64_t i) const { out[i] = cond[at(ci, i)] ? a[at(ai, i)] : b[at(bi, i)]; }
};

template <class T>
struct MaskedFillOp {
  T* out;
  const T* x;
  const bool* mask;
  StridedIndex xi, mi;
  T value;
  __device__ void operator()(int64_t i) const { out[i] = mask[at(mi, i)] ? value : x[at(xi, i)]; }
};

template <class T>
struct GeluBackwardOp {
  T* out;
  const T* dy;
  const T* x;
  StridedIndex gi, xi;
  bool tanh_form;
  __device__ void operator()(int64_t i) const {
    const T g = dy[at(gi, i)], v = x[at(xi, i)];
    out[i] = tanh_form ? gelu_tanh_backward(g, v) : gelu_erf_backward(g, v);
  }
};

template <class T>
struct ReluBackwardOp {
  T* out;
  const T* dy;
  const T* x;
  StridedIndex gi, xi;
  __device__ void operator()(int64_t i) const { out[i] = relu_backward_of(dy[at(gi, i)], x[at(xi, i)]); }
};

// In place: y[yi(i)] += alpha · x[xi(i)] (y may be any strided view).
template <class T>
struct AxpyOp {
  T* y;
  const T* x;
  StridedIndex yi, xi;
  T alpha;
  __device__ void operator()(int64_t i) const { y[at(yi, i)] += alpha * x[at(xi, i)]; }
};

// ---- names for messages, as on the CPU ----------------------------------------------------------

const char* unary_name(Unary op) {
  switch (op) {
    case Unary::Neg: return "neg";
    case Unary::Exp: return "exp";
    case Unary::Log: return "log";
    case Unary::Sqrt: return "sqrt";
    case Unary::Tanh: return "tanh";
    case Unary::Erf: return "erf";
    case Unary::Relu: return "relu";
    case Unary::Abs: return "abs";
    case Unary::GeluErf: return "gelu";
    case Unary::GeluTanh: return "gelu";
    case Unary::Sign: return "sign";
  }
  return nullptr;
}

using kernels::binary_name;

// x + s or x · s for a float tensor: out has x's shape.
Tensor scalar_op(const Tensor& x, double s, bool multiply) {
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  const auto ix = walk<1>(x.sizes(), {&x});
  kernels::dispatch_floating(x.dtype(), multiply ? "mul" : "add", [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(), ScalarOp<T>{storage_ptr<T>(out), storage_ptr<T>(x), ix[0], static_cast<T>(s), multiply});
  });
  return out;
}

}  // namespace

// x (any shape) -> f(x), same shape and dtype.
Tensor unary(Unary op, const Tensor& x) {
  const char* name = unary_name(op);
  if (name == nullptr) throw Error("unary: unknown op");
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  const auto ix = walk<1>(x.sizes(), {&x});
  kernels::dispatch_floating(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(), UnaryOp<T>{storage_ptr<T>(out), storage_ptr<T>(x), ix[0], op});
  });
  return out;
}

Tensor pow_scalar(const Tensor& x, double exponent) {
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  const auto ix = walk<1>(x.sizes(), {&x});
  kernels::dispatch_floating(x.dtype(), "pow", [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(), PowOp<T>{storage_ptr<T>(out), storage_ptr<T>(x), ix[0], exponent});
  });
  return out;
}

Tensor add_scalar(const Tensor& x, double s) { return scalar_op(x, s, false); }

Tensor mul_scalar(const Tensor& x, double s) { return scalar_op(x, s, true); }

// a, b (same dtype, broadcasting) -> broadcast shape; a's dtype, or Bool for comparisons.
Tensor binary(Binary op, const Tensor& a, const Tensor& b) {
  const char* name = binary_name(op);
  kernels::require_same_device(a, b, name);
  if (a.dtype() != b.dtype())
    throw Error(concat(name, ": dtype mismatch, ", dtype_name(a.dtype()), " ", a.shape_str(), " vs ",
                       dtype_name(b.dtype()), " ", b.shape_str()));
  const Shape shape = broadcast_shapes(a.sizes(), b.sizes(), name);
  const bool comparison = op >= Binary::Eq;
  Tensor out = Tensor::empty(shape, comparison ? DType::Bool : a.dtype(), a.device());
  const auto ix = walk<2>(shape, {&a, &b});
  if (comparison) {
    kernels::dispatch_all(a.dtype(), [&](auto tag) {
      using T = decltype(tag);
      launch_for_each(out.numel(),
                      ComparisonOp<T>{storage_ptr<bool>(out), storage_ptr<T>(a), storage_ptr<T>(b), ix[0], ix[1], op});
    });
    return out;
  }
  kernels::dispatch_floating(a.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(),
                    ArithmeticOp<T>{storage_ptr<T>(out), storage_ptr<T>(a), storage_ptr<T>(b), ix[0], ix[1], op});
  });
  return out;
}

// cond (Bool), a, b (same dtype, any) broadcast together -> cond ? a : b.
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b) {
  kernels::require_same_device(a, cond, "where");
  kernels::require_same_device(a, b, "where");
  if (cond.dtype() != DType::Bool)
    throw Error(concat("where: condition must be bool, got ", dtype_name(cond.dtype())));
  if (a.dtype() != b.dtype())
    throw Error(concat("where: dtype mismatch, ", dtype_name(a.dtype()), " vs ", dtype_name(b.dtype())));
  const Shape shape = broadcast_shapes(broadcast_shapes(cond.sizes(), a.sizes(), "where"), b.sizes(), "where");
  Tensor out = Tensor::empty(shape, a.dtype(), a.device());
  const auto ix = walk<3>(shape, {&cond, &a, &b});
  kernels::dispatch_all(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(), WhereOp<T>{storage_ptr<T>(out), storage_ptr<bool>(cond), storage_ptr<T>(a),
                                            storage_ptr<T>(b), ix[0], ix[1], ix[2]});
  });
  return out;
}

// x (any dtype), mask (Bool, broadcasts to x) -> x with value where mask is set.
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  kernels::require_same_device(x, mask, "masked_fill");
  if (mask.dtype() != DType::Bool)
    throw Error(concat("masked_fill: mask must be bool, got ", dtype_name(mask.dtype())));
  const Shape shape = broadcast_shapes(x.sizes(), mask.sizes(), "masked_fill");
  if (shape != x.sizes())
    throw Error(concat("masked_fill: mask ", mask.shape_str(), " does not broadcast to ", x.shape_str()));
  Tensor out = Tensor::empty(shape, x.dtype(), x.device());
  const auto ix = walk<2>(shape, {&x, &mask});
  kernels::dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    // static_cast<T>(value): what the CPU's Tensor::full({}, value, dtype) stores (bool: value != 0).
    launch_for_each(out.numel(), MaskedFillOp<T>{storage_ptr<T>(out), storage_ptr<T>(x), storage_ptr<bool>(mask),
                                                 ix[0], ix[1], static_cast<T>(value)});
  });
  return out;
}

// dy (broadcasts to x), x -> dy · gelu'(x), x's shape.
Tensor gelu_backward(const Tensor& dy, const Tensor& x, bool tanh_form) {
  kernels::require_same_device(x, dy, "gelu_backward");
  if (dy.dtype() != x.dtype())  // the CPU does not check; a mismatch would read dy as x's dtype
    throw Error(concat("gelu_backward: dtype mismatch, ", dtype_name(dy.dtype()), " vs ", dtype_name(x.dtype())));
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  const auto ix = walk<2>(x.sizes(), {&dy, &x});
  kernels::dispatch_floating(x.dtype(), "gelu_backward", [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(), GeluBackwardOp<T>{storage_ptr<T>(out), storage_ptr<T>(dy), storage_ptr<T>(x),
                                                   ix[0], ix[1], tanh_form});
  });
  return out;
}

// dy (broadcasts to x), x -> dy where x > 0, else 0; x's shape.
Tensor relu_backward(const Tensor& dy, const Tensor& x) {
  kernels::require_same_device(x, dy, "relu_backward");
  if (dy.dtype() != x.dtype())  // the CPU does not check; a mismatch would read dy as x's dtype
    throw Error(concat("relu_backward: dtype mismatch, ", dtype_name(dy.dtype()), " vs ", dtype_name(x.dtype())));
  Tensor out = Tensor::empty(x.sizes(), x.dtype(), x.device());
  const auto ix = walk<2>(x.sizes(), {&dy, &x});
  kernels::dispatch_floating(x.dtype(), "relu_backward", [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(out.numel(),
                    ReluBackwardOp<T>{storage_ptr<T>(out), storage_ptr<T>(dy), storage_ptr<T>(x), ix[0], ix[1]});
  });
  return out;
}

// y += alpha · x, same shape and dtype; y may be any strided view (each element written once).
void axpy_(Tensor& y, double alpha, const Tensor& x) {
  kernels::require_same_device(y, x, "axpy");
  if (y.sizes() != x.sizes() || y.dtype() != x.dtype())
    throw Error(concat("axpy: ", dtype_name(y.dtype()), " ", y.shape_str(), " vs ", dtype_name(x.dtype()), " ",
                       x.shape_str()));
  const auto ix = walk<2>(y.sizes(), {&y, &x});
  kernels::dispatch_floating(y.dtype(), "axpy", [&](auto tag) {
    using T = decltype(tag);
    launch_for_each(y.numel(), AxpyOp<T>{storage_ptr<T>(y), storage_ptr<T>(x), ix[0], ix[1], static_cast<T>(alpha)});
  });
  y.storage()->bump_version();
}

}  // namespace bertology::cuda

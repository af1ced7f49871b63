// Differentiable matrix products: matmul (vector, matrix and broadcast-batched cases) and
// linear (x·Wᵀ + b). Backward products use transposed views, so BLAS gets flags, not copies.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {
namespace {

// The last two dims swapped, as a view.
Tensor mT(const Tensor& t) {
  Shape sizes = t.sizes(), strides = t.strides();
  std::swap(sizes[sizes.size() - 1], sizes[sizes.size() - 2]);
  std::swap(strides[strides.size() - 1], strides[strides.size() - 2]);
  return kernels::as_strided(t, sizes, strides, t.offset());
}

// Raw expand of t to shape (stride 0 on new or size-1 dims).
Tensor expand_raw(const Tensor& t, const Shape& shape) {
  if (t.sizes() == shape) return t;
  Shape strides(shape.size(), 0);
  size_t lead = shape.size() - t.sizes().size();
  for (size_t i = 0; i < t.sizes().size(); ++i) strides[lead + i] = t.size(i) == 1 ? 0 : t.stride(i);
  return kernels::as_strided(t, shape, strides, t.offset());
}

// (..., M, K)·(..., K, N), both at least 2-D, batch dims broadcast.
Tensor matmul_nd(const Tensor& a, const Tensor& b) {
  if (a.size(-1) != b.size(-2))
    throw Error(concat("matmul: shapes ", a.shape_str(), " and ", b.shape_str(), " cannot be multiplied (",
                       a.size(-1), " vs ", b.size(-2), ")"));
  Shape batch = broadcast_shapes(Shape(a.sizes().begin(), a.sizes().end() - 2),
                                 Shape(b.sizes().begin(), b.sizes().end() - 2), "matmul");
  Shape sa = batch, sb = batch;
  sa.insert(sa.end(), {a.size(-2), a.size(-1)});
  sb.insert(sb.end(), {b.size(-2), b.size(-1)});
  Tensor y = kernels::matmul(expand_raw(a, sa), expand_raw(b, sb));
  if (grad_needed({a, b}))
    record_node(y, "matmul", {a, b},
                [ta = SavedTensor(a), tb = SavedTensor(b), sa, sb](const Tensor& dy, const std::vector<bool>& need) {
                  const Tensor& a = ta.unpack("matmul");
                  const Tensor& b = tb.unpack("matmul");
                  Grads g(2);
                  if (need[0]) g[0] = sum_to(kernels::matmul(dy, mT(expand_raw(b, sb))), a.sizes());  // dA = dY·Bᵀ
                  if (need[1]) g[1] = sum_to(kernels::matmul(mT(expand_raw(a, sa)), dy), b.sizes());  // dB = Aᵀ·dY
                  return g;
                });
  return y;
}

}  // namespace

Tensor matmul(const Tensor& a, const Tensor& b) {
  if (a.dim() == 0 || b.dim() == 0)
    throw Error(concat("matmul: both operands need at least one dim, got ", a.shape_str(), " and ", b.shape_str()));
  if (a.dim() == 1 && b.dim() == 1) return matmul_nd(a.unsqueeze(0), b.unsqueeze(1)).reshape({});
  if (a.dim() == 1) return matmul_nd(a.unsqueeze(0), b).squeeze(-2);
  if (b.dim() == 1) return matmul_nd(a, b.unsqueeze(1)).squeeze(-1);
  return matmul_nd(a, b);
}

Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias) {
  // x (..., in), weight (out, in), bias (out) -> y (..., out)
  if (weight.dim() != 2 || x.dim() == 0 || x.size(-1) != weight.size(1))
    throw Error(concat("linear: input ", x.shape_str(), " and weight ", weight.shape_str(),
                       " do not match (weight is (out, in))"));
  if (bias.defined() && (bias.dim() != 1 || bias.size(0) != weight.size(0)))
    throw Error(concat("linear: bias ", bias.shape_str(), " does not match weight ", weight.shape_str()));
  const int64_t in = weight.size(1), out = weight.size(0);
  const int64_t rows = x.numel() / std::max<int64_t>(in, 1);
  Tensor x2 = kernels::contiguous(x);
  x2 = kernels::as_strided(x2, {rows, in}, {in, 1}, x2.offset());
  Shape y_shape = x.sizes();
  y_shape.back() = out;
  Tensor y = Tensor::empty(y_shape, x.dtype(), x.device());
  Tensor y2 = kernels::as_strided(y, {rows, out}, {out, 1}, 0);
  if (bias.defined()) kernels::copy_into(y2, bias);  // bias first, then GEMM accumulates (beta = 1)
  if (x.dtype() != weight.dtype())
    throw Error(concat("linear: dtype mismatch, ", dtype_name(x.dtype()), " vs ", dtype_name(weight.dtype())));
  // W is either (out, in) row-major (nn.Linear) or the transposed view of an (in, out) row-major
  // matrix (GPT's Conv1D); either way BLAS reads it in place with the right flag.
  Tensor w = weight;
  if (!(w.stride(1) == 1 && w.stride(0) >= in) && !(w.stride(0) == 1 && w.stride(1) >= out))
    w = kernels::contiguous(w);
  const bool w_transposed_storage = !(w.stride(1) == 1 && w.stride(0) >= in);
  const int64_t ldw = w_transposed_storage ? w.stride(1) : w.stride(0);
  // y2 = x2 · Wᵀ
  kernels::gemm(false, !w_transposed_storage, rows, out, in, 1.0, x2, in, w, ldw, bias.defined() ? 1.0 : 0.0, y2,
                out);
  if (grad_needed({x, weight, bias}))
    record_node(y, "linear", {x, weight, bias},
                [sx = SavedTensor(x2), sw = SavedTensor(w), x_shape = x.sizes(), rows, in, out, w_transposed_storage, ldw](
                    const Tensor& dy_in, const std::vector<bool>& need) {
                  Tensor dy = kernels::contiguous(dy_in);
                  dy = kernels::as_strided(dy, {rows, out}, {out, 1}, dy.offset());
                  Grads g(3);
                  if (need[0]) {  // dX = dY·W
                    Tensor dx = Tensor::empty(x_shape, dy.dtype(), dy.device());
                    Tensor dx2 = kernels::as_strided(dx, {rows, in}, {in, 1}, 0);
                    kernels::gemm(false, w_transposed_storage, rows, in, out, 1.0, dy, out, sw.unpack("linear"), ldw, 0.0, dx2,
                                  in);
                    g[0] = dx;
                  }
                  if (need[1]) {  // dW = dYᵀ·X: the weight-gradient product
                    Tensor dw = Tensor::empty({out, in}, dy.dtype(), dy.device());
                    kernels::gemm(true, false, out, in, rows, 1.0, dy, out, sx.unpack("linear"), in, 0.0, dw, in);
                    g[1] = dw;
                  }
                  if (need[2]) g[2] = kernels::reduce(kernels::Reduce::Sum, dy, {0}, false);
                  return g;
                });
  return y;
}

}  // namespace bertology

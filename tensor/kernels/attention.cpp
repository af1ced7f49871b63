// Multi-head attention core fused per (batch, head): for each of the B·H (example, head) pairs
// one task computes that head's scores, masks, softmax and context from the projections in
// place, so no (B, H, S, S) intermediate besides the probabilities themselves is ever written,
// k and v are read where the projections left them (no head split copy; q is read once, scaled,
// into one (B, S, H·D) copy as the unfused path scales it), and the context lands
// directly in the merged (B, S, H·D) layout (no merge copy). The backward does the same in
// reverse and writes dq, dk, dv straight into the projections' gradient layout.
//
// The arithmetic is the unfused path's, step by step (see models/attention.cpp):
//   Q̃ = scale·Q, scores = Q̃ Kᵀ, masked_fill(future, -1e4), + additive mask, P = softmax,
//   context = ξ_h · P V.
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>

#include "lane_sum.h"
#include "softmax_row.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

namespace bertology::kernels {
namespace {

// Row r of head h of example b in a (B, S, H·D) tensor whose last dim has unit stride.
struct HeadRows {
  const Tensor* t;
  int64_t D;
  template <class T>
  T* at(int64_t b, int64_t h, int64_t s = 0) const {
    return t->data<T>() + b * t->stride(0) + s * t->stride(1) + h * D;
  }
  int64_t ld() const { return t->stride(1); }
};

void check_projection(const Tensor& x, const Tensor& like, int64_t heads, const char* name) {
  if (heads < 1) throw Error(concat("attention: needs at least one head, got ", heads));
  require_cpu(x.device(), "attention");
  if (x.dim() != 3 || x.sizes() != like.sizes() || x.dtype() != like.dtype())
    throw Error(concat("attention: ", name, " must be (B, S, H·D) like q ", like.shape_str(), ", got ",
                       x.shape_str()));
  if (x.stride(2) != 1 || x.stride(1) < x.size(2))
    throw Error(concat("attention: ", name, " ", x.shape_str(), " needs unit stride in its last dim and rows at least ",
                       x.size(2), " apart"));
  if (x.size(2) == 0) throw Error(concat("attention: ", name, " ", x.shape_str(), " has no columns (head size 0)"));
  if (x.size(2) % heads != 0)
    throw Error(concat("attention: ", name, " width ", x.size(2), " is not a multiple of ", heads, " heads"));
}

// A view of gemm's operand starting at element `ptr` of t's storage (t keeps it alive).
template <class T>
Tensor view_at(const Tensor& t, const T* ptr) {
  return as_strided(t, {}, {}, t.offset() + (ptr - t.data<T>()));
}

// The additive mask as a (B, H, S, S) view with stride 0 on broadcast dims.
Tensor broadcast_mask(const Tensor& mask, DType dtype, int64_t B, int64_t H, int64_t S) {
  if (!mask.defined()) return mask;
  require_cpu(mask.device(), "attention");
  if (mask.dtype() != dtype)
    throw Error(concat("attention: additive mask is ", dtype_name(mask.dtype()), ", scores are ", dtype_name(dtype)));
  const Shape full{B, H, S, S};
  if (mask.dim() > 4) throw Error(concat("attention: additive mask ", mask.shape_str(), " has more than 4 dims"));
  Shape strides(4, 0);
  const int64_t lead = 4 - mask.dim();
  for (int64_t d = 0; d < mask.dim(); ++d) {
    if (mask.size(d) != 1 && mask.size(d) != full[lead + d])
      throw Error(concat("attention: additive mask ", mask.shape_str(), " does not broadcast to scores [", B, ", ",
                         H, ", ", S, ", ", S, "]"));
    strides[lead + d] = mask.size(d) == 1 ? 0 : mask.stride(d);
  }
  return as_strided(mask, full, strides, mask.offset());
}

// ξ, given as (Bm, H) or (Bm, H, 1, 1) with Bm = 1 or B, as a contiguous (Bm, H) tensor;
// undefined stays undefined.
Tensor mask_values(const Tensor& head_mask, DType dtype, int64_t B, int64_t H) {
  if (!head_mask.defined()) return head_mask;
  require_cpu(head_mask.device(), "attention");
  if (head_mask.dtype() != dtype)
    throw Error(concat("attention: head mask is ", dtype_name(head_mask.dtype()), ", q is ", dtype_name(dtype)));
  bool ok = head_mask.dim() >= 2 && (head_mask.size(0) == 1 || head_mask.size(0) == B) && head_mask.size(1) == H;
  for (int64_t d = 2; ok && d < head_mask.dim(); ++d) ok = head_mask.size(d) == 1;
  if (!ok)
    throw Error(concat("attention: head mask ", head_mask.shape_str(), " must be (1 or B=", B, ", H=", H,
                       ") or (1 or B, H, 1, 1)"));
  const int64_t rows = head_mask.size(0);
  const Tensor values = contiguous(head_mask);
  return as_strided(values, {rows, H}, {H, 1}, values.offset());
}

// The future-positions mask as a contiguous Bool (S, S) tensor; undefined stays undefined.
Tensor future_positions_of(const Tensor& future, int64_t S) {
  if (!future.defined()) return future;
  require_cpu(future.device(), "attention");
  if (future.dtype() != DType::Bool || future.sizes() != Shape{S, S})
    throw Error(concat("attention: future must be Bool (S, S) = [", S, ", ", S, "], got ", future.shape_str()));
  return contiguous(future);
}

// ξ_h for example b (1 without a head mask).
template <class T>
T mask_value(const Tensor& xi, int64_t b, int64_t h) {
  if (!xi.defined()) return T(1);
  return xi.data<T>()[(xi.size(0) == 1 ? 0 : b) * xi.size(1) + h];
}

// Q̃ = scale·Q for every head at once, as a new contiguous (B, S, H·D) tensor: the unfused path
// scales q before the product with this same kernel, which keeps the two paths equal to the bit.
Tensor scaled_queries(const Tensor& q, double scale) { return mul_scalar(q, scale); }

// Σ P ⊙ G over n entries, in double.
template <class T>
[[gnu::always_inline]] inline double probs_dot_generic(const T* p, const T* g, int64_t n) {
  return lane_sum<double>(n, [&](int64_t i) { return static_cast<double>(p[i]) * g[i]; });
}

// One head's (S, S) block: G = ∂context·Vᵀ in g becomes ∂scores, in place, row by row:
// ∂P = ξ_h G, ∂scores = P ⊙ (∂P − Σ_j ∂P ⊙ P), zero where masked_fill replaced the score
// (future, when given).
template <class T>
[[gnu::always_inline]] inline void scores_grad_generic(const T* p, T* g, int64_t S, T xi, const bool* future) {
  for (int64_t i = 0; i < S; ++i) {
    T* row = g + i * S;
    const T* prow = p + i * S;
    for (int64_t j = 0; j < S; ++j) row[j] *= xi;
    const T dot = lane_sum<T>(S, [&](int64_t j) { return prow[j] * row[j]; });
    for (int64_t j = 0; j < S; ++j) row[j] = prow[j] * (row[j] - dot);
    if (future)
      for (int64_t j = 0; j < S; ++j)
        if (future[i * S + j]) row[j] = 0;
  }
}

// The float blocks, compiled three times and picked by CPU, as GELU is (elementwise.cpp): no FMA
// in this file, and the lanes keep their order at every SIMD width, so all three give the same
// bits. The helpers are always inlined, so each clone compiles them for its own CPU.
[[gnu::target_clones("avx512f", "avx2", "default")]] double probs_dot_f32(const float* p, const float* g, int64_t n) {
  return probs_dot_generic(p, g, n);
}
[[gnu::target_clones("avx512f", "avx2", "default")]] void scores_grad_f32(const float* p, float* g, int64_t S, float xi,
                                                                           const bool* future) {
  scores_grad_generic(p, g, S, xi, future);
}
template <class T>
double probs_dot(const T* p, const T* g, int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    return probs_dot_f32(p, g, n);
  else
    return probs_dot_generic(p, g, n);
}
template <class T>
void scores_grad(const T* p, T* g, int64_t S, T xi, const bool* future) {
  if constexpr (std::is_same_v<T, float>)
    scores_grad_f32(p, g, S, xi, future);
  else
    scores_grad_generic(p, g, S, xi, future);
}

}  // namespace

Tensor attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads, double scale,
                         const Tensor& head_mask, const Tensor& additive_mask, const Tensor& future,
                         Tensor& probs) {
  check_projection(q, q, heads, "q");
  check_projection(k, q, heads, "k");
  check_projection(v, q, heads, "v");
  const int64_t B = q.size(0), S = q.size(1), E = q.size(2), H = heads, D = E / H;
  const Tensor mask = broadcast_mask(additive_mask, q.dtype(), B, H, S);  // (B, H, S, S), stride 0 where broadcast
  const Tensor xi = mask_values(head_mask, q.dtype(), B, H);              // (1 or B, H)
  const Tensor fut = future_positions_of(future, S);                      // Bool (S, S)
  Tensor out = Tensor::empty({B, S, E}, q.dtype());
  probs = Tensor::empty({B, H, S, S}, q.dtype());
  if (B == 0 || S == 0) return out;  // nothing to compute (and BLAS rejects a leading dimension of 0)
  dispatch_floating(q.dtype(), "attention", [&](auto tag) {
    using T = decltype(tag);
    const Tensor q_scaled = scaled_queries(q, scale);  // Q̃: (B, S, H·D)
    const HeadRows Qs{&q_scaled, D}, K{&k, D}, V{&v, D}, O{&out, D};
    for_each_small_gemm(B * H, [&](int64_t bh) {
      const int64_t b = bh / H, h = bh % H;
      // scores = Q̃_bh K_bhᵀ: (S, S), straight into the probabilities' slot
      Tensor p = as_strided(probs, {}, {}, probs.offset() + bh * S * S);
      gemm(false, true, S, S, D, 1.0, view_at(q_scaled, Qs.at<T>(b, h)), Qs.ld(), view_at(k, K.at<T>(b, h)), K.ld(),
           0.0, p, S);
      T* pr = p.data<T>();
      const bool* f = fut.defined() ? fut.data<bool>() : nullptr;
      const T* m = mask.defined() ? mask.data<T>() + b * mask.stride(0) + h * mask.stride(1) : nullptr;
      const int64_t mask_row = mask.defined() ? mask.stride(2) : 0, mask_col = mask.defined() ? mask.stride(3) : 0;
      for (int64_t i = 0; i < S; ++i, pr += S) {
        if (f)
          for (int64_t j = 0; j < S; ++j)
            if (f[i * S + j]) pr[j] = static_cast<T>(-1e4);
        if (m) {
          const T* mr = m + i * mask_row;
          if (mask_col == 1)
            for (int64_t j = 0; j < S; ++j) pr[j] += mr[j];
          else
            for (int64_t j = 0; j < S; ++j) pr[j] += mr[j * mask_col];
        }
        softmax_row(pr, pr, S);  // as kernels::softmax computes it
      }
      // context_bh = ξ_h · P V_bh, written into the merged (B, S, H·D) output
      Tensor o = view_at(out, O.at<T>(b, h));
      const double xi_bh = mask_value<T>(xi, b, h);
      gemm(false, false, S, D, S, xi_bh, p, S, view_at(v, V.at<T>(b, h)), V.ld(), 0.0, o, E);
    });
  });
  return out;
}

void attention_backward(const Tensor& dout_in, const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                        double scale, const Tensor& head_mask, const Tensor& future, const Tensor& probs,
                        const AttentionGradOutputs& grads) {
  check_projection(q, q, heads, "q");
  check_projection(k, q, heads, "k");
  check_projection(v, q, heads, "v");
  for (const Tensor* g : {grads.dq, grads.dk, grads.dv})
    if (g) check_projection(*g, q, heads, "gradient");
  const int64_t B = q.size(0), S = q.size(1), E = q.size(2), H = heads, D = E / H;
  require_cpu(dout_in.device(), "attention_backward");
  if (dout_in.sizes() != q.sizes() || dout_in.dtype() != q.dtype())
    throw Error(concat("attention_backward: the output's gradient ", dout_in.shape_str(), " must be (B, S, H·D) like q ",
                       q.shape_str()));
  require_cpu(probs.device(), "attention_backward");
  if (probs.sizes() != Shape{B, H, S, S} || probs.dtype() != q.dtype() || !probs.is_contiguous())
    throw Error(concat("attention_backward: probabilities ", probs.shape_str(), " must be contiguous (B, H, S, S) = [",
                       B, ", ", H, ", ", S, ", ", S, "] like the forward's"));
  if (grads.dhead_mask && !head_mask.defined())
    throw Error("attention_backward: the head mask's gradient was asked for, but there is no head mask");
  const Tensor dout = contiguous(dout_in);                   // ∂/∂context: (B, S, H·D)
  const Tensor xi = mask_values(head_mask, q.dtype(), B, H);  // (1 or B, H)
  const Tensor fut = future_positions_of(future, S);         // Bool (S, S)
  // Each (b, h) task's share of ∂/∂ξ_h, summed over b afterwards in a fixed order (bitwise
  // repeatable): (B·H).
  std::vector<double> dxi_parts(grads.dhead_mask ? B * H : 0, 0.0);
  dispatch_floating(q.dtype(), "attention_backward", [&](auto tag) {
    using T = decltype(tag);
    const Tensor q_scaled = grads.dk ? scaled_queries(q, scale) : Tensor();  // Q̃: (B, S, H·D), for ∂K
    const HeadRows Qs{&q_scaled, D}, K{&k, D}, V{&v, D}, dO{&dout, D};
    const int64_t tasks = S == 0 ? 0 : B * H;  // S = 0: nothing to write (∂ξ stays 0)
    for_each_small_gemm(tasks, [&](int64_t bh) {
      const int64_t b = bh / H, h = bh % H;
      const T xi_bh = mask_value<T>(xi, b, h);
      Tensor p = as_strided(probs, {}, {}, probs.offset() + bh * S * S);
      const T* pr = p.data<T>();
      const Tensor dctx = view_at(dout, dO.at<T>(b, h));  // ∂/∂(ξ_h P V): (S, D), row stride E
      // G = ∂context Vᵀ: (S, S). ∂/∂P = ξ_h G and ∂/∂ξ_h = Σ P ⊙ G. The buffer g holds G, then
      // (in place, row by row) ∂P, then ∂scores.
      Tensor g = Tensor::empty({S, S}, q.dtype());
      gemm(false, true, S, S, D, 1.0, dctx, E, view_at(v, V.at<T>(b, h)), V.ld(), 0.0, g, S);
      T* gr = g.data<T>();
      if (grads.dhead_mask) dxi_parts[bh] = probs_dot(pr, gr, S * S);  // ∂ξ_h = Σ P ⊙ G
      if (grads.dv) {  // ∂V_bh = ξ_h Pᵀ ∂context
        Tensor dv = view_at(*grads.dv, HeadRows{grads.dv, D}.at<T>(b, h));
        gemm(true, false, S, D, S, static_cast<double>(xi_bh), p, S, dctx, E, 0.0, dv, grads.dv->stride(1));
      }
      if (!grads.dq && !grads.dk) return;
      scores_grad(pr, gr, S, xi_bh, fut.defined() ? fut.data<bool>() : nullptr);  // G becomes ∂scores
      if (grads.dq) {  // ∂Q_bh = scale · ∂scores K_bh
        Tensor dq = view_at(*grads.dq, HeadRows{grads.dq, D}.at<T>(b, h));
        gemm(false, false, S, D, S, scale, g, S, view_at(k, K.at<T>(b, h)), K.ld(), 0.0, dq, grads.dq->stride(1));
      }
      if (grads.dk) {  // ∂K_bh = ∂scoresᵀ Q̃
        Tensor dk = view_at(*grads.dk, HeadRows{grads.dk, D}.at<T>(b, h));
        gemm(true, false, S, D, S, 1.0, g, S, view_at(q_scaled, Qs.at<T>(b, h)), Qs.ld(), 0.0, dk,
             grads.dk->stride(1));
      }
    });
    if (grads.dhead_mask) {  // (Bm, H): summed over the examples that share one ξ, b in order
      const int64_t rows = xi.size(0);
      std::vector<double> sums(rows * H, 0.0);
      for (int64_t b = 0; b < B; ++b)
        for (int64_t h = 0; h < H; ++h) sums[(rows == 1 ? 0 : b) * H + h] += dxi_parts[b * H + h];
      *grads.dhead_mask = Tensor::empty({rows, H}, q.dtype());
      T* d = grads.dhead_mask->data<T>();
      for (int64_t i = 0; i < rows * H; ++i) d[i] = static_cast<T>(sums[i]);
    }
  });
}

}  // namespace bertology::kernels

// Differentiable functions: each computes its result with tensor kernels and, when an input
// requires grad, records a graph node with its backward. Shapes follow NumPy broadcasting.
#pragma once
#include <cstdint>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

// ---- element-wise (broadcasting) ----------------------------------------------------------
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor add(const Tensor& a, double b);
Tensor mul(const Tensor& a, double b);
Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, double exponent);
Tensor tanh(const Tensor& x);
Tensor erf(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor abs(const Tensor& x);
enum class GeluApproximation { Erf, Tanh };  // BERT "gelu" = Erf; GPT/GPT-2 "gelu_new" = Tanh
Tensor gelu(const Tensor& x, GeluApproximation approximation = GeluApproximation::Erf);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, double b);
Tensor operator-(const Tensor& a, double b);
Tensor operator*(const Tensor& a, double b);
Tensor operator/(const Tensor& a, double b);
Tensor operator*(double a, const Tensor& b);
Tensor operator+(double a, const Tensor& b);
Tensor operator-(double a, const Tensor& b);
Tensor operator-(const Tensor& x);

// ---- comparisons and selection (result is Bool; not differentiable) -----------------------
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b);  // differentiable in a, b
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);    // differentiable in x

// ---- reductions (dims empty = all dims) ---------------------------------------------------
Tensor sum(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor mean(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor max(const Tensor& x, const std::vector<int64_t>& dims = {}, bool keepdim = false);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim = false);  // Int64, not differentiable

// ---- linear algebra ------------------------------------------------------------------------
// matmul: 1-D·1-D, 2-D·2-D, batched (..., M, K)·(..., K, N) with broadcast batch dims.
// Transposed operands (views) go to BLAS as flags; nothing is copied to transpose.
Tensor matmul(const Tensor& a, const Tensor& b);
// linear: x (..., in) · weightᵀ (out, in) + bias (out). bias may be undefined.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias = Tensor());

// ---- attention ---------------------------------------------------------------------------------
// The multi-head attention core in one fused op (see kernels::attention_forward): per head h,
// ξ_h · softmax(scale·q·kᵀ + masks) · v, heads merged: (B, S, H·D). qkv is {q, k, v}, each
// (B, S, H·D), or {packed}: one (B, S, 3·H·D) tensor holding q|k|v side by side, whose gradient is
// then one tensor too. head_mask ξ: (1 or B, H, 1, 1), (1 or B, H) or undefined. q, k, v and ξ
// are differentiable; additive_mask (broadcastable to (B, H, S, S)) and future (Bool (S, S),
// scores set to -1e4 where true) are constants: an additive mask that requires grad is an error.
// probs, when given, receives P (B, H, S, S) without ξ and without history. CPU tensors only.
Tensor attention(const std::vector<Tensor>& qkv, int64_t heads, double scale, const Tensor& head_mask,
                 const Tensor& additive_mask, const Tensor& future, Tensor* probs = nullptr);

// ---- row-wise (last dim), fused -----------------------------------------------------------
Tensor softmax(const Tensor& x);
Tensor log_softmax(const Tensor& x);
// layer_norm over the last dim; weight/bias (N) may be undefined.
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);

// ---- indexing and joining ------------------------------------------------------------------
Tensor embedding(const Tensor& weight, const Tensor& ids);  // weight (V, E), ids Int64 (...) -> (..., E)
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);
Tensor stack(const std::vector<Tensor>& tensors, int64_t dim);

// ---- training ------------------------------------------------------------------------------
// Inverted dropout: zeroes with probability p and scales the rest by 1/(1-p); identity when
// !training or p == 0.
Tensor dropout(const Tensor& x, double p, bool training, Generator& gen = default_generator());
enum class Reduction { Mean, Sum, None };
// logits (N, C) [or (..., C)], target Int64 (N) [or (...)]; targets equal to ignore_index add
// nothing and are not counted by Mean.
Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index = -100,
                     Reduction reduction = Reduction::Mean);
Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction = Reduction::Mean);

}  // namespace bertology

// Raw tensor kernels: compute results, record nothing. autograd/ops wraps them into
// differentiable functions. Inputs may be any strided view; outputs are new contiguous tensors
// unless the name ends in _ (in place) or says view.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology::kernels {

// ---- views and copies (view.cpp, copy.cpp) ------------------------------------------------
Tensor as_strided(const Tensor& base, const Shape& sizes, const Shape& strides, int64_t offset);
Tensor contiguous(const Tensor& x);            // x itself when already contiguous
Tensor convert(const Tensor& x, DType dtype);  // contiguous copy in dtype
void copy_into(Tensor& dst, const Tensor& src);  // dst[...] = broadcast(src), any strides
// A contiguous copy on another device; x itself when it is already there.
Tensor to_device(const Tensor& x, Device device);
// Strides that view x as shape without copying; false when the strides do not allow it.
bool view_strides(const Tensor& x, const Shape& shape, Shape& strides);

// ---- element-wise (elementwise.cpp) --------------------------------------------------------
enum class Unary { Neg, Exp, Log, Sqrt, Tanh, Erf, Relu, Abs, GeluErf, GeluTanh, Sign };
enum class Binary { Add, Sub, Mul, Div, Eq, Ne, Lt, Le, Gt, Ge };
Tensor unary(Unary op, const Tensor& x);
Tensor pow_scalar(const Tensor& x, double exponent);
Tensor binary(Binary op, const Tensor& a, const Tensor& b);  // broadcasting; comparisons -> Bool
Tensor add_scalar(const Tensor& x, double s);
Tensor mul_scalar(const Tensor& x, double s);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
// Derivatives of the activations, times dy: returns dy * f'(x).
Tensor gelu_backward(const Tensor& dy, const Tensor& x, bool tanh_form);
Tensor relu_backward(const Tensor& dy, const Tensor& x);
// In-place y += alpha * x (same shape), for gradient accumulation and optimizers.
void axpy_(Tensor& y, double alpha, const Tensor& x);

// ---- reductions (reduce.cpp) ----------------------------------------------------------------
enum class Reduce { Sum, Max };
Tensor reduce(Reduce op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);
// Row-major index of the first NaN or ±Inf element, or -1 when every element is finite.
int64_t first_non_finite(const Tensor& x);
// Normalised, sorted, de-duplicated dims (all dims when empty).
std::vector<int64_t> reduction_dims(const Tensor& x, const std::vector<int64_t>& dims, const char* op);

// ---- matrix products (blas.cpp) -------------------------------------------------------------
// out = a · b for (..., M, K)·(..., K, N) with identical batch dims (expand first); each matrix
// may be row-major or transposed (strides decide); batch dims may have any strides, 0 included.
Tensor matmul(const Tensor& a, const Tensor& b);
// Float32/64 GEMM on raw pointers: C(M,N) = alpha·op(A)·op(B) + beta·C, row-major. A large one
// is cut into blocks of C's rows, one per thread (chunks of columns when it has few rows); with
// the OpenBLAS kernel sets tested, the bits do not depend on the thread count (blas.cpp).
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
          const Tensor& a, int64_t lda, const Tensor& b, int64_t ldb, double beta, Tensor& c,
          int64_t ldc);
// Runs body(i) for i in [0, n) spread over the threads by TBB: for many small products (one per
// attention head). A product in body that is large enough is cut again, in nested TBB tasks.
void for_each_small_gemm(int64_t n, const std::function<void(int64_t)>& body);
// Number of GEMM calls so far (tests use it to prove a backward skipped weight gradients).
int64_t gemm_calls();

// ---- row-wise over the last dim (rowwise.cpp) -------------------------------------------------
Tensor softmax(const Tensor& x);
Tensor softmax_backward(const Tensor& y, const Tensor& dy);          // y * (dy - Σ dy·y)
Tensor log_softmax(const Tensor& x);
Tensor log_softmax_backward(const Tensor& y, const Tensor& dy);      // dy - exp(y) Σ dy
// layer_norm: also returns mean and rstd per row (shape x without its last dim).
struct LayerNormResult { Tensor y, mean, rstd; };
LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
struct LayerNormGrads { Tensor dx, dweight, dbias; };
LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean,
                                   const Tensor& rstd, const Tensor& weight, bool need_dx,
                                   bool need_dweight, bool need_dbias);

// ---- attention core, fused per (example, head) (attention.cpp) ------------------------------------
// q, k, v: (B, S, H·D), unit stride in the last dim (rows may be further apart: views of one
// packed q|k|v). head_mask: ξ as (1 or B, H) or (1 or B, H, 1, 1), or undefined. additive_mask:
// broadcastable to the scores (B, H, S, S), or undefined. future: Bool (S, S), scores := -1e4
// where true, or undefined. The two masks are constants: no gradient is computed for them.
// Returns ξ_h · softmax(scale·q·kᵀ + masks) · v with heads merged: (B, S, H·D), and the
// probabilities P (B, H, S, S) through `probs` (the backward needs them). CPU only.
Tensor attention_forward(const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads, double scale,
                         const Tensor& head_mask, const Tensor& additive_mask, const Tensor& future,
                         Tensor& probs);
// Where attention_backward writes: null = not wanted. dq, dk, dv are (B, S, H·D) views (unit
// stride in the last dim), every element overwritten; dhead_mask is set to a new (1 or B, H).
// attention_backward takes the forward's arguments, its probs and ∂/∂output (B, S, H·D).
struct AttentionGradOutputs {
  Tensor* dq = nullptr;
  Tensor* dk = nullptr;
  Tensor* dv = nullptr;
  Tensor* dhead_mask = nullptr;
};
void attention_backward(const Tensor& dout, const Tensor& q, const Tensor& k, const Tensor& v, int64_t heads,
                        double scale, const Tensor& head_mask, const Tensor& future, const Tensor& probs,
                        const AttentionGradOutputs& grads);

// ---- indexing (index.cpp) ---------------------------------------------------------------------
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
// out (shape of x with x.size(dim) = size) = zeros, then out.index_add(dim, index, src).
Tensor index_add(const Tensor& src, int64_t dim, const Tensor& index, int64_t size);
Tensor cat(const std::vector<Tensor>& tensors, int64_t dim);

// ---- losses (loss.cpp) ----------------------------------------------------------------------
// Per-row -log_softmax(logits)[target]; rows with target == ignore_index give 0.
// logits (N, C), target (N) -> losses (N), and the log-probabilities for backward.
struct CrossEntropyResult { Tensor losses, log_probs; };
CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index);
// d logits for per-row loss gradients dloss (N): (softmax - onehot) * dloss, 0 on ignored rows.
Tensor cross_entropy_backward(const Tensor& log_probs, const Tensor& target, const Tensor& dloss,
                              int64_t ignore_index);
Tensor dropout_mask(const Shape& shape, double p, Generator& gen, DType dtype);  // 0 or 1/(1-p)

}  // namespace bertology::kernels

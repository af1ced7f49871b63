// The CUDA backend's kernels: the same operations, with the same arguments, shapes and results as
// their CPU counterparts in tensor/kernels/kernels.h (read the comments there), for tensors on a
// CUDA device. kernels.h forwards to these when an operand lives on the GPU, so autograd and the
// models above need no device code. Built only with -DBERTOLOGY_CUDA=ON (tensor/cuda/*.cu).
//
// Conventions shared by every .cu file here:
//  - inputs may be any strided view; outputs are new contiguous tensors on the input's device;
//  - float32 and float64 (and int64/bool where the CPU kernel takes them), nothing narrower;
//  - every launch goes on the calling thread's default stream (nvcc --default-stream per-thread)
//    and is checked with BERTOLOGY_CUDA_CHECK (cuda_check.h): a failure becomes a bertology::Error
//    naming the call, the file and the line;
//  - results are deterministic: no atomics on floating-point values except where the kernel's
//    comment says so, and the reduction order is fixed for a given shape.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/tensor.h>

namespace bertology::cuda {

// ---- the device (device.cu) -------------------------------------------------------------------
int device_count();                 // 0 when no GPU or no driver: never throws
bool available();                   // device_count() > 0
std::string device_name(int index);  // e.g. "NVIDIA H200"
void synchronize();                 // waits for this thread's stream; throws on a pending error
const Backend& backend();           // caching allocator + copies (allocator.cu)
size_t cached_bytes();              // freed device blocks kept for reuse
void empty_cache();                 // returns them to the driver
// Copies nbytes between any two of host and device memory, then waits for the copy.
void copy_bytes(void* dst, const void* src, size_t nbytes);

// ---- views and copies (copy.cu) ---------------------------------------------------------------
Tensor contiguous(const Tensor& x);
Tensor convert(const Tensor& x, DType dtype);
void copy_into(Tensor& dst, const Tensor& src);  // dst[...] = broadcast(src), any strides

// ---- element-wise (elementwise.cu) ------------------------------------------------------------
Tensor unary(kernels::Unary op, const Tensor& x);
Tensor pow_scalar(const Tensor& x, double exponent);
Tensor binary(kernels::Binary op, const Tensor& a, const Tensor& b);
Tensor add_scalar(const Tensor& x, double s);
Tensor mul_scalar(const Tensor& x, double s);
Tensor where(const Tensor& cond, const Tensor& a, const Tensor& b);
Tensor masked_fill(const Tensor& x, const Tensor& mask, double value);
Tensor gelu_backward(const Tensor& dy, const Tensor& x, bool tanh_form);
Tensor relu_backward(const Tensor& dy, const Tensor& x);
void axpy_(Tensor& y, double alpha, const Tensor& x);

// ---- reductions (reduce.cu) -------------------------------------------------------------------
Tensor reduce(kernels::Reduce op, const Tensor& x, const std::vector<int64_t>& dims, bool keepdim);
Tensor argmax(const Tensor& x, int64_t dim, bool keepdim);
int64_t first_non_finite(const Tensor& x);

// ---- matrix products (blas.cu, cuBLAS) ----------------------------------------------------------
Tensor matmul(const Tensor& a, const Tensor& b);
void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const Tensor& a,
          int64_t lda, const Tensor& b, int64_t ldb, double beta, Tensor& c, int64_t ldc);
// TF32 tensor cores for float32 products: off by default (results then match the CPU to fp32
// rounding); BERTOLOGY_CUDA_TF32=1 in the environment or this call turns them on.
void set_tf32(bool on);
bool tf32();

// ---- row-wise over the last dim (rowwise.cu) ----------------------------------------------------
Tensor softmax(const Tensor& x);
Tensor softmax_backward(const Tensor& y, const Tensor& dy);
Tensor log_softmax(const Tensor& x);
Tensor log_softmax_backward(const Tensor& y, const Tensor& dy);
kernels::LayerNormResult layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps);
kernels::LayerNormGrads layer_norm_backward(const Tensor& dy, const Tensor& x, const Tensor& mean,
                                            const Tensor& rstd, const Tensor& weight, bool need_dx,
                                            bool need_dweight, bool need_dbias);

// ---- indexing (index.cu) ------------------------------------------------------------------------
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index);
Tensor index_add(const Tensor& src, int64_t dim, const Tensor& index, int64_t size);

// ---- losses (loss.cu) -------------------------------------------------------------------------
kernels::CrossEntropyResult cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index);
Tensor cross_entropy_backward(const Tensor& log_probs, const Tensor& target, const Tensor& dloss,
                              int64_t ignore_index);

}  // namespace bertology::cuda

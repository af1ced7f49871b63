// CUDA kernels over the last dim, one thread block per row: softmax, log_softmax and layer_norm,
// each with its backward. Same results as tensor/kernels/rowwise.cpp, reductions in a fixed order.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/kernels/dispatch.h>

#include <math_constants.h>

#include <algorithm>

namespace bertology::cuda {
namespace {

// ---- host helpers ------------------------------------------------------------------------------

struct Rows {
  int64_t count, width;
};

// A tensor seen as rows over its last dim (like the CPU's rows_of): no rows when the last dim is 0.
Rows rows_of(const Tensor& x, const char* op) {
  if (!x.device().is_cuda()) throw Error(concat(op, ": expected a CUDA tensor, got one on ", x.device().str()));
  if (x.dim() == 0) throw Error(concat(op, ": needs at least one dim, got a scalar"));
  const int64_t width = x.size(-1);
  return {width == 0 ? 0 : x.numel() / width, width};
}

// Throws unless `t` has x's device, dtype and shape (the CPU kernels assume it; here a mismatch
// would read out of bounds on the GPU).
void require_like(const Tensor& t, const Tensor& x, const char* name, const char* op) {
  if (t.device() != x.device() || t.dtype() != x.dtype() || t.sizes() != x.sizes())
    throw Error(concat(op, ": ", name, " must be ", dtype_name(x.dtype()), " ", x.shape_str(), " on ", x.device().str(),
                       ", got ", dtype_name(t.dtype()), " ", t.shape_str(), " on ", t.device().str()));
}

// Device pointer to the first element of a tensor (contiguous: element i is at [i]); null when undefined.
template <class T>
T* ptr(const Tensor& t) {
  return t.defined() ? static_cast<T*>(t.storage()->data()) + t.offset() : nullptr;
}

constexpr int kWarp = 32;
constexpr int kMaxThreads = 256;

// Threads per row: the row width rounded up to whole warps, at most kMaxThreads.
int threads_for(int64_t width) {
  const int64_t warps = (width + kWarp - 1) / kWarp;
  return static_cast<int>(std::clamp<int64_t>(warps * kWarp, kWarp, kMaxThreads));
}

// Blocks for a row-per-block launch; kernels loop over rows in steps of gridDim.x beyond it.
unsigned row_blocks(int64_t rows) { return static_cast<unsigned>(std::min<int64_t>(rows, 1 << 20)); }

// ---- device helpers ----------------------------------------------------------------------------

__device__ inline float exp_of(float v) { return expf(v); }
__device__ inline double exp_of(double v) { return exp(v); }

template <class T>
__device__ inline T minus_infinity() {
  if constexpr (sizeof(T) == sizeof(float)) return -CUDART_INF_F;
  else return -CUDART_INF;
}

struct Sum {
  template <class A>
  __device__ A operator()(A a, A b) const { return a + b; }
};
// std::max's choice (a < b ? b : a): a NaN never replaces the running maximum, as on the CPU.
struct Max {
  template <class A>
  __device__ A operator()(A a, A b) const { return a < b ? b : a; }
};

// Tree over the 32 lanes of a warp; lane 0 ends with the warp's total.
template <class A, class Op>
__device__ A warp_reduce(A v, Op op) {
  for (int step = kWarp / 2; step > 0; step /= 2) v = op(v, __shfl_down_sync(0xffffffffu, v, step));
  return v;
}

// Reduces one value per thread over the whole block (blockDim.x a multiple of 32, at most
// kMaxThreads) and returns the result to every thread: warp trees, then a tree over the warp
// results, so the order is fixed by blockDim.x alone. Every thread of the block must call it.
// Back-to-back calls may share `scratch`: slot [warp] is rewritten only after the barrier that
// follows warp 0's reads of it, and slot [kMaxWarps] only after every thread has read it.
template <class A, class Op>
__device__ A block_reduce(A v, Op op, A identity) {
  constexpr int kMaxWarps = kMaxThreads / kWarp;
  __shared__ A scratch[kMaxWarps + 1];
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  v = warp_reduce(v, op);
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_reduce(lane < warps ? scratch[lane] : identity, op);
    if (lane == 0) scratch[kMaxWarps] = v;
  }
  __syncthreads();
  return scratch[kMaxWarps];
}

// ---- kernels: one block per row, rows in steps of gridDim.x ------------------------------------
// Every loop over a row's entries is `for (j = threadIdx.x; j < width; j += blockDim.x)`.

// y (rows, width) = softmax(x); a row of -inf only gives zeros.
template <class T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t width) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * width;
    T* yr = y + row * width;
    T mx = minus_infinity<T>();
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) mx = Max{}(mx, xr[j]);
    mx = block_reduce(mx, Max{}, minus_infinity<T>());
    if (mx == minus_infinity<T>()) {  // every entry masked: no mass anywhere (same for the whole block)
      for (int64_t j = threadIdx.x; j < width; j += blockDim.x) yr[j] = T(0);
      continue;
    }
    T total = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) total += (yr[j] = exp_of(xr[j] - mx));
    total = block_reduce(total, Sum{}, T(0));
    const T inv = T(1) / total;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) yr[j] *= inv;  // entries this thread wrote
  }
}

// ---- softmax of short rows: one warp per row -----------------------------------------------------
// Attention's rows are S wide (128 for BERT at 128 tokens): a block per row would keep most of
// each block waiting at its barriers. Up to kWarpRowMax entries, a warp takes a row and a block
// kRowsPerBlock rows; lane l adds entries l, l + 32, ... and a butterfly over the lanes gives
// every lane the same total, so the order is fixed by the width alone.
constexpr int64_t kWarpRowMax = 1024;
constexpr int kRowsPerBlock = kMaxThreads / kWarp;

template <class A, class Op>
__device__ A warp_allreduce(A v, Op op) {
  for (int step = kWarp / 2; step > 0; step /= 2) v = op(v, __shfl_xor_sync(0xffffffffu, v, step));
  return v;
}

unsigned warp_row_blocks(int64_t rows) {
  return static_cast<unsigned>(std::min<int64_t>((rows + kRowsPerBlock - 1) / kRowsPerBlock, 1 << 20));
}

// As softmax_kernel. Every lane takes part in both reductions (no early exit before a shuffle).
template <class T>
__global__ void softmax_warp_kernel(const T* x, T* y, int64_t rows, int64_t width) {
  const int lane = threadIdx.x % kWarp;
  const int64_t step = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp; row < rows; row += step) {
    const T* xr = x + row * width;
    T* yr = y + row * width;
    T mx = minus_infinity<T>();
    for (int64_t j = lane; j < width; j += kWarp) mx = Max{}(mx, xr[j]);
    mx = warp_allreduce(mx, Max{});
    const bool masked = mx == minus_infinity<T>();  // every entry masked: no mass anywhere
    T total = 0;
    for (int64_t j = lane; j < width; j += kWarp) total += (yr[j] = masked ? T(0) : exp_of(xr[j] - mx));
    total = warp_allreduce(total, Sum{});
    const T inv = masked ? T(0) : T(1) / total;
    for (int64_t j = lane; j < width; j += kWarp) yr[j] *= inv;  // entries this lane wrote
  }
}

// As softmax_backward_kernel.
template <class T>
__global__ void softmax_backward_warp_kernel(const T* y, const T* dy, T* dx, int64_t rows, int64_t width) {
  const int lane = threadIdx.x % kWarp;
  const int64_t step = static_cast<int64_t>(gridDim.x) * kRowsPerBlock;
  for (int64_t row = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp; row < rows; row += step) {
    const T *yr = y + row * width, *gr = dy + row * width;
    T* o = dx + row * width;
    T dot = 0;
    for (int64_t j = lane; j < width; j += kWarp) dot += yr[j] * gr[j];
    dot = warp_allreduce(dot, Sum{});
    for (int64_t j = lane; j < width; j += kWarp) o[j] = yr[j] * (gr[j] - dot);
  }
}

// dx = y * (dy - Σ dy·y), the sum in T like the CPU.
template <class T>
__global__ void softmax_backward_kernel(const T* y, const T* dy, T* dx, int64_t rows, int64_t width) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *yr = y + row * width, *gr = dy + row * width;
    T* o = dx + row * width;
    T dot = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) dot += yr[j] * gr[j];
    dot = block_reduce(dot, Sum{}, T(0));
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) o[j] = yr[j] * (gr[j] - dot);
  }
}

// y = x - (max + log Σ exp(x - max)), the sum in double like the CPU (a row of -inf gives NaN there too).
template <class T>
__global__ void log_softmax_kernel(const T* x, T* y, int64_t rows, int64_t width) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * width;
    T* yr = y + row * width;
    T mx = minus_infinity<T>();
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) mx = Max{}(mx, xr[j]);
    mx = block_reduce(mx, Max{}, minus_infinity<T>());
    double total = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) total += exp(static_cast<double>(xr[j] - mx));
    total = block_reduce(total, Sum{}, 0.0);
    const T lse = mx + static_cast<T>(log(total));
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) yr[j] = xr[j] - lse;
  }
}

// dx = dy - exp(y) Σ dy, the sum in T like the CPU.
template <class T>
__global__ void log_softmax_backward_kernel(const T* y, const T* dy, T* dx, int64_t rows, int64_t width) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *yr = y + row * width, *gr = dy + row * width;
    T* o = dx + row * width;
    T total = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) total += gr[j];
    total = block_reduce(total, Sum{}, T(0));
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) o[j] = gr[j] - exp_of(yr[j]) * total;
  }
}

// y = (x - mean) * rstd [* w] [+ b]; mean and rstd (rows) per row, the statistics in double
// with a two-pass variance like the CPU. w and b may be null.
template <class T>
__global__ void layer_norm_kernel(const T* x, const T* w, const T* b, double eps, T* y, T* means, T* rstds,
                                  int64_t rows, int64_t width) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T* xr = x + row * width;
    T* yr = y + row * width;
    double sum = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) sum += xr[j];
    const double mean = block_reduce(sum, Sum{}, 0.0) / static_cast<double>(width);
    double squares = 0;
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) squares += (xr[j] - mean) * (xr[j] - mean);
    const double var = block_reduce(squares, Sum{}, 0.0) / static_cast<double>(width);
    const double rstd = 1.0 / sqrt(var + eps);
    if (threadIdx.x == 0) {
      means[row] = static_cast<T>(mean);
      rstds[row] = static_cast<T>(rstd);
    }
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      T v = static_cast<T>((xr[j] - mean) * rstd);
      if (w) v *= w[j];
      if (b) v += b[j];
      yr[j] = v;
    }
  }
}

// dx (rows, width) = rstd * (g - mean(g) - xhat * mean(g·xhat)) with g = dy [* w], in double.
template <class T>
__global__ void layer_norm_dx_kernel(const T* dy, const T* x, const T* means, const T* rstds, const T* w, T* dx,
                                     int64_t rows, int64_t width) {
  const double inv_n = 1.0 / static_cast<double>(width);
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const T *xr = x + row * width, *gr = dy + row * width;
    T* o = dx + row * width;
    const double m = means[row], rstd = rstds[row];
    double sum_g = 0, sum_gx = 0;  // Σ dxhat and Σ dxhat·xhat
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      const double xhat = (xr[j] - m) * rstd;
      const double gj = w ? gr[j] * w[j] : gr[j];
      sum_g += gj;
      sum_gx += gj * xhat;
    }
    sum_g = block_reduce(sum_g, Sum{}, 0.0);
    sum_gx = block_reduce(sum_gx, Sum{}, 0.0);
    for (int64_t j = threadIdx.x; j < width; j += blockDim.x) {
      const double xhat = (xr[j] - m) * rstd;
      const double gj = w ? gr[j] * w[j] : gr[j];
      o[j] = static_cast<T>(rstd * (gj - sum_g * inv_n - xhat * sum_gx * inv_n));
    }
  }
}

// dweight/dbias sum over rows in two deterministic passes, the CPU's order exactly: rows in fixed
// blocks of kRowBlock, each block's sum in row order, then the block sums in block order.
constexpr int64_t kRowBlock = 64;

// Pass 1: one thread per (column j, row block): parts (blocks, width) in double. Either output may be null.
template <class T>
__global__ void layer_norm_param_parts_kernel(const T* dy, const T* x, const T* means, const T* rstds,
                                              double* dw_parts, double* db_parts, int64_t rows, int64_t width,
                                              int64_t blocks) {
  const int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (j >= width) return;
  for (int64_t blk = blockIdx.y; blk < blocks; blk += gridDim.y) {
    double dw = 0, db = 0;
    const int64_t end = min(rows, (blk + 1) * kRowBlock);
    for (int64_t i = blk * kRowBlock; i < end; ++i) {
      const T g = dy[i * width + j];
      const double xhat = (x[i * width + j] - static_cast<double>(means[i])) * static_cast<double>(rstds[i]);
      dw += g * xhat;
      db += g;
    }
    if (dw_parts) dw_parts[blk * width + j] = dw;
    if (db_parts) db_parts[blk * width + j] = db;
  }
}

// Pass 2: one thread per column adds its block sums in block order. Either output may be null.
template <class T>
__global__ void layer_norm_param_sum_kernel(const double* dw_parts, const double* db_parts, T* dweight, T* dbias,
                                            int64_t width, int64_t blocks) {
  for (int64_t j = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; j < width;
       j += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    double dw = 0, db = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      if (dw_parts) dw += dw_parts[blk * width + j];
      if (db_parts) db += db_parts[blk * width + j];
    }
    if (dweight) dweight[j] = static_cast<T>(dw);
    if (dbias) dbias[j] = static_cast<T>(db);
  }
}

// ---- shared launch code for the four softmax-type functions -------------------------------------

// x (…, width) -> out of the same shape, through a one-input row kernel.
template <class Fn>
Tensor rowwise_unary(const Tensor& x_in, const char* op, Fn launch) {
  const Rows r = rows_of(x_in, op);
  Tensor x = contiguous(x_in);
  Tensor y = Tensor::empty(x.sizes(), x.dtype(), x.device());
  kernels::dispatch_floating(x.dtype(), op, [&](auto tag) {  // checks the dtype even with no rows, like the CPU
    using T = decltype(tag);
    if (r.count == 0) return;
    launch(ptr<const T>(x), ptr<T>(y), r, tag);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return y;
}

// (y, dy) (…, width) -> dx of the same shape, through a two-input row kernel.
template <class Fn>
Tensor rowwise_backward(const Tensor& y_in, const Tensor& dy_in, const char* op, Fn launch) {
  const Rows r = rows_of(y_in, op);
  require_like(dy_in, y_in, "dy", op);
  Tensor y = contiguous(y_in), dy = contiguous(dy_in);
  Tensor dx = Tensor::empty(y.sizes(), y.dtype(), y.device());
  kernels::dispatch_floating(y.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (r.count == 0) return;
    launch(ptr<const T>(y), ptr<const T>(dy), ptr<T>(dx), r, tag);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return dx;
}

}  // namespace

Tensor softmax(const Tensor& x) {
  return rowwise_unary(x, "softmax", [](auto* xs, auto* ys, Rows r, auto tag) {
    using T = decltype(tag);
    if (r.width <= kWarpRowMax)
      softmax_warp_kernel<T><<<warp_row_blocks(r.count), kMaxThreads>>>(xs, ys, r.count, r.width);
    else
      softmax_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(xs, ys, r.count, r.width);
  });
}

Tensor softmax_backward(const Tensor& y, const Tensor& dy) {
  return rowwise_backward(y, dy, "softmax_backward", [](auto* ys, auto* gs, auto* out, Rows r, auto tag) {
    using T = decltype(tag);
    if (r.width <= kWarpRowMax)
      softmax_backward_warp_kernel<T><<<warp_row_blocks(r.count), kMaxThreads>>>(ys, gs, out, r.count, r.width);
    else
      softmax_backward_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(ys, gs, out, r.count, r.width);
  });
}

Tensor log_softmax(const Tensor& x) {
  return rowwise_unary(x, "log_softmax", [](auto* xs, auto* ys, Rows r, auto tag) {
    using T = decltype(tag);
    log_softmax_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(xs, ys, r.count, r.width);
  });
}

Tensor log_softmax_backward(const Tensor& y, const Tensor& dy) {
  return rowwise_backward(y, dy, "log_softmax_backward", [](auto* ys, auto* gs, auto* out, Rows r, auto tag) {
    using T = decltype(tag);
    log_softmax_backward_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(ys, gs, out, r.count, r.width);
  });
}

kernels::LayerNormResult layer_norm(const Tensor& x_in, const Tensor& weight, const Tensor& bias, double eps) {
  const Rows r = rows_of(x_in, "layer_norm");
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && (p->dim() != 1 || p->size(0) != r.width || p->dtype() != x_in.dtype()))
      throw Error(concat("layer_norm: weight/bias must be ", dtype_name(x_in.dtype()), " [", r.width, "], got ",
                         dtype_name(p->dtype()), " ", p->shape_str()));
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && p->device() != x_in.device())
      throw Error(concat("layer_norm: weight/bias on ", p->device().str(), ", input on ", x_in.device().str()));
  Tensor x = contiguous(x_in);
  const Shape row_shape(x.sizes().begin(), x.sizes().end() - 1);
  kernels::LayerNormResult res{Tensor::empty(x.sizes(), x.dtype(), x.device()),
                               Tensor::empty(row_shape, x.dtype(), x.device()),
                               Tensor::empty(row_shape, x.dtype(), x.device())};
  Tensor w = weight.defined() ? contiguous(weight) : Tensor();
  Tensor b = bias.defined() ? contiguous(bias) : Tensor();
  kernels::dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    if (r.count == 0) return;
    layer_norm_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(
        ptr<const T>(x), ptr<const T>(w), ptr<const T>(b), eps, ptr<T>(res.y), ptr<T>(res.mean), ptr<T>(res.rstd),
        r.count, r.width);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return res;
}

kernels::LayerNormGrads layer_norm_backward(const Tensor& dy_in, const Tensor& x_in, const Tensor& mean_in,
                                            const Tensor& rstd_in, const Tensor& weight, bool need_dx,
                                            bool need_dweight, bool need_dbias) {
  const char* op = "layer_norm_backward";
  const Rows r = rows_of(x_in, op);
  require_like(dy_in, x_in, "dy", op);
  const int64_t row_count = shape_numel(Shape(x_in.sizes().begin(), x_in.sizes().end() - 1));  // r.count unless width 0
  for (const Tensor* p : {&mean_in, &rstd_in})
    if (p->device() != x_in.device() || p->dtype() != x_in.dtype() || p->numel() != row_count)
      throw Error(concat(op, ": mean/rstd must be ", dtype_name(x_in.dtype()), " with one value per row (", row_count,
                         ") on ", x_in.device().str(), ", got ", dtype_name(p->dtype()), " ", p->shape_str(), " on ",
                         p->device().str()));
  if (weight.defined() && (weight.device() != x_in.device() || weight.dtype() != x_in.dtype() ||
                           weight.numel() != r.width))
    throw Error(concat(op, ": weight must be ", dtype_name(x_in.dtype()), " [", r.width, "] on ", x_in.device().str(),
                       ", got ", dtype_name(weight.dtype()), " ", weight.shape_str(), " on ", weight.device().str()));
  Tensor x = contiguous(x_in), dy = contiguous(dy_in), mean = contiguous(mean_in), rstd = contiguous(rstd_in);
  Tensor w = weight.defined() ? contiguous(weight) : Tensor();
  const Device device = x.device();
  kernels::LayerNormGrads g;
  if (need_dx) g.dx = Tensor::empty(x.sizes(), x.dtype(), device);
  if (need_dweight) g.dweight = Tensor::zeros({r.width}, x.dtype(), device);
  if (need_dbias) g.dbias = Tensor::zeros({r.width}, x.dtype(), device);
  const int64_t blocks = (r.count + kRowBlock - 1) / kRowBlock;
  kernels::dispatch_floating(x.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    if (r.count == 0) return;  // no rows: dweight and dbias stay zero, like the CPU
    if (need_dx) {
      layer_norm_dx_kernel<T><<<row_blocks(r.count), threads_for(r.width)>>>(
          ptr<const T>(dy), ptr<const T>(x), ptr<const T>(mean), ptr<const T>(rstd), ptr<const T>(w), ptr<T>(g.dx),
          r.count, r.width);
      BERTOLOGY_CUDA_CHECK_LAUNCH();
    }
    if (!need_dweight && !need_dbias) return;
    Tensor dw_parts = need_dweight ? Tensor::empty({blocks, r.width}, DType::Float64, device) : Tensor();
    Tensor db_parts = need_dbias ? Tensor::empty({blocks, r.width}, DType::Float64, device) : Tensor();
    constexpr int kThreads = 256;
    const unsigned column_blocks = static_cast<unsigned>((r.width + kThreads - 1) / kThreads);
    const dim3 parts_grid(column_blocks, static_cast<unsigned>(std::min<int64_t>(blocks, 65535)));
    layer_norm_param_parts_kernel<T><<<parts_grid, kThreads>>>(ptr<const T>(dy), ptr<const T>(x),
                                                                ptr<const T>(mean), ptr<const T>(rstd),
                                                                ptr<double>(dw_parts), ptr<double>(db_parts),
                                                                r.count, r.width, blocks);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
    layer_norm_param_sum_kernel<T><<<column_blocks, kThreads>>>(ptr<const double>(dw_parts),
                                                                ptr<const double>(db_parts), ptr<T>(g.dweight),
                                                                ptr<T>(g.dbias), r.width, blocks);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  return g;
}

}  // namespace bertology::cuda

// Fused kernels over the last dim, one row per step, rows in parallel: softmax, log_softmax and
// layer_norm, each with its backward.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include "lane_sum.h"
#include "softmax_row.h"

#include <cmath>
#include <limits>
#include <algorithm>
#include <type_traits>
#include <vector>

namespace bertology::kernels {
namespace {

struct Rows {
  int64_t count, width;
};

Rows rows_of(const Tensor& x, const char* op) {
  require_cpu(x.device(), op);
  if (x.dim() == 0) throw Error(concat(op, ": needs at least one dim, got a scalar"));
  int64_t width = x.size(-1);
  return {width == 0 ? 0 : x.numel() / width, width};
}

int64_t row_grain(int64_t width) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(width, 1)); }

// One layer_norm row of n entries: y = (x − mean)·rstd·w + b, w and b optional (null).
template <class T>
[[gnu::always_inline]] inline void layer_norm_row(const T* xr, T* yr, const T* ws, const T* bs, int64_t n, double eps,
                                                  T& mean_out, T& rstd_out) {
  const double count = static_cast<double>(n);
  const double mean = lane_sum<double>(n, [&](int64_t j) { return static_cast<double>(xr[j]); }) / count;
  const double var = lane_sum<double>(n, [&](int64_t j) {
                       const double d = xr[j] - mean;
                       return d * d;
                     }) / count;
  const double rstd = 1.0 / std::sqrt(var + eps);
  mean_out = static_cast<T>(mean);
  rstd_out = static_cast<T>(rstd);
  for (int64_t j = 0; j < n; ++j) {
    T v = static_cast<T>((xr[j] - mean) * rstd);
    if (ws) v *= ws[j];
    if (bs) v += bs[j];
    yr[j] = v;
  }
}

// One row of layer_norm's backward, given the forward's mean and rstd and a weight (ones when the
// layer has none): ∂x into dx when wanted, and this row's share of ∂w and ∂b added into dw and db
// when those are wanted (else null).
template <class T>
[[gnu::always_inline]] inline void layer_norm_backward_row(const T* xr, const T* gr, const T* ws, double m,
                                                           double rstd, int64_t n, T* dx, double* dw, double* db) {
  // dxhat_j = dy_j · w_j, xhat_j = (x_j − mean) · rstd
  auto dxhat = [&](int64_t j) { return static_cast<double>(gr[j] * ws[j]); };
  auto xhat = [&](int64_t j) { return (xr[j] - m) * rstd; };
  if (dw)
    for (int64_t j = 0; j < n; ++j) dw[j] += gr[j] * xhat(j);
  if (db)
    for (int64_t j = 0; j < n; ++j) db[j] += gr[j];
  if (!dx) return;
  const double sum_g = lane_sum<double>(n, dxhat);                                          // Σ dxhat
  const double sum_gx = lane_sum<double>(n, [&](int64_t j) { return dxhat(j) * xhat(j); });  // Σ dxhat·xhat
  const double inv_n = 1.0 / static_cast<double>(n);
  for (int64_t j = 0; j < n; ++j)
    dx[j] = static_cast<T>(rstd * (dxhat(j) - sum_g * inv_n - xhat(j) * sum_gx * inv_n));
}

// The float rows, compiled three times and picked by CPU, as GELU is (elementwise.cpp): no FMA
// in this file, and the lanes keep their order at every SIMD width, so all three give the same
// bits. The row helpers are always inlined, so each clone compiles them for its own CPU.
[[gnu::target_clones("avx512f", "avx2", "default")]] void layer_norm_row_f32(
    const float* xr, float* yr, const float* ws, const float* bs, int64_t n, double eps, float& mean, float& rstd) {
  layer_norm_row(xr, yr, ws, bs, n, eps, mean, rstd);
}
[[gnu::target_clones("avx512f", "avx2", "default")]] void layer_norm_backward_row_f32(
    const float* xr, const float* gr, const float* ws, double m, double rstd, int64_t n, float* dx, double* dw,
    double* db) {
  layer_norm_backward_row(xr, gr, ws, m, rstd, n, dx, dw, db);
}
template <class T>
void layer_norm_row_any(const T* xr, T* yr, const T* ws, const T* bs, int64_t n, double eps, T& mean, T& rstd) {
  if constexpr (std::is_same_v<T, float>)
    layer_norm_row_f32(xr, yr, ws, bs, n, eps, mean, rstd);
  else
    layer_norm_row(xr, yr, ws, bs, n, eps, mean, rstd);
}
template <class T>
void layer_norm_backward_row_any(const T* xr, const T* gr, const T* ws, double m, double rstd, int64_t n, T* dx,
                                 double* dw, double* db) {
  if constexpr (std::is_same_v<T, float>)
    layer_norm_backward_row_f32(xr, gr, ws, m, rstd, n, dx, dw, db);
  else
    layer_norm_backward_row(xr, gr, ws, m, rstd, n, dx, dw, db);
}

[[gnu::target_clones("avx512f", "avx2", "default")]] void softmax_row_f32_clones(const float* x, float* y, int64_t n) {
  softmax_row_generic(x, y, n);
}

}  // namespace

void softmax_row_f32(const float* x, float* y, int64_t n) { softmax_row_f32_clones(x, y, n); }

Tensor softmax(const Tensor& x_in) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) return cuda::softmax(x_in);
  Rows r = rows_of(x_in, "softmax");
  Tensor x = contiguous(x_in);
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  dispatch_floating(x.dtype(), "softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    parallel_for(r.count, row_grain(r.width), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) softmax_row(xs + i * r.width, ys + i * r.width, r.width);
    });
  });
  return y;
}

Tensor softmax_backward(const Tensor& y_in, const Tensor& dy_in) {
  if constexpr (kCudaBuilt)
    if (y_in.device().is_cuda()) {
      require_same_device(y_in, dy_in, "softmax_backward");
      return cuda::softmax_backward(y_in, dy_in);
    }
  Rows r = rows_of(y_in, "softmax_backward");
  Tensor y = contiguous(y_in), dy = contiguous(dy_in);
  Tensor dx = Tensor::empty(y.sizes(), y.dtype());
  dispatch_floating(y.dtype(), "softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *ys = y.data<T>(), *gs = dy.data<T>();
    T* out = dx.data<T>();
    parallel_for(r.count, row_grain(r.width), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T *yr = ys + i * r.width, *gr = gs + i * r.width;
        T* o = out + i * r.width;
        const T dot = lane_sum<T>(r.width, [&](int64_t j) { return yr[j] * gr[j]; });
        for (int64_t j = 0; j < r.width; ++j) o[j] = yr[j] * (gr[j] - dot);
      }
    });
  });
  return dx;
}

Tensor log_softmax(const Tensor& x_in) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) return cuda::log_softmax(x_in);
  Rows r = rows_of(x_in, "log_softmax");
  Tensor x = contiguous(x_in);
  Tensor y = Tensor::empty(x.sizes(), x.dtype());
  dispatch_floating(x.dtype(), "log_softmax", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    T* ys = y.data<T>();
    parallel_for(r.count, row_grain(r.width), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T* xr = xs + i * r.width;
        T* yr = ys + i * r.width;
        const T mx = lane_max(xr, r.width);
        const double total =
            lane_sum<double>(r.width, [&](int64_t j) { return std::exp(static_cast<double>(xr[j] - mx)); });
        T lse = mx + static_cast<T>(std::log(total));
        for (int64_t j = 0; j < r.width; ++j) yr[j] = xr[j] - lse;
      }
    });
  });
  return y;
}

Tensor log_softmax_backward(const Tensor& y_in, const Tensor& dy_in) {
  if constexpr (kCudaBuilt)
    if (y_in.device().is_cuda()) {
      require_same_device(y_in, dy_in, "log_softmax_backward");
      return cuda::log_softmax_backward(y_in, dy_in);
    }
  Rows r = rows_of(y_in, "log_softmax_backward");
  Tensor y = contiguous(y_in), dy = contiguous(dy_in);
  Tensor dx = Tensor::empty(y.sizes(), y.dtype());
  dispatch_floating(y.dtype(), "log_softmax_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *ys = y.data<T>(), *gs = dy.data<T>();
    T* out = dx.data<T>();
    parallel_for(r.count, row_grain(r.width), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        const T *yr = ys + i * r.width, *gr = gs + i * r.width;
        T* o = out + i * r.width;
        const T total = lane_sum<T>(r.width, [&](int64_t j) { return gr[j]; });
        for (int64_t j = 0; j < r.width; ++j) o[j] = gr[j] - std::exp(yr[j]) * total;
      }
    });
  });
  return dx;
}

LayerNormResult layer_norm(const Tensor& x_in, const Tensor& weight, const Tensor& bias, double eps) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) return cuda::layer_norm(x_in, weight, bias, eps);  // weight, bias may be undefined
  Rows r = rows_of(x_in, "layer_norm");
  for (const Tensor* p : {&weight, &bias})
    if (p->defined() && (p->dim() != 1 || p->size(0) != r.width || p->dtype() != x_in.dtype()))
      throw Error(concat("layer_norm: weight/bias must be ", dtype_name(x_in.dtype()), " [", r.width, "], got ",
                         dtype_name(p->dtype()), " ", p->shape_str()));
  Tensor x = contiguous(x_in);
  Shape row_shape(x.sizes().begin(), x.sizes().end() - 1);
  LayerNormResult res{Tensor::empty(x.sizes(), x.dtype()), Tensor::empty(row_shape, x.dtype()),
                      Tensor::empty(row_shape, x.dtype())};
  Tensor w = weight.defined() ? contiguous(weight) : Tensor();
  Tensor b = bias.defined() ? contiguous(bias) : Tensor();
  dispatch_floating(x.dtype(), "layer_norm", [&](auto tag) {
    using T = decltype(tag);
    const T* xs = x.data<T>();
    const T* ws = w.defined() ? w.data<T>() : nullptr;
    const T* bs = b.defined() ? b.data<T>() : nullptr;
    T *ys = res.y.data<T>(), *means = res.mean.data<T>(), *rstds = res.rstd.data<T>();
    parallel_for(r.count, row_grain(r.width), [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i)
        layer_norm_row_any(xs + i * r.width, ys + i * r.width, ws, bs, r.width, eps, means[i], rstds[i]);
    });
  });
  return res;
}

LayerNormGrads layer_norm_backward(const Tensor& dy_in, const Tensor& x_in, const Tensor& mean_in,
                                   const Tensor& rstd_in, const Tensor& weight, bool need_dx,
                                   bool need_dweight, bool need_dbias) {
  if constexpr (kCudaBuilt)
    if (x_in.device().is_cuda()) {
      require_same_device(x_in, dy_in, "layer_norm_backward");
      return cuda::layer_norm_backward(dy_in, x_in, mean_in, rstd_in, weight, need_dx, need_dweight, need_dbias);
    }
  Rows r = rows_of(x_in, "layer_norm_backward");
  Tensor x = contiguous(x_in), dy = contiguous(dy_in), mean = contiguous(mean_in), rstd = contiguous(rstd_in);
  Tensor w = weight.defined() ? contiguous(weight) : Tensor();
  LayerNormGrads g;
  if (need_dx) g.dx = Tensor::empty(x.sizes(), x.dtype());
  if (need_dweight) g.dweight = Tensor::zeros({r.width}, x.dtype());
  if (need_dbias) g.dbias = Tensor::zeros({r.width}, x.dtype());
  // dweight/dbias sum over rows: each fixed block of rows gets its own partial sums, added in
  // block order afterwards, so the result is the same bits whatever the thread timing.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (r.count + kBlock - 1) / kBlock;
  const bool need_partials = need_dweight || need_dbias;
  std::vector<double> dw_parts(need_dweight ? blocks * r.width : 0), db_parts(need_dbias ? blocks * r.width : 0);
  dispatch_floating(x.dtype(), "layer_norm_backward", [&](auto tag) {
    using T = decltype(tag);
    const T *xs = x.data<T>(), *gs = dy.data<T>(), *ms = mean.data<T>(), *rs = rstd.data<T>();
    // No weight reads as a weight of ones (dy·1 is dy to the bit), so the row loops have no branch.
    std::vector<T> ones(w.defined() ? 0 : r.width, T(1));
    const T* ws = w.defined() ? w.data<T>() : ones.data();
    T* dxs = need_dx ? g.dx.data<T>() : nullptr;
    parallel_for(blocks, 1, [&](int64_t block_begin, int64_t block_end) {
      for (int64_t blk = block_begin; blk < block_end; ++blk) {
        double* dw = need_dweight ? dw_parts.data() + blk * r.width : nullptr;
        double* db = need_dbias ? db_parts.data() + blk * r.width : nullptr;
        for (int64_t i = blk * kBlock; i < std::min(r.count, (blk + 1) * kBlock); ++i)
          layer_norm_backward_row_any(xs + i * r.width, gs + i * r.width, ws, ms[i], rs[i], r.width,
                                      dxs ? dxs + i * r.width : nullptr, dw, db);
      }
    });
    if (!need_partials) return;
    for (int64_t j = 0; j < r.width; ++j) {
      double dw_total = 0, db_total = 0;
      for (int64_t blk = 0; blk < blocks; ++blk) {
        if (need_dweight) dw_total += dw_parts[blk * r.width + j];
        if (need_dbias) db_total += db_parts[blk * r.width + j];
      }
      if (need_dweight) g.dweight.data<T>()[j] = static_cast<T>(dw_total);
      if (need_dbias) g.dbias.data<T>()[j] = static_cast<T>(db_total);
    }
  });
  return g;
}

}  // namespace bertology::kernels

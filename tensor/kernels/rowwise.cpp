// Fused kernels over the last dim, one row per step, rows in parallel: softmax, log_softmax and
// layer_norm, each with its backward.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>
#include <bertology/tensor/parallel.h>

#include "softmax_row.h"

#include <cmath>
#include <limits>
#include <algorithm>
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

}  // namespace

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
        T dot = 0;
        for (int64_t j = 0; j < r.width; ++j) dot += yr[j] * gr[j];
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
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < r.width; ++j) mx = std::max(mx, xr[j]);
        double total = 0;
        for (int64_t j = 0; j < r.width; ++j) total += std::exp(static_cast<double>(xr[j] - mx));
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
        T total = 0;
        for (int64_t j = 0; j < r.width; ++j) total += gr[j];
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
      for (int64_t i = begin; i < end; ++i) {
        const T* xr = xs + i * r.width;
        T* yr = ys + i * r.width;
        double mean = 0, var = 0;
        for (int64_t j = 0; j < r.width; ++j) mean += xr[j];
        mean /= static_cast<double>(r.width);
        for (int64_t j = 0; j < r.width; ++j) var += (xr[j] - mean) * (xr[j] - mean);
        var /= static_cast<double>(r.width);
        double rstd = 1.0 / std::sqrt(var + eps);
        means[i] = static_cast<T>(mean);
        rstds[i] = static_cast<T>(rstd);
        for (int64_t j = 0; j < r.width; ++j) {
          T v = static_cast<T>((xr[j] - mean) * rstd);
          if (ws) v *= ws[j];
          if (bs) v += bs[j];
          yr[j] = v;
        }
      }
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
    const T* ws = w.defined() ? w.data<T>() : nullptr;
    T* dxs = need_dx ? g.dx.data<T>() : nullptr;
    parallel_for(blocks, 1, [&](int64_t block_begin, int64_t block_end) {
      for (int64_t blk = block_begin; blk < block_end; ++blk) {
        double* dw = need_dweight ? dw_parts.data() + blk * r.width : nullptr;
        double* db = need_dbias ? db_parts.data() + blk * r.width : nullptr;
        for (int64_t i = blk * kBlock; i < std::min(r.count, (blk + 1) * kBlock); ++i) {
          const T *xr = xs + i * r.width, *gr = gs + i * r.width;
          const double m = ms[i], rstd = rs[i];
          double sum_g = 0, sum_gx = 0;  // Σ dxhat and Σ dxhat·xhat
          for (int64_t j = 0; j < r.width; ++j) {
            double xhat = (xr[j] - m) * rstd;
            double gj = ws ? gr[j] * ws[j] : gr[j];
            sum_g += gj;
            sum_gx += gj * xhat;
            if (dw) dw[j] += gr[j] * xhat;
            if (db) db[j] += gr[j];
          }
          if (dxs) {
            const double inv_n = 1.0 / static_cast<double>(r.width);
            T* o = dxs + i * r.width;
            for (int64_t j = 0; j < r.width; ++j) {
              double xhat = (xr[j] - m) * rstd;
              double gj = ws ? gr[j] * ws[j] : gr[j];
              o[j] = static_cast<T>(rstd * (gj - sum_g * inv_n - xhat * sum_gx * inv_n));
            }
          }
        }
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

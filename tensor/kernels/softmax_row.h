// One softmax row, the arithmetic shared by kernels::softmax and the fused attention kernel (so
// the two agree to the bit): subtract the row's max, exponentiate, divide by the sum.
// Float rows use fast::exp_f, which vectorises, and give exactly 0 where the exponent is below
// -87.3 (where exp_f would clamp): a masked key (score -1e4 or finfo.min) gets no probability.
// Double rows use std::exp. The max and the sum are lane reductions (lane_sum.h). Callers compile with -fno-trapping-math so the loop becomes SIMD code.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "fast_math.h"
#include "lane_sum.h"

namespace bertology::kernels {

inline float softmax_exp(float x) { return x < -87.3f ? 0.0f : fast::exp_f(x); }
inline double softmax_exp(double x) { return std::exp(x); }

// y = softmax(x) over n entries; y may be x. A row with every entry -inf becomes all 0.
template <class T>
[[gnu::always_inline]] inline void softmax_row_generic(const T* x, T* y, int64_t n) {
  const T mx = lane_max(x, n);
  if (mx == -std::numeric_limits<T>::infinity()) {  // every entry masked: no mass anywhere
    for (int64_t j = 0; j < n; ++j) y[j] = 0;
    return;
  }
  for (int64_t j = 0; j < n; ++j) y[j] = softmax_exp(x[j] - mx);
  const T total = lane_sum<T>(n, [&](int64_t j) { return y[j]; });
  const T inv = T(1) / total;
  for (int64_t j = 0; j < n; ++j) y[j] *= inv;
}

// The float row, compiled for AVX-512, AVX2 and the baseline (rowwise.cpp), the same bits on
// each: attention runs it on every row of every head's scores.
void softmax_row_f32(const float* x, float* y, int64_t n);

template <class T>
void softmax_row(const T* x, T* y, int64_t n) {
  if constexpr (std::is_same_v<T, float>)
    softmax_row_f32(x, y, n);
  else
    softmax_row_generic(x, y, n);
}

}  // namespace bertology::kernels

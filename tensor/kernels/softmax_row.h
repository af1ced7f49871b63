// One softmax row, the arithmetic shared by kernels::softmax and the fused attention kernel (so
// the two agree to the bit): subtract the row's max, exponentiate, divide by the sum.
// Float rows use fast::exp_f, which vectorises, and give exactly 0 where the exponent is below
// -87.3 (where exp_f would clamp): a masked key (score -1e4 or finfo.min) gets no probability.
// Double rows use std::exp. Callers compile with -fno-trapping-math so the loop becomes SIMD code.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "fast_math.h"

namespace bertology::kernels {

inline float softmax_exp(float x) { return x < -87.3f ? 0.0f : fast::exp_f(x); }
inline double softmax_exp(double x) { return std::exp(x); }

// y = softmax(x) over n entries; y may be x. A row with every entry -inf becomes all 0.
template <class T>
void softmax_row(const T* x, T* y, int64_t n) {
  T mx = -std::numeric_limits<T>::infinity();
  for (int64_t j = 0; j < n; ++j) mx = std::max(mx, x[j]);
  if (mx == -std::numeric_limits<T>::infinity()) {  // every entry masked: no mass anywhere
    for (int64_t j = 0; j < n; ++j) y[j] = 0;
    return;
  }
  for (int64_t j = 0; j < n; ++j) y[j] = softmax_exp(x[j] - mx);
  T total = 0;
  for (int64_t j = 0; j < n; ++j) total += y[j];
  const T inv = T(1) / total;
  for (int64_t j = 0; j < n; ++j) y[j] *= inv;
}

}  // namespace bertology::kernels

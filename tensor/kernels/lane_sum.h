// Reductions over a row in a fixed order that the CPU can still run in parallel.
//
// `for (j) s += x[j]` is one chain of dependent additions: each waits for the one before (about
// four cycles), and the compiler may not reorder floating-point additions to break the chain. A
// 768-wide layer_norm row spent most of its time waiting on two such chains. Here lane l takes the
// terms j ≡ l (mod 8): eight independent chains that the compiler keeps in SIMD registers. The
// lanes are then combined pairwise in one fixed order, so a row gives the same bits on every run,
// at any thread count, whatever the SIMD width the code was compiled for.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>

namespace bertology::kernels {

inline constexpr int64_t kSumLanes = 8;

// Σ term(j) for j in [0, n), accumulated in Acc.
template <class Acc, class Term>
[[gnu::always_inline]] inline Acc lane_sum(int64_t n, Term term) {
  Acc lanes[kSumLanes] = {};
  int64_t j = 0;
  for (; j + kSumLanes <= n; j += kSumLanes)
    for (int64_t l = 0; l < kSumLanes; ++l) lanes[l] += term(j + l);
  for (int64_t l = 0; j < n; ++j, ++l) lanes[l] += term(j);
  return ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
}

// max over x[0, n), the value `m = -inf; for (j) m = std::max(m, x[j])` gives: NaN entries are
// skipped, and an empty or all-NaN row gives -inf. Only where the maximum is a zero may its sign
// differ (+0 and -0 compare equal, and which one is kept depends on the order).
template <class T>
[[gnu::always_inline]] inline T lane_max(const T* x, int64_t n) {
  T lanes[kSumLanes];
  for (int64_t l = 0; l < kSumLanes; ++l) lanes[l] = -std::numeric_limits<T>::infinity();
  int64_t j = 0;
  for (; j + kSumLanes <= n; j += kSumLanes)
    for (int64_t l = 0; l < kSumLanes; ++l) lanes[l] = std::max(lanes[l], x[j + l]);
  for (int64_t l = 0; j < n; ++j, ++l) lanes[l] = std::max(lanes[l], x[j]);
  T m = lanes[0];
  for (int64_t l = 1; l < kSumLanes; ++l) m = std::max(m, lanes[l]);
  return m;
}

}  // namespace bertology::kernels

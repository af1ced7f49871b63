// The one loop every element-wise kernel runs on: walks a shape in row-major order, giving the
// body runs along the last dim with each operand's starting offset and stride (stride 0 where
// an operand is broadcast). Dims that are contiguous for every operand are merged first, so a
// contiguous tensor is one long run, split across threads.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include <bertology/tensor/parallel.h>
#include <bertology/tensor/tensor.h>

namespace bertology::kernels {

// Strides of t as seen from a broadcast shape `out` (0 on broadcast or new leading dims).
inline Shape broadcast_strides(const Tensor& t, const Shape& out) {
  Shape s(out.size(), 0);
  size_t lead = out.size() - t.sizes().size();
  for (size_t i = 0; i < t.sizes().size(); ++i)
    s[lead + i] = t.sizes()[i] == 1 ? 0 : t.strides()[i];
  return s;
}

template <size_t N>
struct StridedLoop {
  Shape shape;                   // after merging
  std::array<Shape, N> strides;  // per operand, after merging
  std::array<int64_t, N> base;   // per operand starting offset (elements)

  StridedLoop(const Shape& full_shape, const std::array<Shape, N>& full_strides,
              const std::array<int64_t, N>& offsets)
      : base(offsets) {
    // Drop size-1 dims, then merge neighbours that are contiguous for every operand.
    for (size_t d = 0; d < full_shape.size(); ++d) {
      if (full_shape[d] == 1) continue;
      bool merge = !shape.empty();
      for (size_t k = 0; k < N && merge; ++k)
        merge = strides[k].back() == full_strides[k][d] * full_shape[d];
      if (merge) {
        shape.back() *= full_shape[d];
        for (size_t k = 0; k < N; ++k) strides[k].back() = full_strides[k][d];
      } else {
        shape.push_back(full_shape[d]);
        for (size_t k = 0; k < N; ++k) strides[k].push_back(full_strides[k][d]);
      }
    }
    if (shape.empty()) {
      shape.push_back(1);
      for (size_t k = 0; k < N; ++k) strides[k].push_back(0);
    }
  }

  // body(std::array<int64_t,N> offsets, std::array<int64_t,N> steps, int64_t count)
  template <class Body>
  void run(const Body& body) const {
    const int64_t ndim = static_cast<int64_t>(shape.size());
    const int64_t inner = shape.back();
    int64_t rows = 1;
    for (int64_t d = 0; d + 1 < ndim; ++d) rows *= shape[d];
    if (rows * inner == 0) return;
    std::array<int64_t, N> steps;
    for (size_t k = 0; k < N; ++k) steps[k] = strides[k].back();
    constexpr int64_t kGrain = 1 << 15;  // elements per task
    if (rows == 1) {
      parallel_for(inner, kGrain, [&](int64_t begin, int64_t end) {
        std::array<int64_t, N> off;
        for (size_t k = 0; k < N; ++k) off[k] = base[k] + begin * steps[k];
        body(off, steps, end - begin);
      });
      return;
    }
    parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r) {
        std::array<int64_t, N> off = base;
        int64_t rem = r;
        for (int64_t d = ndim - 2; d >= 0; --d) {
          int64_t i = rem % shape[d];
          rem /= shape[d];
          for (size_t k = 0; k < N; ++k) off[k] += i * strides[k][d];
        }
        body(off, steps, inner);
      }
    });
  }
};

}  // namespace bertology::kernels

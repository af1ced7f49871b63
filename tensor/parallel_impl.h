// Template part of parallel.h: a thin wrapper over tbb::parallel_for.
#pragma once
#include <algorithm>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

namespace bertology {

void ensure_thread_limit();  // applies num_threads() to TBB (and 1 to OpenBLAS) once; cheap after that

template <class Body>
void parallel_for(int64_t n, int64_t grain, const Body& body) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  if (n <= grain || num_threads() == 1) {
    body(int64_t{0}, n);
    return;
  }
  ensure_thread_limit();
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { body(r.begin(), r.end()); });
}

}  // namespace bertology

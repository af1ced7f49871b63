// The thread count for TBB loops and matrix products. The count comes from set_num_threads() or
// else BERTOLOGY_NUM_THREADS or else the core count. OpenBLAS itself is set to one thread: large
// products are cut into blocks over TBB's threads (kernels/blas.cpp), so the two pools never
// compete for the cores. When the count is first applied, OpenBLAS is prepared (openblas_setup.h).
#pragma once
#include <cstdint>

namespace bertology {

void set_num_threads(int n);  // n >= 1
int num_threads();

// Runs body(begin, end) over [0, n) in parallel chunks of at least grain items, with
// TBB limited to num_threads(). Small ranges run inline.
template <class Body>
void parallel_for(int64_t n, int64_t grain, const Body& body);

}  // namespace bertology

#include <bertology/tensor/parallel_impl.h>

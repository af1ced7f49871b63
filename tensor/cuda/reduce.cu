// CUDA reductions (the counterparts of tensor/kernels/reduce.cpp): sum and max over any dims,
// argmax over one dim, and the index of the first non-finite element. Deterministic: every
// output is combined in an order fixed by the shape alone, with no floating-point atomics.
#include <bertology/tensor/cuda/cuda_check.h>
#include <bertology/tensor/cuda/cuda_kernels.h>
#include <bertology/tensor/cuda/element_math.h>
#include <bertology/tensor/cuda/strided_index.h>
#include <bertology/tensor/kernels/dispatch.h>
#include <bertology/tensor/kernels/kernels.h>

#include <algorithm>
#include <cmath>

namespace bertology::cuda {
namespace {

constexpr int kThreads = 256;             // per block, every kernel here
constexpr int64_t kMaxBlocks = 65536;     // grid-stride loops cover the rest
constexpr int64_t kTargetBlocks = 1024;   // below this, split each reduction into chunks
constexpr int64_t kMinPerThread = 16;     // elements per thread a chunk should give at least
constexpr int64_t kMaxSplits = 1024;

// Storage offset of element `linear`; one-dim layouts (the usual case after merging) skip the
// divisions.
__device__ inline int64_t at(const StridedIndex& ix, int64_t linear) {
  return ix.ndim == 1 ? ix.offset + linear * ix.strides[0] : ix(linear);
}

using kernels::storage_ptr;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Smallest power of two >= n, at most `cap` (a power of two); 1 for n <= 1.
int pow2_at_least(int64_t n, int cap) {
  int p = 1;
  while (p < cap && p < n) p *= 2;
  return p;
}

// ---- how the input splits into kept (output) and reduced dims ----------------------------------------

// A walk over (sizes, strides) from offset, row-major, with size-1 dims dropped and contiguous
// neighbours merged (the order of the walk does not change).
StridedIndex merged_index(const Shape& sizes, const Shape& strides, int64_t offset) {
  StridedIndex s;
  s.offset = offset;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] == 1) continue;
    if (s.ndim > 0 && s.strides[s.ndim - 1] == strides[d] * sizes[d]) {
      s.sizes[s.ndim - 1] *= sizes[d];
      s.strides[s.ndim - 1] = strides[d];
      continue;
    }
    if (s.ndim == kMaxDims)
      throw Error(concat("CUDA kernels take at most ", kMaxDims, " dims, got shape ", shape_str(sizes)));
    s.sizes[s.ndim] = sizes[d];
    s.strides[s.ndim] = strides[d];
    ++s.ndim;
  }
  return s;
}

struct Split {
  StridedIndex kept;     // output element (row-major over the kept dims) -> its first input element
  StridedIndex reduced;  // k-th reduced element (row-major) -> offset from that first element
  Shape out_shape;
  int64_t outputs = 0, reduced_count = 0;
  bool innermost_kept = false;  // x's last dim of size > 1 is kept: neighbouring outputs are neighbours
};

// As the CPU's split_dims: `dims` normalised and sorted.
Split split_dims(const Tensor& x, const std::vector<int64_t>& dims, bool keepdim) {
  Shape kept_sizes, kept_strides, reduced_sizes, reduced_strides;
  Split s;
  for (int64_t d = 0; d < x.dim(); ++d) {
    const bool reduced = std::find(dims.begin(), dims.end(), d) != dims.end();
    if (x.size(d) != 1) s.innermost_kept = !reduced;
    if (reduced) {
      reduced_sizes.push_back(x.size(d));
      reduced_strides.push_back(x.stride(d));
      if (keepdim) s.out_shape.push_back(1);
    } else {
      kept_sizes.push_back(x.size(d));
      kept_strides.push_back(x.stride(d));
      s.out_shape.push_back(x.size(d));
    }
  }
  s.kept = merged_index(kept_sizes, kept_strides, x.offset());
  s.reduced = merged_index(reduced_sizes, reduced_strides, 0);
  s.outputs = shape_numel(kept_sizes);
  s.reduced_count = shape_numel(reduced_sizes);
  return s;
}

// ---- what is reduced: identity, take one element, combine two partial results, finish -------------

// Sum in double whatever T is, as the CPU does: a float sum then rounds once, at the end.
template <class T>
struct SumOp {
  using Acc = double;
  using Out = T;
  __device__ static Acc identity() { return 0.0; }
  __device__ static Acc take(Acc a, T v, int64_t) { return a + static_cast<double>(v); }
  __device__ static Acc combine(Acc a, Acc b) { return a + b; }
  __device__ static Out finish(Acc a) { return static_cast<T>(a); }
};

// Max from -inf; NaN wins (the CPU's `v > best || v != v`).
template <class T>
struct MaxOp {
  using Acc = T;
  using Out = T;
  __device__ static Acc identity() { return -static_cast<T>(INFINITY); }
  __device__ static Acc take(Acc a, T v, int64_t) { return combine(a, v); }
  __device__ static Acc combine(Acc a, Acc b) { return b > a || b != b ? b : a; }
  __device__ static Out finish(Acc a) { return a; }
};

// Argmax as the CPU's scan `if (x[k] > x[best]) best = k` from best = 0: the first index of the
// largest value, NaNs never win, except that a NaN at index 0 is never beaten. As a combinable
// result: (value, index) with the lower index winning ties; index -1 is "nothing yet"; `pinned`
// marks the NaN at index 0.
template <class T>
struct ArgmaxAcc {
  T value;
  int64_t index;
  bool pinned;
};

template <class T>
struct ArgmaxOp {
  using Acc = ArgmaxAcc<T>;
  using Out = int64_t;
  __device__ static Acc identity() { return Acc{T(), -1, false}; }
  __device__ static Acc take(Acc a, T v, int64_t k) {
    if (v != v) return k == 0 ? Acc{v, 0, true} : a;  // int64 and bool are never NaN
    return combine(a, Acc{v, k, false});
  }
  __device__ static Acc combine(Acc a, Acc b) {
    if (a.pinned || b.index < 0) return a;
    if (b.pinned || a.index < 0) return b;
    return b.value > a.value || (b.value == a.value && b.index < a.index) ? b : a;
  }
  __device__ static Out finish(Acc a) { return a.index < 0 ? 0 : a.index; }
};

// ---- the kernels --------------------------------------------------------------------------------------

// A block of outputs_per_block × reducers threads handles outputs_per_block neighbouring outputs,
// and of each the reduced elements [begin, end) of chunk blockIdx.y (gridDim.y chunks of `chunk`).
// Reducer r takes elements begin + r, begin + r + reducers, ... in order; the reducers' results
// are then combined by a tree in shared memory (r with r + s for s = reducers/2, ..., 1). With one
// chunk the block writes the output; else its partial result, for finish_kernel. Which thread
// does what depends only on the shape, never on timing, so results are reproducible.
// reducer_fast: neighbouring threads are reducers of one output (reduced dims innermost in
// memory); else they are neighbouring outputs (kept dims innermost). Both coalesce the loads.
template <class Op, class T>
__global__ void reduce_kernel(const T* x, typename Op::Out* out, typename Op::Acc* partial, StridedIndex kept,
                              StridedIndex reduced, int64_t outputs, int64_t reduced_count, int64_t chunk,
                              int outputs_per_block, int reducers, bool reducer_fast) {
  using Acc = typename Op::Acc;
  __shared__ Acc buf[kThreads];  // buf[r * outputs_per_block + j]
  const int t = static_cast<int>(threadIdx.x);
  const int r = reducer_fast ? t % reducers : t / outputs_per_block;
  const int j = reducer_fast ? t / reducers : t % outputs_per_block;
  const int slot = r * outputs_per_block + j;
  const int64_t begin = static_cast<int64_t>(blockIdx.y) * chunk;
  const int64_t end = begin + chunk < reduced_count ? begin + chunk : reduced_count;
  for (int64_t group = blockIdx.x; group * outputs_per_block < outputs; group += gridDim.x) {
    const int64_t o = group * outputs_per_block + j;
    Acc acc = Op::identity();
    if (o < outputs) {
      const int64_t base = at(kept, o);
      for (int64_t k = begin + r; k < end; k += reducers) acc = Op::take(acc, x[base + at(reduced, k)], k);
    }
    buf[slot] = acc;
    __syncthreads();
    for (int s = reducers / 2; s > 0; s /= 2) {
      if (r < s) buf[slot] = Op::combine(buf[slot], buf[slot + s * outputs_per_block]);
      __syncthreads();
    }
    if (r == 0 && o < outputs) {
      if (gridDim.y == 1)
        out[o] = Op::finish(buf[slot]);
      else
        partial[o * gridDim.y + blockIdx.y] = buf[slot];
    }
    __syncthreads();  // buf is rewritten by the next group
  }
}

// out[o] = the chunks' partial results of output o, combined in chunk order.
template <class Op>
__global__ void finish_kernel(const typename Op::Acc* partial, typename Op::Out* out, int64_t outputs, int splits) {
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; o < outputs; o += step) {
    typename Op::Acc acc = partial[o * splits];
    for (int c = 1; c < splits; ++c) acc = Op::combine(acc, partial[o * splits + c]);
    out[o] = Op::finish(acc);
  }
}

// The launch shape for a split; a function of the shape alone (not of the GPU), so a given shape
// always combines its elements in the same order.
struct Launch {
  int outputs_per_block = 1, reducers = 1;
  bool reducer_fast = true;
  int64_t groups = 1, chunk = 0, splits = 1;
};

Launch plan_launch(const Split& s) {
  Launch l;
  if (s.innermost_kept) {  // up to 32 neighbouring outputs side by side: a warp's loads coalesce
    l.reducer_fast = false;
    l.outputs_per_block = pow2_at_least(s.outputs, 32);
    l.reducers = std::min(kThreads / l.outputs_per_block, pow2_at_least(s.reduced_count, kThreads));
  } else {  // up to 256 reducers per output, side by side along the reduced elements
    l.reducer_fast = true;
    l.reducers = pow2_at_least(s.reduced_count, kThreads);
    l.outputs_per_block = std::min(kThreads / l.reducers, pow2_at_least(s.outputs, kThreads));
  }
  l.groups = ceil_div(s.outputs, l.outputs_per_block);
  // Few outputs, many elements each: chunks in parallel, then finish_kernel combines them.
  if (l.groups < kTargetBlocks && s.reduced_count > 0) {
    const int64_t wanted = std::min(ceil_div(kTargetBlocks, l.groups), ceil_div(s.reduced_count, l.reducers * kMinPerThread));
    l.splits = std::clamp<int64_t>(wanted, 1, kMaxSplits);
  }
  l.chunk = std::max<int64_t>(1, ceil_div(s.reduced_count, l.splits));
  l.splits = std::max<int64_t>(1, ceil_div(s.reduced_count, l.chunk));
  return l;
}

// Runs Op over x's split into out (contiguous, s.outputs elements).
template <class Op, class T>
void run_reduction(const Tensor& x, const Split& s, Tensor& out) {
  using Acc = typename Op::Acc;
  using Out = typename Op::Out;
  if (s.outputs == 0) return;
  const Launch l = plan_launch(s);
  Tensor scratch;  // partial results, outputs × splits of Acc, when the reduction is chunked
  Acc* partial = nullptr;
  if (l.splits > 1) {
    const int64_t bytes = s.outputs * l.splits * static_cast<int64_t>(sizeof(Acc));
    scratch = Tensor::empty({ceil_div(bytes, 8)}, DType::Int64, x.device());  // 8-byte aligned raw memory
    partial = reinterpret_cast<Acc*>(storage_ptr<int64_t>(scratch));
  }
  const dim3 grid(static_cast<unsigned>(std::min(l.groups, kMaxBlocks)), static_cast<unsigned>(l.splits));
  reduce_kernel<Op, T><<<grid, l.outputs_per_block * l.reducers>>>(
      storage_ptr<T>(x), storage_ptr<Out>(out), partial, s.kept, s.reduced, s.outputs, s.reduced_count, l.chunk,
      l.outputs_per_block, l.reducers, l.reducer_fast);
  BERTOLOGY_CUDA_CHECK_LAUNCH();
  if (l.splits > 1) {
    const int64_t blocks = std::min(ceil_div(s.outputs, kThreads), kMaxBlocks);
    finish_kernel<Op><<<static_cast<unsigned>(blocks), kThreads>>>(partial, storage_ptr<Out>(out), s.outputs,
                                                                     static_cast<int>(l.splits));
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  }
  // scratch goes back to the allocator here; later work on this stream runs after these kernels.
}

// The lowest row-major index i with x[i] NaN or ±Inf, min-combined into *found (initially
// all ones: "none"). Each thread scans its grid-stride sequence and stops at its first hit; the
// block keeps its minimum and one integer atomicMin per block merges them (integer min gives the
// same result in any order).
template <class T>
__global__ void first_non_finite_kernel(const T* x, StridedIndex xi, int64_t n, unsigned long long* found) {
  __shared__ unsigned long long best[kThreads];
  const int t = static_cast<int>(threadIdx.x);
  unsigned long long mine = ~0ull;
  const int64_t step = static_cast<int64_t>(blockDim.x) * gridDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + t; i < n; i += step) {
    if (!is_finite(x[at(xi, i)])) {
      mine = static_cast<unsigned long long>(i);
      break;
    }
  }
  best[t] = mine;
  __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s /= 2) {
    if (t < s && best[t + s] < best[t]) best[t] = best[t + s];
    __syncthreads();
  }
  if (t == 0 && best[0] != ~0ull) atomicMin(found, best[0]);
}

}  // namespace

// x (float) -> sum or max over dims (all when empty); dims dropped, or kept as 1 with keepdim.
Tensor reduce(kernels::Reduce op, const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  const char* name = op == kernels::Reduce::Sum ? "sum" : "max";
  const std::vector<int64_t> dims = kernels::reduction_dims(x, dims_in, name);
  const Split s = split_dims(x, dims, keepdim);
  if (op == kernels::Reduce::Max && s.reduced_count == 0)
    throw Error(concat("max: cannot reduce an empty dimension of shape ", x.shape_str()));
  Tensor out = Tensor::empty(s.out_shape, x.dtype(), x.device());
  kernels::dispatch_floating(x.dtype(), name, [&](auto tag) {
    using T = decltype(tag);
    if (op == kernels::Reduce::Sum)
      run_reduction<SumOp<T>, T>(x, s, out);
    else
      run_reduction<MaxOp<T>, T>(x, s, out);
  });
  return out;
}

// x (any dtype) -> Int64 index of the largest element along dim (first one on ties).
Tensor argmax(const Tensor& x, int64_t dim_in, bool keepdim) {
  const int64_t dim = normalize_dim(dim_in, x.dim(), "argmax");
  if (x.dim() > 0 && x.size(dim) == 0) throw Error(concat("argmax: empty dim ", dim, " in shape ", x.shape_str()));
  const Split s = split_dims(x, x.dim() == 0 ? std::vector<int64_t>{} : std::vector<int64_t>{dim}, keepdim);
  Tensor out = Tensor::empty(s.out_shape, DType::Int64, x.device());
  kernels::dispatch_all(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    run_reduction<ArgmaxOp<T>, T>(x, s, out);
  });
  return out;
}

// Row-major index of the first NaN or ±Inf, or -1 (also for int64 and bool tensors). Waits for
// the GPU: the answer comes back to the host.
int64_t first_non_finite(const Tensor& x) {
  if (!is_floating(x.dtype()) || x.numel() == 0) return -1;
  Tensor found = Tensor::empty({}, DType::Int64, x.device());
  unsigned long long* found_ptr = reinterpret_cast<unsigned long long*>(found.raw_data());
  BERTOLOGY_CUDA_CHECK(cudaMemsetAsync(found_ptr, 0xff, sizeof(unsigned long long)));  // ~0: none yet
  const StridedIndex xi = merged_index(x.sizes(), x.strides(), x.offset());
  const int64_t n = x.numel();
  const int64_t blocks = std::min(ceil_div(n, kThreads), kMaxBlocks);
  kernels::dispatch_floating(x.dtype(), "first_non_finite", [&](auto tag) {
    using T = decltype(tag);
    first_non_finite_kernel<T><<<static_cast<unsigned>(blocks), kThreads>>>(storage_ptr<T>(x), xi, n, found_ptr);
    BERTOLOGY_CUDA_CHECK_LAUNCH();
  });
  int64_t result = -1;  // ~0 reads back as -1
  BERTOLOGY_CUDA_CHECK(cudaMemcpy(&result, found_ptr, sizeof result, cudaMemcpyDeviceToHost));
  return result;
}

}  // namespace bertology::cuda

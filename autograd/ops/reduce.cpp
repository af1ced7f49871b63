// Differentiable reductions: sum, mean, max (gradient shared among ties), and argmax.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {
namespace {

// Broadcasts a reduced gradient back over the input shape (re-inserting dropped dims).
Tensor expand_back(const Tensor& dy, const Shape& input_shape, const std::vector<int64_t>& dims, bool keepdim) {
  Shape kept = input_shape;
  for (int64_t d : dims) kept[d] = 1;
  Tensor g = keepdim ? dy : kernels::as_strided(kernels::contiguous(dy), kept, contiguous_strides(kept),
                                                kernels::contiguous(dy).offset());
  Tensor out = Tensor::empty(input_shape, dy.dtype(), dy.device());
  kernels::copy_into(out, g);
  return out;
}

}  // namespace

Tensor sum(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  std::vector<int64_t> dims = kernels::reduction_dims(x, dims_in, "sum");
  Tensor y = kernels::reduce(kernels::Reduce::Sum, x, dims, keepdim);
  if (grad_needed({x}))
    record_node(y, "sum", {x}, [shape = x.sizes(), dims, keepdim](const Tensor& dy, const std::vector<bool>&) {
      return Grads{expand_back(dy, shape, dims, keepdim)};
    });
  return y;
}

Tensor mean(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  std::vector<int64_t> dims = kernels::reduction_dims(x, dims_in, "mean");
  int64_t count = 1;
  for (int64_t d : dims) count *= x.size(d);
  return sum(x, dims, keepdim) / static_cast<double>(count);
}

Tensor max(const Tensor& x, const std::vector<int64_t>& dims_in, bool keepdim) {
  std::vector<int64_t> dims = kernels::reduction_dims(x, dims_in, "max");
  Tensor y = kernels::reduce(kernels::Reduce::Max, x, dims, keepdim);
  if (grad_needed({x}))
    record_node(y, "max", {x}, [sx = SavedTensor(x), sy = SavedTensor(y), dims, keepdim](
                                   const Tensor& dy, const std::vector<bool>&) {
      const Tensor& x = sx.unpack("max");
      Tensor y_full = expand_back(sy.unpack("max"), x.sizes(), dims, keepdim);
      Tensor is_max = kernels::convert(kernels::binary(kernels::Binary::Eq, x, y_full), x.dtype());
      Tensor ties = kernels::reduce(kernels::Reduce::Sum, is_max, dims, true);
      return Grads{is_max * expand_back(dy, x.sizes(), dims, keepdim) / ties};
    });
  return y;
}

Tensor argmax(const Tensor& x, int64_t dim, bool keepdim) { return kernels::argmax(x, dim, keepdim); }

}  // namespace bertology

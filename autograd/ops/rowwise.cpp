// Differentiable fused row-wise functions over the last dim: softmax, log_softmax, layer_norm.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {

Tensor softmax(const Tensor& x) {
  Tensor y = kernels::softmax(x);
  if (grad_needed({x}))
    record_node(y, "softmax", {x}, [sy = SavedTensor(y)](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::softmax_backward(sy.unpack("softmax"), dy)};  // saves y only, not x
    });
  return y;
}

Tensor log_softmax(const Tensor& x) {
  Tensor y = kernels::log_softmax(x);
  if (grad_needed({x}))
    record_node(y, "log_softmax", {x}, [sy = SavedTensor(y)](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::log_softmax_backward(sy.unpack("log_softmax"), dy)};
    });
  return y;
}

Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, double eps) {
  kernels::LayerNormResult r = kernels::layer_norm(x, weight, bias, eps);
  if (grad_needed({x, weight, bias}))
    record_node(r.y, "layer_norm", {x, weight, bias},
                [sx = SavedTensor(x), sw = SavedTensor(weight), mean = r.mean, rstd = r.rstd](
                    const Tensor& dy, const std::vector<bool>& need) {
                  kernels::LayerNormGrads g = kernels::layer_norm_backward(
                      dy, sx.unpack("layer_norm"), mean, rstd, sw.unpack("layer_norm"), need[0], need[1], need[2]);
                  return Grads{g.dx, g.dweight, g.dbias};
                });
  return r.y;
}

}  // namespace bertology

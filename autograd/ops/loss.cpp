// Training functions: dropout, cross_entropy (fused with log_softmax, ignore_index) and mse_loss.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {

Tensor dropout(const Tensor& x, double p, bool training, Generator& gen) {
  if (p < 0 || p >= 1) throw Error(concat("dropout: probability must be in [0, 1), got ", p));
  if (!training || p == 0) return x;
  // The mask is drawn on the CPU from gen (so a seed gives the same mask on every device).
  Tensor mask = kernels::dropout_mask(x.sizes(), p, gen, x.dtype()).to(x.device());
  return x * mask;
}

Tensor cross_entropy(const Tensor& logits, const Tensor& target, int64_t ignore_index, Reduction reduction) {
  if (logits.dim() < 1 || target.dim() != logits.dim() - 1 ||
      !std::equal(target.sizes().begin(), target.sizes().end(), logits.sizes().begin()))
    throw Error(concat("cross_entropy: logits ", logits.shape_str(), " need target of shape (...) = logits without ",
                       "its last dim, got ", target.shape_str()));
  const int64_t classes = logits.size(-1), rows = target.numel();
  Tensor flat_logits = logits.reshape({rows, classes});
  Tensor flat_target = kernels::contiguous(target);
  flat_target = kernels::as_strided(flat_target, {rows}, {1}, flat_target.offset());
  kernels::CrossEntropyResult r = kernels::cross_entropy(flat_logits, flat_target, ignore_index);

  // Per-row losses, recorded as one node; the reduction is ordinary differentiable math.
  Tensor losses = r.losses;
  if (grad_needed({flat_logits}))
    record_node(losses, "cross_entropy", {flat_logits},
                [lp = r.log_probs, st = SavedTensor(flat_target), ignore_index](const Tensor& dloss,
                                                                                const std::vector<bool>&) {
                  return Grads{kernels::cross_entropy_backward(lp, st.unpack("cross_entropy"), dloss, ignore_index)};
                });
  switch (reduction) {
    case Reduction::None: return losses.reshape(target.sizes());
    case Reduction::Sum: return sum(losses);
    case Reduction::Mean: {
      int64_t counted = 0;
      const Tensor host_target = flat_target.to(Device::cpu());
      const int64_t* t = host_target.data<int64_t>();
      for (int64_t i = 0; i < rows; ++i) counted += t[i] != ignore_index;
      // Like PyTorch: with every target ignored the mean is 0/0 = NaN.
      return sum(losses) / static_cast<double>(counted);
    }
  }
  throw Error("cross_entropy: unknown reduction");
}

Tensor mse_loss(const Tensor& input, const Tensor& target, Reduction reduction) {
  if (input.sizes() != target.sizes())
    throw Error(concat("mse_loss: input ", input.shape_str(), " and target ", target.shape_str(), " differ in shape"));
  Tensor squared = pow(input - target, 2.0);
  switch (reduction) {
    case Reduction::None: return squared;
    case Reduction::Sum: return sum(squared);
    case Reduction::Mean: return mean(squared);
  }
  throw Error("mse_loss: unknown reduction");
}

}  // namespace bertology

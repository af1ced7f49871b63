// Constructors (uninitialised parameters of the right shapes), parameter visiting and the
// activations of the shared building blocks.
#include <bertology/models/layers.h>

namespace bertology {

Linear Linear::make(int64_t in, int64_t out, bool with_bias) {
  return {Tensor::empty({out, in}), with_bias ? Tensor::empty({out}) : Tensor()};
}

void Linear::visit(const std::string& prefix, const ParameterVisitor& fn) {
  fn(prefix + ".weight", weight);
  if (bias.defined()) fn(prefix + ".bias", bias);
}

Conv1D Conv1D::make(int64_t in, int64_t out) { return {Tensor::empty({in, out}), Tensor::empty({out})}; }

void Conv1D::visit(const std::string& prefix, const ParameterVisitor& fn) {
  fn(prefix + ".weight", weight);
  fn(prefix + ".bias", bias);
}

LayerNorm LayerNorm::make(int64_t size, double eps) {
  return {Tensor::empty({size}), Tensor::empty({size}), eps};
}

void LayerNorm::visit(const std::string& prefix, const ParameterVisitor& fn) {
  fn(prefix + ".weight", weight);
  fn(prefix + ".bias", bias);
}

Tensor activation(const Tensor& x, Activation kind) {
  switch (kind) {
    case Activation::GeluErf:
      return gelu(x, GeluApproximation::Erf);
    case Activation::GeluTanh:
      return gelu(x, GeluApproximation::Tanh);
    case Activation::Relu:
      return relu(x);
    case Activation::Silu:
      return x * (0.5 * (1.0 + tanh(x * 0.5)));  // x·sigmoid(x)
  }
  throw Error("activation: unknown kind");
}

}  // namespace bertology

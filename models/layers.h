// The building blocks the three architectures share: nn.Linear, GPT's Conv1D, LayerNorm and the
// feed-forward activations, as plain structs of parameter tensors with a forward.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <bertology/autograd/functions.h>
#include <bertology/models/config.h>
#include <bertology/tensor/tensor.h>

namespace bertology {

// Called once per parameter with its HF name; the reference lets loading and pruning replace it.
using ParameterVisitor = std::function<void(const std::string& name, Tensor& parameter)>;

// nn.Linear: weight (out, in), bias (out) or undefined.
struct Linear {
  Tensor weight, bias;
  static Linear make(int64_t in, int64_t out, bool with_bias = true);
  Tensor operator()(const Tensor& x) const { return linear(x, weight, bias); }  // (..., in) -> (..., out)
  void visit(const std::string& prefix, const ParameterVisitor& fn);
};

// GPT's Conv1D: weight (in, out), bias (out); y = x·W + b. Given to linear() as the transposed
// view of W, which BLAS reads in place: no copy.
struct Conv1D {
  Tensor weight, bias;
  static Conv1D make(int64_t in, int64_t out);
  Tensor operator()(const Tensor& x) const { return linear(x, weight.transpose(0, 1), bias); }
  void visit(const std::string& prefix, const ParameterVisitor& fn);
};

// LayerNorm over the last dim: weight, bias (E).
struct LayerNorm {
  Tensor weight, bias;
  double eps = 1e-5;
  static LayerNorm make(int64_t size, double eps);
  Tensor operator()(const Tensor& x) const { return layer_norm(x, weight, bias, eps); }
  void visit(const std::string& prefix, const ParameterVisitor& fn);
};

Tensor activation(const Tensor& x, Activation kind);

}  // namespace bertology

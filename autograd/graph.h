// The autograd graph: per-tensor autograd state, graph nodes, saved tensors, and the helpers a
// differentiable function uses to record itself (grad_needed, record_node).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

struct Node;

// Autograd state of one tensor. A leaf has no grad_fn; a non-leaf points at the node that made it.
struct AutogradMeta {
  bool requires_grad = false;
  bool retains_grad = false;
  Tensor grad;
  std::shared_ptr<Node> grad_fn;
  std::map<int, std::function<Tensor(const Tensor&)>> hooks;
  int next_hook = 0;
};

// A tensor kept for backward: the data without its autograd history (so no reference cycle)
// and the storage version at save time, checked when unpacked.
class SavedTensor {
 public:
  SavedTensor() = default;
  SavedTensor(const Tensor& t);  // NOLINT: implicit on purpose, saving reads naturally
  const Tensor& unpack(const char* op) const;  // throws if modified in place since saved
  bool defined() const { return data_.defined(); }

 private:
  Tensor data_;
  uint64_t version_ = 0;
};

// Gradients of a node's inputs, one per input; an undefined tensor means "no gradient".
using Grads = std::vector<Tensor>;
// backward(dy, needs_input_grad) -> grads; it must skip inputs whose flag is false.
using BackwardFn = std::function<Grads(const Tensor& grad_output, const std::vector<bool>& needs_input_grad)>;

struct Node {
  std::string name;                                   // the op, for error messages
  std::vector<std::shared_ptr<AutogradMeta>> inputs;  // null where the input needs no grad
  std::vector<Shape> input_shapes;
  std::vector<DType> input_dtypes;
  BackwardFn backward;                                // cleared once run (frees saved tensors)
  std::weak_ptr<AutogradMeta> output;                 // for hooks and retain_grad
  bool released = false;
  const char* profile_label = nullptr;  // the profile::Scope it was recorded in, while profiling
};

// Grad mode: off inside a NoGradGuard scope (per thread).
bool grad_mode_enabled();
class NoGradGuard {
 public:
  NoGradGuard();
  ~NoGradGuard();
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

// True when grad mode is on and any input requires grad: the one place that decides whether
// a function records a node.
bool grad_needed(const std::vector<Tensor>& inputs);

// Makes `output` a non-leaf produced by op `name` from `inputs`.
void record_node(Tensor& output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward);

// Sums a broadcast gradient back to `shape` (the one place that undoes broadcasting).
Tensor sum_to(const Tensor& grad, const Shape& shape);

// Gradients of `output` with respect to `inputs`, without touching any .grad
// (like torch.autograd.grad). Only branches leading to `inputs` run.
std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs,
                         const Tensor& grad_output = Tensor(), bool retain_graph = false);

}  // namespace bertology

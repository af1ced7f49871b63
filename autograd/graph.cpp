// Recording the graph: grad mode, saved tensors with version checks, record_node, sum_to.
#include <bertology/autograd/graph.h>
#include <bertology/autograd/profile.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {
namespace {
thread_local bool t_grad_mode = true;
}

bool grad_mode_enabled() { return t_grad_mode; }
NoGradGuard::NoGradGuard() : previous_(t_grad_mode) { t_grad_mode = false; }
NoGradGuard::~NoGradGuard() { t_grad_mode = previous_; }

SavedTensor::SavedTensor(const Tensor& t) {
  if (!t.defined()) return;
  data_ = t.detach();
  version_ = t.storage()->version();
}

const Tensor& SavedTensor::unpack(const char* op) const {
  if (data_.defined() && data_.storage()->version() != version_)
    throw Error(concat(op, " backward: a tensor of shape ", data_.shape_str(),
                       " saved for backward was modified in place after it was saved (version ", version_,
                       " -> ", data_.storage()->version(), ")"));
  return data_;
}

bool grad_needed(const std::vector<Tensor>& inputs) {
  if (!t_grad_mode) return false;
  for (const Tensor& t : inputs)
    if (t.defined() && t.requires_grad()) return true;
  return false;
}

void record_node(Tensor& output, const char* name, const std::vector<Tensor>& inputs, BackwardFn backward) {
  auto node = std::make_shared<Node>();
  node->name = name;
  for (const Tensor& t : inputs) {
    bool tracked = t.defined() && t.requires_grad();
    node->inputs.push_back(tracked ? t.impl().autograd : nullptr);
    node->input_shapes.push_back(t.defined() ? t.sizes() : Shape{});
    node->input_dtypes.push_back(t.defined() ? t.dtype() : DType::Float32);
  }
  node->backward = std::move(backward);
  node->profile_label = profile::current_label();
  // The output gets a fresh autograd state: it is a new tensor, even when it shares storage.
  auto meta = std::make_shared<AutogradMeta>();
  meta->requires_grad = true;
  meta->grad_fn = node;
  node->output = meta;
  output.impl().autograd = std::move(meta);
}

Tensor sum_to(const Tensor& grad, const Shape& shape) {
  if (grad.sizes() == shape) return grad;
  const int64_t lead = grad.dim() - static_cast<int64_t>(shape.size());
  if (lead < 0) throw Error(concat("sum_to: cannot reduce ", grad.shape_str(), " to ", shape_str(shape)));
  std::vector<int64_t> dims;
  for (int64_t d = 0; d < grad.dim(); ++d)
    if (d < lead || (shape[d - lead] == 1 && grad.size(d) != 1)) dims.push_back(d);
  Tensor reduced = dims.empty() ? grad : kernels::reduce(kernels::Reduce::Sum, grad, dims, true);
  // Drop the leading dims (all of size 1 now) by viewing with the target shape.
  Tensor packed = kernels::contiguous(reduced);
  return kernels::as_strided(packed, shape, contiguous_strides(shape), packed.offset());
}

}  // namespace bertology

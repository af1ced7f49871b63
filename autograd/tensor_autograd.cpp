// Tensor's autograd methods: requires_grad, grad, retain_grad, hooks, detach.
#include <bertology/autograd/graph.h>

namespace bertology {
namespace {
AutogradMeta& meta_of(const Tensor& t) {
  auto& m = t.impl().autograd;
  if (!m) m = std::make_shared<AutogradMeta>();
  return *m;
}
}  // namespace

bool Tensor::requires_grad() const {
  const auto& m = impl().autograd;
  return m && m->requires_grad;
}

Tensor& Tensor::requires_grad_(bool value) {
  if (!is_leaf())
    throw Error(concat("requires_grad_: only leaves can change requires_grad; this tensor of shape ", shape_str(),
                       " comes from '", grad_fn_name(), "' (use detach())"));
  if (value && !is_floating(dtype()))
    throw Error(concat("requires_grad_: only float tensors can require grad, got ", dtype_name(dtype())));
  meta_of(*this).requires_grad = value;
  return *this;
}

bool Tensor::is_leaf() const {
  const auto& m = impl().autograd;
  return !m || !m->grad_fn;
}

Tensor Tensor::grad() const {
  const auto& m = impl().autograd;
  return m ? m->grad : Tensor();
}

void Tensor::set_grad(const Tensor& g) const {
  if (g.defined() && g.sizes() != sizes())
    throw Error(concat("set_grad: gradient of shape ", g.shape_str(), " for a tensor of shape ", shape_str()));
  meta_of(*this).grad = g;
}

void Tensor::zero_grad() const {
  if (impl().autograd) impl().autograd->grad = Tensor();
}

void Tensor::retain_grad() const {
  if (!requires_grad()) throw Error("retain_grad: the tensor does not require grad");
  if (!is_leaf()) meta_of(*this).retains_grad = true;
}

int Tensor::register_hook(std::function<Tensor(const Tensor&)> hook) const {
  if (!requires_grad()) throw Error("register_hook: the tensor does not require grad");
  AutogradMeta& m = meta_of(*this);
  int id = m.next_hook++;
  m.hooks[id] = std::move(hook);
  return id;
}

void Tensor::remove_hook(int handle) const {
  if (impl().autograd) impl().autograd->hooks.erase(handle);
}

Tensor Tensor::detach() const {
  auto copy = std::make_shared<TensorImpl>(impl());
  copy->autograd = nullptr;
  return Tensor(std::move(copy));
}

std::string Tensor::grad_fn_name() const {
  const auto& m = impl().autograd;
  return m && m->grad_fn ? m->grad_fn->name : "";
}

}  // namespace bertology

// The backward engine: an iterative topological sort of the nodes reachable from the output,
// a pass marking the nodes that lead to a requested leaf, then one sweep that runs only those
// nodes, accumulating gradients, firing hooks and freeing saved tensors as it goes.
#include <bertology/autograd/graph.h>
#include <bertology/autograd/profile.h>
#include <bertology/tensor/kernels/kernels.h>

#include <chrono>
#include <unordered_map>
#include <unordered_set>

namespace bertology {
namespace {

// Adds g into slot (slot undefined = first contribution).
void accumulate(Tensor& slot, const Tensor& g) {
  if (!slot.defined()) {
    slot = g;
    return;
  }
  Tensor sum = kernels::binary(kernels::Binary::Add, slot, g);
  slot = sum;
}

// The node's backward; timed under its profile label when it was recorded inside a scope and a
// profile is collecting.
Grads run_node_backward(Node& node, const Tensor& g, const std::vector<bool>& needs) {
  if (node.profile_label == nullptr || !profile::collecting()) return node.backward(g, needs);
  const auto start = std::chrono::steady_clock::now();
  Grads grads = node.backward(g, needs);
  profile::add_backward_time(node.profile_label,
                             std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return grads;
}

Tensor run_hooks(const AutogradMeta& meta, Tensor g) {
  for (const auto& [id, hook] : meta.hooks) {
    Tensor replaced = hook(g);
    if (replaced.defined()) {
      if (replaced.sizes() != g.sizes())
        throw Error(concat("gradient hook returned shape ", replaced.shape_str(), " for a gradient of shape ",
                           g.shape_str()));
      g = replaced;
    }
  }
  return g;
}

// Nodes reachable from root, each before every node it feeds into (inputs come later).
std::vector<Node*> topological_order(Node* root) {
  std::unordered_map<Node*, int> pending;  // consumers not yet emitted
  std::vector<Node*> stack{root};
  std::unordered_set<Node*> seen{root};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    for (const auto& in : n->inputs) {
      if (!in || !in->grad_fn) continue;
      Node* child = in->grad_fn.get();
      ++pending[child];
      if (seen.insert(child).second) stack.push_back(child);
    }
  }
  std::vector<Node*> order, ready{root};
  while (!ready.empty()) {
    Node* n = ready.back();
    ready.pop_back();
    order.push_back(n);
    for (const auto& in : n->inputs) {
      if (!in || !in->grad_fn) continue;
      Node* child = in->grad_fn.get();
      if (--pending[child] == 0) ready.push_back(child);
    }
  }
  return order;
}

struct Request {
  // Leaves that receive gradients; empty = every leaf that requires grad.
  std::unordered_set<const AutogradMeta*> leaves;
  bool wants(const AutogradMeta* leaf) const { return leaves.empty() || leaves.count(leaf) > 0; }
};

// Runs the backward pass from `output`; returns the gradient reaching each requested leaf.
std::unordered_map<const AutogradMeta*, Tensor> run_backward(const Tensor& output, Tensor grad_output,
                                                              const Request& request, bool retain_graph) {
  if (!output.requires_grad())
    throw Error(concat("backward: the tensor of shape ", output.shape_str(),
                       " does not require grad and has no grad_fn"));
  if (!grad_output.defined()) {
    if (output.numel() != 1)
      throw Error(concat("backward: grad_output is required for a non-scalar output of shape ", output.shape_str()));
    grad_output = Tensor::ones(output.sizes(), output.dtype(), output.device());
  } else if (grad_output.sizes() != output.sizes()) {
    throw Error(concat("backward: grad_output of shape ", grad_output.shape_str(), " for an output of shape ",
                       output.shape_str()));
  }
  NoGradGuard no_grad;  // backward computations are never recorded
  std::unordered_map<const AutogradMeta*, Tensor> leaf_grads;
  AutogradMeta* out_meta = output.impl().autograd.get();
  if (!out_meta->grad_fn) {  // backward on a leaf: its gradient is grad_output
    if (request.wants(out_meta)) leaf_grads[out_meta] = grad_output;
    return leaf_grads;
  }

  std::vector<Node*> order = topological_order(out_meta->grad_fn.get());
  // A node is needed when one of its inputs is a requested leaf or a needed node. Inputs come
  // later in `order`, so one reverse sweep decides.
  std::unordered_set<Node*> needed;
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    for (const auto& in : (*it)->inputs) {
      if (!in) continue;
      bool leads = in->grad_fn ? needed.count(in->grad_fn.get()) > 0 : (in->requires_grad && request.wants(in.get()));
      if (leads) {
        needed.insert(*it);
        break;
      }
    }
  }

  std::unordered_map<Node*, Tensor> node_grads{{order.front(), grad_output}};
  for (Node* node : order) {
    auto found = node_grads.find(node);
    if (!needed.count(node) || found == node_grads.end()) continue;
    Tensor g = found->second;
    node_grads.erase(found);
    if (auto meta = node->output.lock()) {
      g = run_hooks(*meta, g);
      if (meta->retains_grad) accumulate(meta->grad, g);
    }
    if (node->released)
      throw Error(concat("backward through '", node->name,
                         "' a second time: its saved tensors were freed (pass retain_graph=true)"));
    std::vector<bool> needs(node->inputs.size());
    for (size_t i = 0; i < needs.size(); ++i) {
      const auto& in = node->inputs[i];
      needs[i] = in && (in->grad_fn ? needed.count(in->grad_fn.get()) > 0 : request.wants(in.get()));
    }
    Grads grads = run_node_backward(*node, g, needs);
    if (!retain_graph) {
      node->backward = nullptr;
      node->released = true;
    }
    for (size_t i = 0; i < needs.size() && i < grads.size(); ++i) {
      if (!needs[i] || !grads[i].defined()) continue;
      if (grads[i].sizes() != node->input_shapes[i])
        throw Error(concat(node->name, " backward: gradient of shape ", grads[i].shape_str(), " for input ", i,
                           " of shape ", shape_str(node->input_shapes[i])));
      const auto& in = node->inputs[i];
      if (in->grad_fn) accumulate(node_grads[in->grad_fn.get()], grads[i]);
      else accumulate(leaf_grads[in.get()], grads[i]);
    }
  }
  return leaf_grads;
}

}  // namespace

std::vector<Tensor> grad(const Tensor& output, const std::vector<Tensor>& inputs, const Tensor& grad_output,
                         bool retain_graph) {
  Request request;
  for (const Tensor& t : inputs) {
    if (!t.requires_grad() || !t.is_leaf())
      throw Error(concat("grad: input of shape ", t.shape_str(), " is not a leaf that requires grad"));
    request.leaves.insert(t.impl().autograd.get());
  }
  auto leaf_grads = run_backward(output, grad_output, request, retain_graph);
  std::vector<Tensor> out;
  for (const Tensor& t : inputs) {
    auto it = leaf_grads.find(t.impl().autograd.get());
    Tensor g = it == leaf_grads.end() ? Tensor() : it->second;
    if (g.defined()) g = run_hooks(*t.impl().autograd, g);
    out.push_back(g.defined() ? g : Tensor::zeros(t.sizes(), t.dtype(), t.device()));
  }
  return out;
}

void Tensor::backward(const Tensor& grad_output, const std::vector<Tensor>& inputs, bool retain_graph) const {
  Request request;
  for (const Tensor& t : inputs) {
    if (!t.requires_grad() || !t.is_leaf())
      throw Error(concat("backward: input of shape ", t.shape_str(), " is not a leaf that requires grad"));
    request.leaves.insert(t.impl().autograd.get());
  }
  auto leaf_grads = run_backward(*this, grad_output, request, retain_graph);
  for (auto& [meta_ptr, g] : leaf_grads) {
    auto* meta = const_cast<AutogradMeta*>(meta_ptr);
    Tensor hooked = meta->grad_fn ? g : run_hooks(*meta, g);
    if (!meta->grad.defined()) {
      meta->grad = Tensor::empty(hooked.sizes(), hooked.dtype(), hooked.device());  // owned: g may alias other tensors
      meta->grad.copy_(hooked);
    } else {
      kernels::axpy_(meta->grad, 1.0, hooked);
    }
  }
}

}  // namespace bertology

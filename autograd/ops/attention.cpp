// The fused attention core as a differentiable function (kernels::attention_forward/backward).
// Its inputs are the projections as they come out of the linear layers: q, k, v separately
// (BERT) or one packed q|k|v tensor (GPT-2's c_attn), and the head mask ξ.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {
namespace {

// Columns [part·E, (part+1)·E) of a packed (B, S, 3·E) tensor, as a plain view (no history).
Tensor packed_part(const Tensor& packed, int64_t part) {
  const int64_t E = packed.size(2) / 3;
  return kernels::as_strided(packed, {packed.size(0), packed.size(1), E}, {packed.stride(0), packed.stride(1), 1},
                             packed.offset() + part * E);
}

}  // namespace

Tensor attention(const std::vector<Tensor>& qkv_in, int64_t heads, double scale, const Tensor& head_mask,
                 const Tensor& additive_mask, const Tensor& future, Tensor* probs_out) {
  const bool packed = qkv_in.size() == 1;
  if (!packed && qkv_in.size() != 3)
    throw Error(concat("attention: expected {q, k, v} or one packed q|k|v tensor, got ", qkv_in.size(), " tensors"));
  if (packed && (qkv_in[0].dim() != 3 || qkv_in[0].size(2) % 3 != 0))
    throw Error(concat("attention: packed q|k|v must be (B, S, 3·H·D), got ", qkv_in[0].shape_str()));
  if (additive_mask.defined() && additive_mask.requires_grad() && grad_mode_enabled())
    throw Error("attention: the additive mask requires grad, but the fused op treats masks as constants");
  std::vector<Tensor> qkv = qkv_in;  // the kernel reads rows: the last dim needs unit stride
  for (Tensor& t : qkv)
    if (t.dim() == 3 && (t.stride(2) != 1 || t.stride(1) < t.size(2))) t = t.contiguous();
  const Tensor q = packed ? packed_part(qkv[0], 0) : qkv[0];
  const Tensor k = packed ? packed_part(qkv[0], 1) : qkv[1];
  const Tensor v = packed ? packed_part(qkv[0], 2) : qkv[2];
  Tensor probs;
  Tensor y = kernels::attention_forward(q, k, v, heads, scale, head_mask, additive_mask, future, probs);
  if (probs_out) *probs_out = probs;
  std::vector<Tensor> inputs = qkv;
  inputs.push_back(head_mask);
  if (grad_needed(inputs))
    record_node(
        y, "attention", inputs,
        [saved = std::vector<SavedTensor>(qkv.begin(), qkv.end()), sxi = SavedTensor(head_mask),
         sp = SavedTensor(probs), sfuture = SavedTensor(future), packed, heads, scale](const Tensor& dy,
                                                                          const std::vector<bool>& need) {
          const Tensor& first = saved[0].unpack("attention");
          const Tensor q = packed ? packed_part(first, 0) : first;
          const Tensor k = packed ? packed_part(first, 1) : saved[1].unpack("attention");
          const Tensor v = packed ? packed_part(first, 2) : saved[2].unpack("attention");
          const Tensor xi = sxi.defined() ? sxi.unpack("attention") : Tensor();
          Grads g(need.size());
          Tensor dq, dk, dv, dxi;
          kernels::AttentionGradOutputs out;
          if (packed && need[0]) {  // one (B, S, 3·E) gradient; its three parts are written in place
            g[0] = Tensor::empty(first.sizes(), first.dtype());
            dq = packed_part(g[0], 0), dk = packed_part(g[0], 1), dv = packed_part(g[0], 2);
            out.dq = &dq, out.dk = &dk, out.dv = &dv;
          }
          if (!packed) {  // a (B, S, H·D) gradient for each of q, k, v that needs one
            if (need[0]) {
              g[0] = dq = Tensor::empty(q.sizes(), q.dtype());
              out.dq = &dq;
            }
            if (need[1]) {
              g[1] = dk = Tensor::empty(q.sizes(), q.dtype());
              out.dk = &dk;
            }
            if (need[2]) {
              g[2] = dv = Tensor::empty(q.sizes(), q.dtype());
              out.dv = &dv;
            }
          }
          if (xi.defined() && need.back()) out.dhead_mask = &dxi;
          const Tensor future_saved = sfuture.defined() ? sfuture.unpack("attention") : Tensor();
          kernels::attention_backward(dy, q, k, v, heads, scale, xi, future_saved, sp.unpack("attention"), out);
          if (out.dhead_mask) g.back() = dxi.reshape(xi.sizes());
          return g;
        });
  return y;
}

}  // namespace bertology

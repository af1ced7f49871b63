// Attention core shared by BERT, OpenAI GPT and GPT-2: scores, masks, softmax, dropout, head
// mask, context; and the helpers that build masks and validate the head mask.
#include <bertology/models/attention.h>

#include <limits>

#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>

namespace bertology {

Tensor split_heads(const Tensor& x, int64_t heads) {
  const int64_t B = x.size(0), S = x.size(1), D = x.size(2) / heads;
  return x.view({B, S, heads, D}).permute({0, 2, 1, 3});  // (B, H, S, D), strided
}

Tensor merge_heads(const Tensor& context) {
  const int64_t B = context.size(0), H = context.size(1), S = context.size(2), D = context.size(3);
  return context.permute({0, 2, 1, 3}).reshape({B, S, H * D});  // (B, S, H·D)
}

namespace {

// Whether the fused kernel computes everything this call asks for.
bool fused_attention_fits(const Projections& x, const AttentionSetup& setup) {
  const Tensor& any = x.packed.defined() ? x.packed : x.q;
  if (!any.device().is_cpu()) return false;               // the fused kernel is CPU code
  if (setup.additive_mask.defined() && setup.additive_mask.requires_grad())
    return false;  // the fused op takes no gradient for the masks
  if (setup.keep_contexts) return false;                  // per-head contexts are graph nodes
  if (setup.training && setup.dropout > 0) return false;  // dropout on the probabilities
  return !setup.keep_probs || !setup.probs_need_grad || !grad_mode_enabled();
}

// The unfused path: every step its own differentiable op.
AttentionResult attend_op_by_op(const Projections& x, int64_t heads, double scale, const Tensor& layer_head_mask,
                                const AttentionSetup& setup) {
  Tensor q = x.q, k = x.k, v = x.v;
  if (x.packed.defined()) {  // views of the packed q|k|v
    const int64_t inner = x.packed.size(2) / 3;
    q = x.packed.narrow(2, 0, inner);
    k = x.packed.narrow(2, inner, inner);
    v = x.packed.narrow(2, 2 * inner, inner);
  }
  Tensor qh = split_heads(q, heads) * scale;  // (B, H, S, D)
  Tensor kh = split_heads(k, heads);          // (B, H, S, D) view
  Tensor vh = split_heads(v, heads);          // (B, H, S, D) view
  Tensor scores = matmul(qh, kh.transpose(-1, -2));  // (B, H, S, S); kᵀ is a view, BLAS gets a flag
  if (setup.future.defined())
    scores = masked_fill(scores, setup.future, -1e4);  // OpenAI GPT: w·b - 1e4·(1-b)
  if (setup.additive_mask.defined()) scores = scores + setup.additive_mask;
  Tensor probs = softmax(scores);  // (B, H, S, S)
  if (setup.training && setup.dropout > 0) probs = dropout(probs, setup.dropout, true, *setup.generator);

  AttentionResult r;
  // ξ_h multiplies head h's context P_h V_h; that is the same as scaling P_h (as HF does) but
  // touches (B, H, S, D) instead of (B, H, S, S) numbers.
  Tensor context = matmul(probs, vh);  // (B, H, S, D)
  if (setup.keep_contexts) r.head_output = context.detach();  // a masked head's P_h V_h survives ξ_h = 0
  if (layer_head_mask.defined()) context = context * layer_head_mask;
  if (setup.keep_probs) r.probs = layer_head_mask.defined() ? probs * layer_head_mask : probs;
  if (setup.keep_contexts) r.context = context;
  r.output = merge_heads(context);  // (B, S, H·D)
  return r;
}

}  // namespace

AttentionResult attend(const Projections& x, int64_t heads, double scale, const Tensor& layer_head_mask,
                       const AttentionSetup& setup) {
  if (!fused_attention_fits(x, setup)) return attend_op_by_op(x, heads, scale, layer_head_mask, setup);
  const std::vector<Tensor> qkv = x.packed.defined() ? std::vector<Tensor>{x.packed} : std::vector<Tensor>{x.q, x.k, x.v};
  AttentionResult r;
  Tensor probs;  // (B, H, S, S), no history
  r.output = attention(qkv, heads, scale, layer_head_mask, setup.additive_mask, setup.future,
                       setup.keep_probs ? &probs : nullptr);
  if (setup.keep_probs) {
    NoGradGuard values_only;
    r.probs = layer_head_mask.defined() ? probs * layer_head_mask : probs;
  }
  return r;
}

double lowest_value(DType dtype) {
  return dtype == DType::Float64 ? std::numeric_limits<double>::lowest()
                                 : static_cast<double>(std::numeric_limits<float>::lowest());
}

Tensor key_padding_mask(const Tensor& attention_mask, DType dtype) {
  NoGradGuard no_grad;
  const int64_t B = attention_mask.size(0), S = attention_mask.size(1);
  Tensor keep = attention_mask.to(dtype);  // (B, S), 1 = token, 0 = padding
  return ((1.0 - keep) * lowest_value(dtype)).view({B, 1, 1, S});
}

Tensor causal_additive_mask(int64_t seq_len, DType dtype) {
  Tensor mask = Tensor::zeros({1, 1, seq_len, seq_len}, dtype);
  const double low = lowest_value(dtype);
  for (int64_t i = 0; i < seq_len; ++i)
    for (int64_t j = i + 1; j < seq_len; ++j) {
      if (dtype == DType::Float64)
        mask.data<double>()[i * seq_len + j] = low;
      else
        mask.data<float>()[i * seq_len + j] = static_cast<float>(low);
    }
  return mask;
}

Tensor future_positions(int64_t seq_len) {
  Tensor future = Tensor::zeros({seq_len, seq_len}, DType::Bool);
  bool* f = future.data<bool>();
  for (int64_t i = 0; i < seq_len; ++i)
    for (int64_t j = i + 1; j < seq_len; ++j) f[i * seq_len + j] = true;
  return future;
}

Tensor normalize_head_mask(const Tensor& head_mask, int64_t batch, int64_t layers, int64_t heads,
                           DType dtype) {
  const Shape& s = head_mask.sizes();
  const bool ok = (s.size() == 1 && s[0] == heads) || (s.size() == 2 && s[0] == layers && s[1] == heads) ||
                  (s.size() == 3 && s[0] == batch && s[1] == layers && s[2] == heads);
  if (!ok)
    throw Error(concat("head mask of shape ", head_mask.shape_str(),
                       " does not fit this model: expected (H) = [", heads, "], (L, H) = [", layers, ", ",
                       heads, "] or (B, L, H) = [", batch, ", ", layers, ", ", heads, "]"));
  if (!is_floating(head_mask.dtype()))
    throw Error(concat("head mask must be a float tensor, got ", dtype_name(head_mask.dtype())));
  Tensor m = head_mask.to(dtype);
  if (s.size() == 1) return m.view({1, 1, heads}).expand({1, layers, heads});  // same mask for every layer
  if (s.size() == 2) return m.unsqueeze(0);                                    // (1, L, H)
  return m;                                                                    // (B, L, H)
}

Tensor layer_head_mask(const Tensor& head_mask, int64_t layer, const std::vector<int64_t>& kept) {
  if (!head_mask.defined()) return Tensor();
  Tensor m = head_mask.select(1, layer);               // (B or 1, H)
  if (static_cast<int64_t>(kept.size()) != m.size(1))  // a pruned layer: only its remaining heads
    m = index_select(m, 1, Tensor::from_vector(kept, {static_cast<int64_t>(kept.size())}).to(m.device()));
  return m.unsqueeze(-1).unsqueeze(-1);  // (B or 1, H', 1, 1)
}

}  // namespace bertology

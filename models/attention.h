// Multi-head scaled dot-product attention as the three architectures compute it, with the head
// mask ξ applied to each head's context, and the masks (padding, causal) it adds to the scores.
#pragma once
#include <cstdint>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

// What every attention layer of one forward pass shares.
struct AttentionSetup {
  Tensor additive_mask;  // broadcastable to the scores (B, H, S, S): 0 = attend, very negative = not
  Tensor future;         // OpenAI GPT only: Bool (S, S), true above the diagonal (scores := -1e4 there)
  Tensor head_mask;      // (B or 1, L, H) with original head numbering, or undefined
  double dropout = 0.0;  // on the attention probabilities, train mode only
  bool training = false;
  Generator* generator = nullptr;
  bool keep_probs = false;     // return the attention probabilities
  bool probs_need_grad = true;  // kept probabilities carry autograd history (false: plain values)
  bool keep_contexts = false;  // return each head's context
};

struct AttentionResult {
  Tensor output;   // (B, S, H·D): heads merged, ready for the output projection
  Tensor probs;    // (B, H, S, S) when kept (times ξ, as HF returns them)
  Tensor context;  // (B, H, S, D) ξ_h · P_h V_h, when kept
  Tensor head_output;  // (B, H, S, D) P_h V_h before ξ, values only (no history), when contexts are kept
};

// (B, S, H·D) -> (B, H, S, D) as a view (view + permute: no copy).
Tensor split_heads(const Tensor& x, int64_t heads);
// (B, H, S, D) -> (B, S, H·D): a copy.
Tensor merge_heads(const Tensor& context);

// The projections attention reads, unscaled: q, k, v, each (B, S, H·D) (BERT), or `packed`, one
// (B, S, 3·H·D) tensor with q|k|v side by side (GPT-2's c_attn output; q, k, v then undefined).
struct Projections {
  Tensor q, k, v;
  Tensor packed;
};

// softmax(scale·q·kᵀ + masks) · v per head, then × ξ_h; heads merged into (B, S, H·D).
// layer_head_mask: (B or 1, H, 1, 1) or undefined.
// On the CPU, when neither per-head contexts nor probabilities with autograd history nor
// attention dropout are asked for, this is the fused kernel (autograd `attention`); otherwise
// the same arithmetic op by op, with every intermediate a graph node.
AttentionResult attend(const Projections& x, int64_t heads, double scale, const Tensor& layer_head_mask,
                       const AttentionSetup& setup);

// The largest negative value of dtype (torch.finfo(dtype).min).
double lowest_value(DType dtype);
// (1 - m) · finfo.min on padded keys: attention_mask (B, S) -> (B, 1, 1, S).
Tensor key_padding_mask(const Tensor& attention_mask, DType dtype);
// GPT-2's causal mask as an additive (1, 1, S, S): finfo.min above the diagonal.
Tensor causal_additive_mask(int64_t seq_len, DType dtype);
// Bool (S, S), true above the diagonal (the future a query may not see).
Tensor future_positions(int64_t seq_len);

// The head mask checked and brought to (B or 1, L, H) in dtype: accepts (H), (L, H), (B, L, H).
Tensor normalize_head_mask(const Tensor& head_mask, int64_t batch, int64_t layers, int64_t heads,
                           DType dtype);
// Layer `layer`'s mask for the heads it still has (original numbers in `kept`): (B or 1, H', 1, 1).
Tensor layer_head_mask(const Tensor& head_mask, int64_t layer, const std::vector<int64_t>& kept);

}  // namespace bertology

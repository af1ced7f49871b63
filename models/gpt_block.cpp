// GPT blocks: the fused q|k|v projection split into heads by views, causal attention, output
// projection, the MLP, and head pruning of the fused weights.
#include <bertology/models/gpt_block.h>

#include <bertology/autograd/functions.h>
#include <bertology/autograd/profile.h>

namespace bertology {

GPTBlock GPTBlock::make(const ModelConfig& c, int64_t heads) {
  const int64_t E = c.hidden_size, inner = heads * c.head_size();
  return {Conv1D::make(E, 3 * inner),           Conv1D::make(inner, E),
          LayerNorm::make(E, c.layer_norm_eps), LayerNorm::make(E, c.layer_norm_eps),
          Conv1D::make(E, c.intermediate_size), Conv1D::make(c.intermediate_size, E)};
}

void GPTBlock::visit(const std::string& p, const ParameterVisitor& fn) {
  c_attn.visit(p + ".attn.c_attn", fn);
  c_proj.visit(p + ".attn.c_proj", fn);
  ln_1.visit(p + ".ln_1", fn);
  c_fc.visit(p + ".mlp.c_fc", fn);
  mlp_proj.visit(p + ".mlp.c_proj", fn);
  ln_2.visit(p + ".ln_2", fn);
}

void GPTBlock::prune(const std::vector<int64_t>& keep, int64_t head_size) {
  c_attn.weight = keep_heads(c_attn.weight, 1, keep, head_size, 3);  // in each of q, k, v
  c_attn.bias = keep_heads(c_attn.bias, 0, keep, head_size, 3);
  c_proj.weight = keep_heads(c_proj.weight, 0, keep, head_size);  // rows; bias whole
}

Tensor gpt_self_attention(const GPTBlock& block, const Tensor& x, int64_t layer,
                          const std::vector<int64_t>& kept, int64_t head_size, double scale,
                          const AttentionSetup& setup, ModelOutput& out) {
  const int64_t B = x.size(0), S = x.size(1), E = x.size(2);
  const int64_t H = static_cast<int64_t>(kept.size());  // heads left after pruning
  if (H == 0) {  // every head pruned: the block adds only c_proj's bias
    if (setup.keep_probs) out.attentions.push_back(Tensor::zeros({B, 0, S, S}, x.dtype(), x.device()));
    if (setup.keep_contexts) {
      out.contexts.push_back(Tensor::zeros({B, 0, S, head_size}, x.dtype(), x.device()));
      out.head_outputs.push_back(out.contexts.back());
    }
    return block.c_proj.bias.expand({B, S, E});
  }
  profile::Scope heads("attention heads");  // all the work that scales with the heads kept
  const Projections qkv{Tensor(), Tensor(), Tensor(), block.c_attn(x)};  // packed (B, S, 3·H·D)
  AttentionResult a = attend(qkv, H, scale, layer_head_mask(setup.head_mask, layer, kept), setup);
  if (setup.keep_probs) out.attentions.push_back(a.probs);
  if (setup.keep_contexts) {
    out.contexts.push_back(a.context);
    out.head_outputs.push_back(a.head_output);
  }
  return block.c_proj(a.output);  // (B, S, E)
}

Tensor gpt_mlp(const GPTBlock& block, const Tensor& x, Activation act) {
  profile::Scope feed_forward("feed-forward");
  return block.mlp_proj(activation(block.c_fc(x), act));  // (B, S, E)
}

}  // namespace bertology

// The transformer block parameters OpenAI GPT and GPT-2 share (same HF names: attn.c_attn,
// attn.c_proj, ln_1, mlp.c_fc, mlp.c_proj, ln_2) and their causal self-attention.
#pragma once
#include <vector>

#include <bertology/models/attention.h>
#include <bertology/models/layers.h>
#include <bertology/models/model.h>

namespace bertology {

struct GPTBlock {
  Conv1D c_attn;  // (E, 3·H'·D): columns q | k | v
  Conv1D c_proj;  // (H'·D, E)
  LayerNorm ln_1, ln_2;
  Conv1D c_fc;      // (E, I)
  Conv1D mlp_proj;  // (I, E), HF name mlp.c_proj
  static GPTBlock make(const ModelConfig& config, int64_t heads);
  void visit(const std::string& prefix, const ParameterVisitor& fn);
  // Keeps the heads at positions `keep`: columns K ∪ K+E' ∪ K+2E' of c_attn, rows K of c_proj.
  void prune(const std::vector<int64_t>& keep, int64_t head_size);
};

// Causal self-attention of block `layer` on x (B, S, E) -> (B, S, E), before residual dropout.
// Records attentions / contexts in `out` when the setup asks for them.
Tensor gpt_self_attention(const GPTBlock& block, const Tensor& x, int64_t layer,
                          const std::vector<int64_t>& kept, int64_t head_size, double scale,
                          const AttentionSetup& setup, ModelOutput& out);
// act(x·c_fc) · c_proj, before residual dropout.
Tensor gpt_mlp(const GPTBlock& block, const Tensor& x, Activation act);

}  // namespace bertology

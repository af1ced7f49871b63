// OpenAI GPT (post-LN, no final LN) and GPT-2 (pre-LN, final ln_f): one backbone whose blocks
// differ only in where the LayerNorms sit, and the HF model classes of both families.
#pragma once
#include <vector>

#include <bertology/models/gpt_block.h>
#include <bertology/models/model.h>

namespace bertology {

// Embeddings (OpenAI GPT: tokens_embed / positions_embed; GPT-2: wte / wpe), the blocks and,
// for GPT-2, ln_f.
class GPTBackbone {
 public:
  GPTBackbone(const ModelConfig& config, const std::vector<std::vector<int64_t>>& kept_heads);
  // Returns the last hidden state (B, S, E) (GPT-2: after ln_f); fills out's lists as asked.
  Tensor forward(const ModelInputs& inputs, const ForwardOptions& options, const AttentionSetup& setup,
                 ModelOutput& out);
  void visit(const std::string& prefix, const ParameterVisitor& fn);
  void prune_layer(int64_t layer, const std::vector<int64_t>& keep) {
    blocks_[layer].prune(keep, config_.head_size());
  }
  const Tensor& token_embeddings() const { return tokens_; }  // (V, E), tied to the LM head

 private:
  Tensor embed(const ModelInputs& inputs, const AttentionSetup& setup);
  Tensor block_forward(int64_t l, const Tensor& x, const AttentionSetup& setup, ModelOutput& out);

  const ModelConfig& config_;
  const std::vector<std::vector<int64_t>>& kept_heads_;
  bool gpt2_;
  Tensor tokens_, positions_;  // (V, E), (P, E)
  std::vector<GPTBlock> blocks_;
  LayerNorm ln_f_;  // GPT-2 only
};

// OpenAIGPTModel / GPT2Model: the backbone alone (HF names without prefix).
class GPTModel : public PreTrainedModel {
 public:
  explicit GPTModel(ModelConfig config);
  std::string class_name() const override;
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override { transformer_.visit("", fn); }
  void prune_layer(int64_t l, const std::vector<int64_t>& keep) override {
    transformer_.prune_layer(l, keep);
  }
  std::string base_prefix() const override { return ""; }

 private:
  GPTBackbone transformer_;
};

// OpenAIGPTLMHeadModel / GPT2LMHeadModel: logits (B, S, V) from lm_head tied to the token
// embeddings; loss = next-token cross-entropy (labels -100 ignored).
class GPTLMHeadModel : public PreTrainedModel {
 public:
  explicit GPTLMHeadModel(ModelConfig config);
  std::string class_name() const override;
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override;
  void prune_layer(int64_t l, const std::vector<int64_t>& keep) override {
    transformer_.prune_layer(l, keep);
  }
  std::string base_prefix() const override { return "transformer."; }

 private:
  GPTBackbone transformer_;
  Tensor lm_head_;  // (V, E), only when tie_word_embeddings is false
};

// OpenAIGPTForSequenceClassification / GPT2ForSequenceClassification: `score` (no bias) on the
// last non-pad token: logits (B, num_labels).
class GPTForSequenceClassification : public PreTrainedModel {
 public:
  explicit GPTForSequenceClassification(ModelConfig config);
  std::string class_name() const override;
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override;
  void prune_layer(int64_t l, const std::vector<int64_t>& keep) override {
    transformer_.prune_layer(l, keep);
  }
  std::string base_prefix() const override { return "transformer."; }

 private:
  GPTBackbone transformer_;
  Linear score_;  // (num_labels, E), no bias
};

// HF's class names, for code that wants to say which family it builds (the config must match).
ModelConfig require_family(ModelConfig config, ModelFamily family, const char* class_name);

class OpenAIGPTModel : public GPTModel {
 public:
  explicit OpenAIGPTModel(ModelConfig config)
      : GPTModel(require_family(std::move(config), ModelFamily::OpenAIGPT, "OpenAIGPTModel")) {}
};
class OpenAIGPTLMHeadModel : public GPTLMHeadModel {
 public:
  explicit OpenAIGPTLMHeadModel(ModelConfig config)
      : GPTLMHeadModel(require_family(std::move(config), ModelFamily::OpenAIGPT, "OpenAIGPTLMHeadModel")) {}
};
class OpenAIGPTForSequenceClassification : public GPTForSequenceClassification {
 public:
  explicit OpenAIGPTForSequenceClassification(ModelConfig config)
      : GPTForSequenceClassification(require_family(std::move(config), ModelFamily::OpenAIGPT,
                                                    "OpenAIGPTForSequenceClassification")) {}
};
class GPT2Model : public GPTModel {
 public:
  explicit GPT2Model(ModelConfig config)
      : GPTModel(require_family(std::move(config), ModelFamily::GPT2, "GPT2Model")) {}
};
class GPT2LMHeadModel : public GPTLMHeadModel {
 public:
  explicit GPT2LMHeadModel(ModelConfig config)
      : GPTLMHeadModel(require_family(std::move(config), ModelFamily::GPT2, "GPT2LMHeadModel")) {}
};
class GPT2ForSequenceClassification : public GPTForSequenceClassification {
 public:
  explicit GPT2ForSequenceClassification(ModelConfig config)
      : GPTForSequenceClassification(
            require_family(std::move(config), ModelFamily::GPT2, "GPT2ForSequenceClassification")) {}
};

}  // namespace bertology

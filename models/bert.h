// BERT (post-LN, bidirectional): BertModel, BertForSequenceClassification (cross-entropy, or MSE
// when num_labels = 1) and BertForMaskedLM (decoder tied to the word embeddings).
#pragma once
#include <vector>

#include <bertology/models/model.h>

namespace bertology {

// One encoder layer: self-attention with separate query/key/value, then the feed-forward block,
// each followed by a residual LayerNorm.
struct BertLayer {
  Linear query, key, value;  // weight (H'·D, E)
  Linear attention_output;   // weight (E, H'·D)
  LayerNorm attention_norm;
  Linear intermediate, output;  // (I, E), (E, I)
  LayerNorm output_norm;
  void visit(const std::string& prefix, const ParameterVisitor& fn);
};

// Embeddings, encoder layers and (optionally) the pooler, as BertModel holds them.
class BertBackbone {
 public:
  BertBackbone(const ModelConfig& config, const std::vector<std::vector<int64_t>>& kept_heads,
               bool with_pooler);
  // Fills out.hidden_states / attentions / contexts as asked; returns the last layer's (B, S, E)
  // and sets out.pooler_output when there is a pooler.
  Tensor forward(const ModelInputs& inputs, const ForwardOptions& options, const AttentionSetup& setup,
                 ModelOutput& out);
  void visit(const std::string& prefix, const ParameterVisitor& fn);
  void prune_layer(int64_t layer, const std::vector<int64_t>& keep);
  const Tensor& word_embeddings() const { return word_embeddings_; }

 private:
  Tensor embed(const ModelInputs& inputs, const AttentionSetup& setup);
  Tensor layer_forward(int64_t l, const Tensor& x, const AttentionSetup& setup, ModelOutput& out);

  const ModelConfig& config_;
  const std::vector<std::vector<int64_t>>& kept_heads_;
  Tensor word_embeddings_, position_embeddings_, token_type_embeddings_;  // (V, E), (P, E), (T, E)
  LayerNorm embeddings_norm_;
  std::vector<BertLayer> layers_;
  bool with_pooler_;
  Linear pooler_;
};

class BertModel : public PreTrainedModel {
 public:
  explicit BertModel(ModelConfig config, bool add_pooling_layer = true);
  std::string class_name() const override { return "BertModel"; }
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override { bert_.visit("", fn); }
  void prune_layer(int64_t layer, const std::vector<int64_t>& keep) override {
    bert_.prune_layer(layer, keep);
  }
  std::string base_prefix() const override { return ""; }

 private:
  BertBackbone bert_;
};

class BertForSequenceClassification : public PreTrainedModel {
 public:
  explicit BertForSequenceClassification(ModelConfig config);
  std::string class_name() const override { return "BertForSequenceClassification"; }
  // logits (B, num_labels) from the pooled [CLS]; loss per config.problem_type (MSE when num_labels = 1)
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override;
  void prune_layer(int64_t layer, const std::vector<int64_t>& keep) override {
    bert_.prune_layer(layer, keep);
  }
  std::string base_prefix() const override { return "bert."; }

 private:
  BertBackbone bert_;
  Linear classifier_;  // (num_labels, E)
};

class BertForMaskedLM : public PreTrainedModel {
 public:
  explicit BertForMaskedLM(ModelConfig config);
  std::string class_name() const override { return "BertForMaskedLM"; }
  // logits (B, S, V); loss = cross-entropy over labelled positions (labels -100 ignored)
  ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) override;

 protected:
  void visit_parameters(const ParameterVisitor& fn) override;
  void prune_layer(int64_t layer, const std::vector<int64_t>& keep) override {
    bert_.prune_layer(layer, keep);
  }
  std::string base_prefix() const override { return "bert."; }

 private:
  BertBackbone bert_;
  Linear transform_;          // cls.predictions.transform.dense (E, E)
  LayerNorm transform_norm_;  // cls.predictions.transform.LayerNorm
  Tensor decoder_weight_;     // (V, E), only when tie_word_embeddings is false
  Tensor decoder_bias_;       // cls.predictions.bias (V)
};

}  // namespace bertology

// The GPT forward pass (embeddings -> L blocks [-> ln_f for GPT-2]) and the base, LM-head and
// sequence-classification models of OpenAI GPT and GPT-2, with HF's parameter names.
#include <bertology/models/gpt.h>

#include <cmath>

#include <bertology/autograd/functions.h>
#include <bertology/models/heads.h>

namespace bertology {

GPTBackbone::GPTBackbone(const ModelConfig& c, const std::vector<std::vector<int64_t>>& kept_heads)
    : config_(c), kept_heads_(kept_heads), gpt2_(c.family == ModelFamily::GPT2) {
  tokens_ = Tensor::empty({c.vocab_size, c.hidden_size});
  positions_ = Tensor::empty({c.max_position_embeddings, c.hidden_size});
  for (int64_t l = 0; l < c.num_layers; ++l)
    blocks_.push_back(GPTBlock::make(c, static_cast<int64_t>(kept_heads[l].size())));
  if (gpt2_) ln_f_ = LayerNorm::make(c.hidden_size, c.layer_norm_eps);
}

void GPTBackbone::visit(const std::string& prefix, const ParameterVisitor& fn) {
  fn(prefix + (gpt2_ ? "wte.weight" : "tokens_embed.weight"), tokens_);
  fn(prefix + (gpt2_ ? "wpe.weight" : "positions_embed.weight"), positions_);
  for (size_t l = 0; l < blocks_.size(); ++l) blocks_[l].visit(concat(prefix, "h.", l), fn);
  if (gpt2_) ln_f_.visit(prefix + "ln_f", fn);
}

Tensor GPTBackbone::embed(const ModelInputs& in, const AttentionSetup& setup) {
  const int64_t S = in.input_ids.size(1);
  Tensor h = embedding(tokens_, in.input_ids) + embedding(positions_, Tensor::arange(S).to(positions_.device()));  // (B, S, E)
  if (in.token_type_ids.defined())
    h = h + embedding(tokens_, in.token_type_ids);  // HF: types share tokens_embed
  return dropout(h, config_.embedding_dropout, setup.training, *setup.generator);
}

Tensor GPTBackbone::block_forward(int64_t l, const Tensor& x, const AttentionSetup& setup, ModelOutput& out) {
  const GPTBlock& block = blocks_[l];
  double scale = config_.scale_attn_weights ? 1.0 / std::sqrt(static_cast<double>(config_.head_size())) : 1.0;
  if (gpt2_ && config_.scale_attn_by_inverse_layer_idx) scale /= static_cast<double>(l + 1);
  auto attention = [&](const Tensor& input) {
    Tensor a = gpt_self_attention(block, input, l, kept_heads_[l], config_.head_size(), scale, setup, out);
    return dropout(a, config_.hidden_dropout, setup.training, *setup.generator);
  };
  auto mlp = [&](const Tensor& input) {
    return dropout(gpt_mlp(block, input, config_.activation), config_.hidden_dropout, setup.training,
                   *setup.generator);
  };
  if (gpt2_) {  // pre-LN: x + attn(LN(x)), then h + mlp(LN(h))
    Tensor h = x + attention(block.ln_1(x));
    return h + mlp(block.ln_2(h));
  }
  Tensor n = block.ln_1(x + attention(x));  // OpenAI GPT, post-LN: LN(x + attn(x)), then LN(n + mlp(n))
  return block.ln_2(n + mlp(n));
}

Tensor GPTBackbone::forward(const ModelInputs& in, const ForwardOptions& options, const AttentionSetup& setup,
                            ModelOutput& out) {
  Tensor h = embed(in, setup);  // (B, S, E)
  for (int64_t l = 0; l < static_cast<int64_t>(blocks_.size()); ++l) {
    if (options.output_hidden_states) out.hidden_states.push_back(h);
    h = block_forward(l, h, setup, out);
  }
  if (gpt2_) h = ln_f_(h);  // GPT-2's last hidden state is after ln_f
  if (options.output_hidden_states) out.hidden_states.push_back(h);
  out.last_hidden_state = h;
  return h;
}

ModelConfig require_family(ModelConfig config, ModelFamily family, const char* class_name) {
  if (config.family != family)
    throw Error(
        concat(class_name, " needs model_type '", family_name(family), "', not '", config.model_type, "'"));
  return config;
}

namespace {
std::string gpt_class_name(const ModelConfig& c, const char* suffix) {
  return std::string(c.family == ModelFamily::GPT2 ? "GPT2" : "OpenAIGPT") + suffix;
}
ModelConfig require_gpt(ModelConfig config) {
  if (config.family == ModelFamily::Bert)
    throw Error("a GPT model needs model_type 'openai-gpt' or 'gpt2', not 'bert'");
  return config;
}
}  // namespace

// ---- OpenAIGPTModel / GPT2Model ------------------------------------------------------------------

GPTModel::GPTModel(ModelConfig config)
    : PreTrainedModel(require_gpt(std::move(config))), transformer_(config_, kept_heads_) {
  requires_grad_(true);
}

std::string GPTModel::class_name() const { return gpt_class_name(config_, "Model"); }

ModelOutput GPTModel::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  transformer_.forward(inputs, options, attention_setup(inputs, options), out);
  return out;
}

// ---- OpenAIGPTLMHeadModel / GPT2LMHeadModel ------------------------------------------------------

GPTLMHeadModel::GPTLMHeadModel(ModelConfig config)
    : PreTrainedModel(require_gpt(std::move(config))), transformer_(config_, kept_heads_) {
  if (!config_.tie_word_embeddings) lm_head_ = Tensor::empty({config_.vocab_size, config_.hidden_size});
  requires_grad_(true);
}

std::string GPTLMHeadModel::class_name() const { return gpt_class_name(config_, "LMHeadModel"); }

void GPTLMHeadModel::visit_parameters(const ParameterVisitor& fn) {
  transformer_.visit("transformer.", fn);
  if (lm_head_.defined()) fn("lm_head.weight", lm_head_);
}

ModelOutput GPTLMHeadModel::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  Tensor h = transformer_.forward(inputs, options, attention_setup(inputs, options), out);  // (B, S, E)
  // lm_head is the token embedding (V, E) itself: one tensor, its gradient sums both uses.
  out.logits = linear(h, lm_head_.defined() ? lm_head_ : transformer_.token_embeddings());  // (B, S, V)
  if (inputs.labels.defined()) out.loss = causal_lm_loss(out.logits, inputs.labels);
  return out;
}

// ---- OpenAIGPTForSequenceClassification / GPT2ForSequenceClassification -------------------------

GPTForSequenceClassification::GPTForSequenceClassification(ModelConfig config)
    : PreTrainedModel(require_gpt(std::move(config))),
      transformer_(config_, kept_heads_),
      score_(Linear::make(config_.hidden_size, config_.num_labels, /*with_bias=*/false)) {
  requires_grad_(true);
}

std::string GPTForSequenceClassification::class_name() const {
  return gpt_class_name(config_, "ForSequenceClassification");
}

void GPTForSequenceClassification::visit_parameters(const ParameterVisitor& fn) {
  transformer_.visit("transformer.", fn);
  score_.visit("score", fn);
}

ModelOutput GPTForSequenceClassification::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  Tensor h = transformer_.forward(inputs, options, attention_setup(inputs, options), out);  // (B, S, E)
  // HF scores every token then picks the last non-pad one; picking first gives the same numbers.
  out.logits = score_(last_token_states(h, inputs.input_ids, config_.pad_token_id));  // (B, C)
  if (inputs.labels.defined()) out.loss = sequence_classification_loss(out.logits, inputs.labels, config_);
  return out;
}

}  // namespace bertology

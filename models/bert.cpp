// BERT's forward pass (embeddings -> L × [attention, LN, feed-forward, LN] -> pooler) and its
// three HF model classes, with HF's parameter names.
#include <bertology/models/bert.h>

#include <cmath>

#include <bertology/autograd/functions.h>
#include <bertology/autograd/profile.h>
#include <bertology/models/heads.h>

namespace bertology {

void BertLayer::visit(const std::string& p, const ParameterVisitor& fn) {
  query.visit(p + ".attention.self.query", fn);
  key.visit(p + ".attention.self.key", fn);
  value.visit(p + ".attention.self.value", fn);
  attention_output.visit(p + ".attention.output.dense", fn);
  attention_norm.visit(p + ".attention.output.LayerNorm", fn);
  intermediate.visit(p + ".intermediate.dense", fn);
  output.visit(p + ".output.dense", fn);
  output_norm.visit(p + ".output.LayerNorm", fn);
}

BertBackbone::BertBackbone(const ModelConfig& c, const std::vector<std::vector<int64_t>>& kept_heads,
                           bool with_pooler)
    : config_(c), kept_heads_(kept_heads), with_pooler_(with_pooler) {
  const int64_t E = c.hidden_size, D = c.head_size();
  word_embeddings_ = Tensor::empty({c.vocab_size, E});
  position_embeddings_ = Tensor::empty({c.max_position_embeddings, E});
  token_type_embeddings_ = Tensor::empty({c.type_vocab_size, E});
  embeddings_norm_ = LayerNorm::make(E, c.layer_norm_eps);
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const int64_t inner = static_cast<int64_t>(kept_heads[l].size()) * D;  // H'·D after pruning
    layers_.push_back({Linear::make(E, inner), Linear::make(E, inner), Linear::make(E, inner),
                       Linear::make(inner, E), LayerNorm::make(E, c.layer_norm_eps),
                       Linear::make(E, c.intermediate_size), Linear::make(c.intermediate_size, E),
                       LayerNorm::make(E, c.layer_norm_eps)});
  }
  if (with_pooler) pooler_ = Linear::make(E, E);
}

void BertBackbone::visit(const std::string& prefix, const ParameterVisitor& fn) {
  fn(prefix + "embeddings.word_embeddings.weight", word_embeddings_);
  fn(prefix + "embeddings.position_embeddings.weight", position_embeddings_);
  fn(prefix + "embeddings.token_type_embeddings.weight", token_type_embeddings_);
  embeddings_norm_.visit(prefix + "embeddings.LayerNorm", fn);
  for (size_t l = 0; l < layers_.size(); ++l) layers_[l].visit(concat(prefix, "encoder.layer.", l), fn);
  if (with_pooler_) pooler_.visit(prefix + "pooler.dense", fn);
}

void BertBackbone::prune_layer(int64_t l, const std::vector<int64_t>& keep) {
  const int64_t D = config_.head_size();
  BertLayer& layer = layers_[l];
  for (Linear* projection : {&layer.query, &layer.key, &layer.value}) {  // keep rows of kept heads
    projection->weight = keep_heads(projection->weight, 0, keep, D);
    projection->bias = keep_heads(projection->bias, 0, keep, D);
  }
  layer.attention_output.weight =
      keep_heads(layer.attention_output.weight, 1, keep, D);  // columns; bias whole
}

Tensor BertBackbone::embed(const ModelInputs& in, const AttentionSetup& setup) {
  const int64_t B = in.input_ids.size(0), S = in.input_ids.size(1);
  const Device device = word_embeddings_.device();
  Tensor types = in.token_type_ids.defined() ? in.token_type_ids : Tensor::zeros({B, S}, DType::Int64, device);
  Tensor positions = Tensor::arange(S).to(device);  // (S)
  Tensor h =
      embedding(word_embeddings_, in.input_ids) + embedding(token_type_embeddings_, types);  // (B, S, E)
  h = h + embedding(position_embeddings_, positions);  // (S, E) broadcast over B
  h = embeddings_norm_(h);
  return dropout(h, config_.embedding_dropout, setup.training, *setup.generator);
}

Tensor BertBackbone::layer_forward(int64_t l, const Tensor& x, const AttentionSetup& setup,
                                   ModelOutput& out) {
  const BertLayer& layer = layers_[l];
  const int64_t B = x.size(0), S = x.size(1), E = x.size(2), D = config_.head_size();
  const int64_t H = static_cast<int64_t>(kept_heads_[l].size());  // heads left after pruning
  Tensor attention;                                               // (B, S, E)
  if (H > 0) {
    profile::Scope heads("attention heads");  // all the work that scales with the heads kept
    const Projections qkv{layer.query(x), layer.key(x), layer.value(x), Tensor()};  // (B, S, H·D) each
    AttentionResult a = attend(qkv, H, 1.0 / std::sqrt(static_cast<double>(D)),
                               layer_head_mask(setup.head_mask, l, kept_heads_[l]), setup);
    attention = layer.attention_output(a.output);
    if (setup.keep_probs) out.attentions.push_back(a.probs);
    if (setup.keep_contexts) {
      out.contexts.push_back(a.context);
      out.head_outputs.push_back(a.head_output);
    }
  } else {  // every head pruned: the block adds only the output bias
    attention = layer.attention_output.bias.expand({B, S, E});
    if (setup.keep_probs) out.attentions.push_back(Tensor::zeros({B, 0, S, S}, x.dtype(), x.device()));
    if (setup.keep_contexts) {
      out.contexts.push_back(Tensor::zeros({B, 0, S, D}, x.dtype(), x.device()));
      out.head_outputs.push_back(out.contexts.back());
    }
  }
  attention = dropout(attention, config_.hidden_dropout, setup.training, *setup.generator);
  Tensor h = layer.attention_norm(x + attention);                                   // post-LN
  Tensor ff;
  {
    profile::Scope feed_forward("feed-forward");
    ff = layer.output(activation(layer.intermediate(h), config_.activation));  // (B, S, E)
  }
  ff = dropout(ff, config_.hidden_dropout, setup.training, *setup.generator);
  return layer.output_norm(h + ff);
}

Tensor BertBackbone::forward(const ModelInputs& in, const ForwardOptions& options,
                             const AttentionSetup& setup, ModelOutput& out) {
  Tensor h = embed(in, setup);  // (B, S, E)
  if (options.output_hidden_states) out.hidden_states.push_back(h);
  for (int64_t l = 0; l < static_cast<int64_t>(layers_.size()); ++l) {
    h = layer_forward(l, h, setup, out);
    if (options.output_hidden_states) out.hidden_states.push_back(h);
  }
  out.last_hidden_state = h;
  if (with_pooler_) out.pooler_output = tanh(pooler_(h.select(1, 0)));  // (B, E) from [CLS]
  return h;
}

// ---- BertModel -----------------------------------------------------------------------------------

BertModel::BertModel(ModelConfig config, bool add_pooling_layer)
    : PreTrainedModel(std::move(config)), bert_(config_, kept_heads_, add_pooling_layer) {
  requires_grad_(true);
}

ModelOutput BertModel::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  bert_.forward(inputs, options, attention_setup(inputs, options), out);
  return out;
}

// ---- BertForSequenceClassification ---------------------------------------------------------------

BertForSequenceClassification::BertForSequenceClassification(ModelConfig config)
    : PreTrainedModel(std::move(config)),
      bert_(config_, kept_heads_, true),
      classifier_(Linear::make(config_.hidden_size, config_.num_labels)) {
  requires_grad_(true);
}

void BertForSequenceClassification::visit_parameters(const ParameterVisitor& fn) {
  bert_.visit("bert.", fn);
  classifier_.visit("classifier", fn);
}

ModelOutput BertForSequenceClassification::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  AttentionSetup setup = attention_setup(inputs, options);
  bert_.forward(inputs, options, setup, out);
  Tensor pooled = dropout(out.pooler_output, config_.classifier_dropout, training_, generator_);  // (B, E)
  out.logits = classifier_(pooled);                                                               // (B, C)
  if (inputs.labels.defined()) out.loss = sequence_classification_loss(out.logits, inputs.labels, config_);
  return out;
}

// ---- BertForMaskedLM -----------------------------------------------------------------------------

BertForMaskedLM::BertForMaskedLM(ModelConfig config)
    : PreTrainedModel(std::move(config)),
      bert_(config_, kept_heads_, false),
      transform_(Linear::make(config_.hidden_size, config_.hidden_size)),
      transform_norm_(LayerNorm::make(config_.hidden_size, config_.layer_norm_eps)),
      decoder_bias_(Tensor::empty({config_.vocab_size})) {
  if (!config_.tie_word_embeddings)
    decoder_weight_ = Tensor::empty({config_.vocab_size, config_.hidden_size});
  requires_grad_(true);
}

void BertForMaskedLM::visit_parameters(const ParameterVisitor& fn) {
  bert_.visit("bert.", fn);
  transform_.visit("cls.predictions.transform.dense", fn);
  transform_norm_.visit("cls.predictions.transform.LayerNorm", fn);
  if (decoder_weight_.defined()) fn("cls.predictions.decoder.weight", decoder_weight_);
  fn("cls.predictions.bias", decoder_bias_);  // HF's decoder.bias is this same tensor
}

ModelOutput BertForMaskedLM::forward(const ModelInputs& given, const ForwardOptions& options) {
  check_inputs(given);
  const ModelInputs inputs = on_model_device(given);
  ModelOutput out;
  Tensor h = bert_.forward(inputs, options, attention_setup(inputs, options), out);  // (B, S, E)
  Tensor targets;  // (N) when only labelled positions go through the head
  if (options.logits_only_where_labelled && inputs.labels.defined() && inputs.labels.sizes() == inputs.input_ids.sizes() &&
      inputs.labels.dtype() == DType::Int64) {
    std::vector<int64_t> rows, labels;
    const std::vector<int64_t> all = inputs.labels.to_vector<int64_t>();
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i] != -100) {
        rows.push_back(static_cast<int64_t>(i));
        labels.push_back(all[i]);
      }
    if (!rows.empty()) {
      const int64_t n = static_cast<int64_t>(rows.size());
      h = index_select(h.reshape({h.size(0) * h.size(1), h.size(2)}), 0, Tensor::from_vector(rows, {n}).to(h.device()));  // (N, E)
      targets = Tensor::from_vector(labels, {n}).to(h.device());
    }
  }
  h = transform_norm_(activation(transform_(h), config_.activation));
  // The decoder is tied to the word embeddings (V, E): the same tensor, so its gradient sums both uses.
  const Tensor& decoder = decoder_weight_.defined() ? decoder_weight_ : bert_.word_embeddings();
  out.logits = linear(h, decoder, decoder_bias_);  // (B, S, V), or (N, V)
  if (targets.defined()) out.loss = cross_entropy(out.logits, targets);
  else if (inputs.labels.defined()) out.loss = masked_lm_loss(out.logits, inputs.labels);
  return out;
}

}  // namespace bertology

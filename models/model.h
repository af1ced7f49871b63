// PreTrainedModel: what BERT, OpenAI GPT and GPT-2 models share: the forward's inputs, options and
// outputs, HF-named parameters, train/eval mode, head pruning and save_pretrained.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <bertology/models/attention.h>
#include <bertology/models/checkpoint/state_dict.h>
#include <bertology/models/config.h>
#include <bertology/models/layers.h>
#include <bertology/tensor/generator.h>
#include <bertology/tensor/tensor.h>

namespace bertology {

struct ModelInputs {
  Tensor input_ids;       // (B, S) int64, each < vocab_size
  Tensor attention_mask;  // (B, S) 1 = token, 0 = padding; undefined = all tokens
  Tensor token_type_ids;  // (B, S) int64; undefined = zeros (BERT) / none (GPT)
  Tensor labels;          // undefined = no loss. Classes (B) int64; regression targets (B) float;
                          // LM / MLM tokens (B, S) int64 with -100 = ignore
  // ξ: (H) for every layer, (L, H) for the batch, or (B, L, H) one mask per example. Original
  // head numbers even after pruning. May require grad: ∂loss/∂ξ is the head importance.
  Tensor head_mask;
};

struct ForwardOptions {
  bool output_hidden_states = false;  // hidden_states: L+1 tensors (B, S, E)
  bool output_attentions = false;     // attentions: L tensors (B, H', S, S)
  bool output_contexts = false;       // contexts: L tensors (B, H', S, D)
  // Attentions as plain values, without autograd history, even while the graph is recorded (for
  // statistics such as entropy): the attention core then runs as one fused kernel.
  bool attentions_without_grad = false;
  // BertForMaskedLM with labels: run the prediction head only where a label is given (!= -100).
  // The loss is the same; logits are then (N, V) for those N positions in row-major order.
  // Training sets it: over all positions the head is most of a small model's cost.
  bool logits_only_where_labelled = false;
};

struct ModelOutput {
  Tensor logits;             // (B, C) sequence classification; (B, S, V) LM / MLM; undefined for base models
  Tensor loss;               // 0-dim, when labels were given
  Tensor last_hidden_state;  // (B, S, E)
  Tensor pooler_output;      // (B, E), BERT models with a pooler
  std::vector<Tensor> hidden_states;  // embeddings output first; GPT-2's last one is after ln_f
  std::vector<Tensor> attentions;     // softmax probabilities (times ξ when a head mask is given)
  // contexts[l] = ξ_h · P_h V_h for each remaining head h of layer l, the tensor that enters the
  // output projection. It is a non-leaf: call retain_grad() or register_hook() on it before
  // backward to get ∂loss/∂context; then ∂loss/∂ξ_h = Σ_{b,t} ⟨P_h V_h, ∂loss/∂context_h⟩.
  std::vector<Tensor> contexts;
  // head_outputs[l] = P_h V_h, the same heads before ξ_h, as values without autograd history (with
  // output_contexts): a masked head's context is 0, but its P_h V_h is not.
  std::vector<Tensor> head_outputs;
};

// How the loaded weights got here (for save_pretrained and for messages).
struct ModelSource {
  std::string directory;                      // folder loaded from ("" for a fresh model)
  std::string dtype = "F32";                  // checkpoint dtype, kept by save_pretrained
  std::vector<std::string> unexpected_keys;   // checkpoint tensors the model did not use
  std::vector<std::string> initialized_keys;  // parameters absent from the checkpoint, initialised
};

class PreTrainedModel {
 public:
  explicit PreTrainedModel(ModelConfig config);
  virtual ~PreTrainedModel() = default;
  PreTrainedModel(const PreTrainedModel&) = delete;
  PreTrainedModel& operator=(const PreTrainedModel&) = delete;

  virtual std::string class_name() const = 0;  // HF's class name, e.g. "GPT2LMHeadModel"
  virtual ModelOutput forward(const ModelInputs& inputs, const ForwardOptions& options = {}) = 0;
  ModelOutput operator()(const ModelInputs& inputs, const ForwardOptions& options = {}) {
    return forward(inputs, options);
  }

  const ModelConfig& config() const { return config_; }
  int64_t num_layers() const { return config_.num_layers; }
  int64_t num_heads() const { return config_.num_heads; }  // before pruning
  // Original numbers of the heads layer `layer` still has, ascending.
  const std::vector<int64_t>& kept_heads(int64_t layer) const;

  // ---- parameters --------------------------------------------------------------------------
  // HF names, each parameter once (tied weights under the embedding's name), in model order.
  std::vector<std::pair<std::string, Tensor>> named_parameters();
  Tensor parameter(const std::string& name);  // throws naming the model when absent
  StateDict state_dict();                     // the tensors save_pretrained writes
  // Replaces every parameter by the checkpoint's tensor of the same name (HF name variants
  // accepted: with or without the base-model prefix, LayerNorm gamma/beta). A missing tensor
  // or a shape that disagrees with config.json is an Error naming the tensor and both shapes,
  // unless `init_missing` lists a name prefix whose tensors may be freshly initialised.
  void load_state_dict(const StateDict& weights, const std::string& where,
                       const std::vector<std::string>& init_missing = {});
  // HF's _init_weights: normal(0, initializer_range) for matrices and embeddings, zeros for
  // biases, ones for LayerNorm weights.
  void init_weights(Generator& generator);
  void requires_grad_(bool requires_grad);  // on every parameter (all leaves)
  void zero_grad();
  // Converts every parameter to dtype (float32 computes; float64 for gradient checks).
  void to(DType dtype);
  DType dtype();
  // Moves every parameter to device (Device::cuda() needs a build with BERTOLOGY_CUDA). Inputs
  // given to forward() are moved to the model's device there; outputs stay on it.
  void to(Device device);
  Device device();

  // ---- modes -------------------------------------------------------------------------------
  void train(bool on = true) { training_ = on; }  // dropout on
  void eval() { training_ = false; }              // the default
  bool is_training() const { return training_; }
  Generator& generator() { return generator_; }  // dropout's random numbers

  // ---- pruning and saving ------------------------------------------------------------------
  // Removes heads for real (HF semantics): {layer: original head numbers}; heads already gone
  // are skipped; every head of a layer may go (the attention block then adds only its output
  // bias). Updates config().pruned_heads.
  void prune_heads(const std::map<int64_t, std::vector<int64_t>>& heads_to_prune);
  // config.json + model.safetensors in HF layout, the checkpoint's dtype kept, tied weights
  // stored once; written to a temporary folder then renamed. Refuses the folder loaded from.
  void save_pretrained(const std::string& directory);

  ModelSource& source() { return source_; }
  const ModelSource& source() const { return source_; }

 protected:
  // Each architecture lists its parameters (HF names, each once) through fn.
  virtual void visit_parameters(const ParameterVisitor& fn) = 0;
  // Keeps only the heads at `keep` (positions among the layer's current heads) of layer `layer`.
  virtual void prune_layer(int64_t layer, const std::vector<int64_t>& keep) = 0;
  // The prefix of the base model's parameters in head models ("bert.", "transformer.") or "".
  virtual std::string base_prefix() const = 0;

  // Shared forward checks: ids in range, length within max_position_embeddings, mask shapes.
  void check_inputs(const ModelInputs& inputs) const;
  // The inputs on the parameters' device (the same tensors when already there).
  ModelInputs on_model_device(const ModelInputs& inputs);
  // The attention settings of one forward: padding mask, head mask, dropout, what to keep.
  AttentionSetup attention_setup(const ModelInputs& inputs, const ForwardOptions& options);

  ModelConfig config_;
  std::vector<std::vector<int64_t>> kept_heads_;  // per layer, original head numbers
  bool training_ = false;
  Generator generator_{0};
  ModelSource source_;
};

// Splits a parameter along `dim`, keeping whole heads: `keep` holds head positions, each head
// `head_size` consecutive indices; `blocks` > 1 repeats the selection in each of `blocks` equal
// parts (GPT's fused q|k|v columns). Returns a new leaf with the same requires_grad.
Tensor keep_heads(const Tensor& parameter, int64_t dim, const std::vector<int64_t>& keep, int64_t head_size,
                  int64_t blocks = 1);

}  // namespace bertology

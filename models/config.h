// ModelConfig: the fields of a HuggingFace config.json that BERT, OpenAI GPT and GPT-2 use, under
// one set of names (GPT's n_embd is hidden_size, ...). The original JSON is kept for saving.
#pragma once
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace bertology {

enum class ModelFamily { Bert, OpenAIGPT, GPT2 };
const char* family_name(ModelFamily family);  // "bert", "openai-gpt", "gpt2"

// The feed-forward activation, resolved per family: BERT/GPT-2 "gelu" is the exact erf GELU,
// OpenAI GPT's afn "gelu" is the tanh approximation (HF's gelu_new).
enum class Activation { GeluErf, GeluTanh, Relu, Silu };

struct ModelConfig {
  std::string model_type;  // "bert", "openai-gpt", "gpt2"
  ModelFamily family = ModelFamily::Bert;
  std::vector<std::string> architectures;  // e.g. {"BertForSequenceClassification"}

  int64_t vocab_size = 0;               // V
  int64_t hidden_size = 0;              // E   (GPT: n_embd)
  int64_t num_layers = 0;               // L   (GPT: n_layer)
  int64_t num_heads = 0;                // H   (GPT: n_head), before pruning
  int64_t intermediate_size = 0;        // feed-forward width (GPT: n_inner, null = 4E)
  int64_t max_position_embeddings = 0;  // GPT: n_positions
  int64_t type_vocab_size = 0;          // BERT only
  Activation activation = Activation::GeluErf;
  std::string activation_name;    // as written in config.json
  double layer_norm_eps = 1e-12;  // BERT layer_norm_eps, GPT layer_norm_epsilon
  std::optional<int64_t> pad_token_id;
  double initializer_range = 0.02;

  // Dropout probabilities (train mode only).
  double hidden_dropout = 0.1;      // BERT hidden_dropout_prob, GPT resid_pdrop
  double attention_dropout = 0.1;   // BERT attention_probs_dropout_prob, GPT attn_pdrop
  double embedding_dropout = 0.1;   // BERT hidden_dropout_prob, GPT embd_pdrop
  double classifier_dropout = 0.1;  // BERT classifier_dropout (null = hidden_dropout_prob)

  // Task heads.
  int64_t num_labels = 2;
  std::map<int64_t, std::string> id2label;
  std::map<std::string, int64_t> label2id;
  std::string problem_type;  // "", "regression", "single_label_classification", "multi_label_classification"
  bool tie_word_embeddings = true;

  // GPT-2 attention scaling switches.
  bool scale_attn_weights = true;
  bool scale_attn_by_inverse_layer_idx = false;

  // Heads removed by pruning: layer -> original head indices.
  std::map<int64_t, std::set<int64_t>> pruned_heads;

  std::string torch_dtype;    // "float32", "float16", "bfloat16" or "" (config "dtype"/"torch_dtype")
  std::string original_json;  // config.json as read, re-emitted by to_json() with updates
  std::string source_path;    // the file it was read from ("" when built in code), for messages

  int64_t head_size() const { return hidden_size / num_heads; }  // D
  // The architecture to build: the first of `architectures`, else the family's base model.
  std::string architecture() const;

  // config.json text with pruned_heads (string keys, sorted lists) and architectures updated;
  // every other field, known or not, as it was read.
  std::string to_json() const;
};

// Parses config.json text; `where` names the file in error messages.
ModelConfig parse_config(const std::string& json_text, const std::string& where = "config.json");
ModelConfig load_config(const std::string& path);

}  // namespace bertology

// AutoModel for this library: the class named by config.json (or the family's base model), built
// with the config's shapes, then filled from the folder's checkpoint or HF's random init.
#include <bertology/models/load_model.h>

#include <filesystem>
#include <functional>

#include <bertology/models/bert.h>
#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/gpt.h>
#include <bertology/tensor/cpu_allocator.h>
#include <bertology/tensor/system_memory.h>

namespace bertology {
namespace {

using Factory = std::function<std::unique_ptr<PreTrainedModel>(const ModelConfig&)>;

const std::vector<std::pair<std::string, Factory>>& factories() {
  static const std::vector<std::pair<std::string, Factory>> table = {
      {"BertModel", [](const ModelConfig& c) { return std::make_unique<BertModel>(c); }},
      {"BertForSequenceClassification",
       [](const ModelConfig& c) { return std::make_unique<BertForSequenceClassification>(c); }},
      {"BertForMaskedLM", [](const ModelConfig& c) { return std::make_unique<BertForMaskedLM>(c); }},
      {"OpenAIGPTModel", [](const ModelConfig& c) { return std::make_unique<OpenAIGPTModel>(c); }},
      {"OpenAIGPTLMHeadModel",
       [](const ModelConfig& c) { return std::make_unique<OpenAIGPTLMHeadModel>(c); }},
      {"OpenAIGPTForSequenceClassification",
       [](const ModelConfig& c) { return std::make_unique<OpenAIGPTForSequenceClassification>(c); }},
      {"GPT2Model", [](const ModelConfig& c) { return std::make_unique<GPT2Model>(c); }},
      {"GPT2LMHeadModel", [](const ModelConfig& c) { return std::make_unique<GPT2LMHeadModel>(c); }},
      {"GPT2ForSequenceClassification",
       [](const ModelConfig& c) { return std::make_unique<GPT2ForSequenceClassification>(c); }},
  };
  return table;
}

// Parameters of task heads, which a pre-trained body's checkpoint may lack.
const std::vector<std::string> kHeadPrefixes = {"pooler.", "bert.pooler.", "classifier.",
                                                "score.",  "cls.",         "lm_head."};

// The float32 bytes of a model's main weight matrices (embeddings, attention, feed-forward): a
// lower bound on what building it allocates, computed in double so absurd sizes cannot wrap.
double weight_bytes_lower_bound(const ModelConfig& c) {
  const double hidden = static_cast<double>(c.hidden_size);
  const double embeddings = (static_cast<double>(c.vocab_size) + static_cast<double>(c.max_position_embeddings) +
                             static_cast<double>(c.type_vocab_size)) * hidden;
  const double per_layer = 4 * hidden * hidden + 2 * hidden * static_cast<double>(c.intermediate_size);
  return 4 * (embeddings + static_cast<double>(c.num_layers) * per_layer);
}

}  // namespace

const std::vector<std::string>& supported_architectures() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& [name, factory] : factories()) out.push_back(name);
    return out;
  }();
  return names;
}

std::unique_ptr<PreTrainedModel> create_model(const ModelConfig& config, const std::string& architecture) {
  const std::string name = architecture.empty() ? config.architecture() : architecture;
  for (const auto& [known, factory] : factories()) {
    if (known != name) continue;
    require_memory(weight_bytes_lower_bound(config), "the model's weights",
                   config.source_path.empty() ? name : config.source_path);
    return factory(config);
  }
  std::string list;
  for (const auto& known : supported_architectures()) list += (list.empty() ? "" : ", ") + known;
  throw Error(concat("unsupported architecture '", name, "' (supported: ", list, ")"));
}

std::unique_ptr<PreTrainedModel> init_model(const ModelConfig& config, uint64_t seed,
                                            const std::string& architecture) {
  auto model = create_model(config, architecture);
  Generator generator(seed);
  model->init_weights(generator);
  // Initialising replaced every parameter (through float64 draws); the storage cache would keep
  // those blocks resident, about as much again as the weights, for sizes no later pass asks for.
  cpu_empty_cache();
  return model;
}

std::unique_ptr<PreTrainedModel> load_model(const std::string& directory, const LoadOptions& options) {
  const std::filesystem::path dir(directory);
  if (!std::filesystem::is_directory(dir)) throw Error(concat("model folder '", directory, "' not found"));
  ModelConfig config = load_config((dir / "config.json").string());
  if (options.num_labels && *options.num_labels != config.num_labels) {
    if (*options.num_labels < 1) throw Error("load_model: num_labels must be at least 1");
    config.num_labels = *options.num_labels;
    config.id2label.clear();
    config.label2id.clear();
    for (int64_t i = 0; i < config.num_labels; ++i) {
      config.id2label[i] = concat("LABEL_", i);
      config.label2id[concat("LABEL_", i)] = i;
    }
  }
  auto model = create_model(config, options.architecture);
  Checkpoint checkpoint = load_checkpoint(directory);
  model->load_state_dict(checkpoint.tensors, checkpoint.source.empty() ? directory : checkpoint.source,
                         options.init_missing_head ? kHeadPrefixes : std::vector<std::string>{});
  model->source().directory = directory;
  if (!checkpoint.dtype.empty()) model->source().dtype = checkpoint.dtype;
  cpu_empty_cache();  // the weights the constructor allocated, replaced by the checkpoint's
  return model;
}

}  // namespace bertology

// Building a model from a config (AutoModel's choice by `architectures` / `model_type`) and
// loading one from a HuggingFace model folder.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <bertology/models/model.h>

namespace bertology {

// The architectures this library builds, by HF class name.
const std::vector<std::string>& supported_architectures();

// A model of config.architecture() (or `architecture` when given) with uninitialised weights of
// the shapes config.json implies (pruned heads included). Unknown class names are an Error.
std::unique_ptr<PreTrainedModel> create_model(const ModelConfig& config,
                                              const std::string& architecture = "");

// A model with HF's random initialisation (normal(0, initializer_range)), e.g. for benchmarks.
std::unique_ptr<PreTrainedModel> init_model(const ModelConfig& config, uint64_t seed = 0,
                                            const std::string& architecture = "");

struct LoadOptions {
  std::string architecture;           // "" = config.json's; e.g. "BertForSequenceClassification"
  std::optional<int64_t> num_labels;  // overrides config.json (new head: see init_missing_head)
  // Initialise the task head (pooler, classifier, score, MLM transform) when the checkpoint has
  // none, as HF does when fine-tuning starts from a pre-trained body. Off: missing = Error.
  bool init_missing_head = false;
};

// config.json + weights (safetensors, sharded, pytorch_model.bin) from `directory`, compute in
// float32, eval mode, every parameter a leaf that requires grad.
std::unique_ptr<PreTrainedModel> load_model(const std::string& directory, const LoadOptions& options = {});

}  // namespace bertology

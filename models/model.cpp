// PreTrainedModel's shared machinery: parameters by HF name, loading a state dict with shape
// checks, HF's weight initialisation, input checks, the attention setup and head pruning.
#include <bertology/models/model.h>
#include <bertology/tensor/kernels/kernels.h>

#include <algorithm>
#include <cmath>
#include <set>

#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>

namespace bertology {
namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The family's base-model prefix in head models' checkpoints.
std::string family_prefix(ModelFamily family) {
  return family == ModelFamily::Bert ? "bert." : "transformer.";
}

// Old TensorFlow-era names: LayerNorm.gamma / .beta are LayerNorm.weight / .bias.
std::string modern_name(const std::string& name) {
  if (ends_with(name, "LayerNorm.gamma")) return name.substr(0, name.size() - 5) + "weight";
  if (ends_with(name, "LayerNorm.beta")) return name.substr(0, name.size() - 4) + "bias";
  return name;
}

// Checkpoint entries that are not parameters of their own: tied copies and constant buffers.
bool is_tied_copy_or_buffer(const std::string& name) {
  return ends_with(name, "cls.predictions.decoder.weight") ||
         ends_with(name, "cls.predictions.decoder.bias") || name == "lm_head.weight" ||
         ends_with(name, ".attn.bias") || ends_with(name, ".attn.masked_bias") ||
         ends_with(name, "embeddings.position_ids");
}

bool is_layer_norm_weight(const std::string& name) {
  if (!ends_with(name, ".weight")) return false;
  const std::string module = name.substr(0, name.size() - 7);  // "....LayerNorm" or "....ln_1"
  const std::string last = module.substr(module.rfind('.') + 1);
  return last == "LayerNorm" || starts_with(last, "ln_");
}

}  // namespace

PreTrainedModel::PreTrainedModel(ModelConfig config) : config_(std::move(config)) {
  kept_heads_.resize(config_.num_layers);
  for (int64_t l = 0; l < config_.num_layers; ++l) {
    const auto pruned = config_.pruned_heads.find(l);
    for (int64_t h = 0; h < config_.num_heads; ++h)
      if (pruned == config_.pruned_heads.end() || !pruned->second.count(h)) kept_heads_[l].push_back(h);
  }
}

const std::vector<int64_t>& PreTrainedModel::kept_heads(int64_t layer) const {
  if (layer < 0 || layer >= num_layers())
    throw Error(concat("kept_heads: layer ", layer, " out of range for a ", num_layers(), "-layer model"));
  return kept_heads_[layer];
}

// ---- parameters --------------------------------------------------------------------------------

std::vector<std::pair<std::string, Tensor>> PreTrainedModel::named_parameters() {
  std::vector<std::pair<std::string, Tensor>> out;
  visit_parameters([&](const std::string& name, Tensor& p) { out.emplace_back(name, p); });
  return out;
}

Tensor PreTrainedModel::parameter(const std::string& name) {
  Tensor found;
  visit_parameters([&](const std::string& n, Tensor& p) {
    if (n == name) found = p;
  });
  if (!found.defined()) throw Error(concat(class_name(), " has no parameter '", name, "'"));
  return found;
}

StateDict PreTrainedModel::state_dict() {
  StateDict out;
  visit_parameters([&](const std::string& name, Tensor& p) { out[name] = p.detach(); });
  return out;
}

void PreTrainedModel::load_state_dict(const StateDict& weights, const std::string& where,
                                      const std::vector<std::string>& init_missing) {
  std::map<std::string, std::string> by_name;  // modern name -> key in `weights`
  bool has_family_prefix = false;
  for (const auto& [key, tensor] : weights) {
    by_name[modern_name(key)] = key;
    has_family_prefix = has_family_prefix || starts_with(key, family_prefix(config_.family));
  }
  const std::string prefix = base_prefix();
  // The checkpoint key holding `name`: as is, or across the base-model / head-model prefix.
  auto find_key = [&](const std::string& name) -> const std::string* {
    std::vector<std::string> candidates{name};
    if (!prefix.empty() && starts_with(name, prefix) && !has_family_prefix)
      candidates.push_back(name.substr(prefix.size()));
    if (prefix.empty() && has_family_prefix) candidates.push_back(family_prefix(config_.family) + name);
    if (ends_with(name, "cls.predictions.bias"))
      candidates.push_back(name.substr(0, name.size() - 4) + "decoder.bias");
    for (const auto& c : candidates)
      if (auto it = by_name.find(c); it != by_name.end()) return &it->second;
    return nullptr;
  };

  const DType compute = dtype();
  std::set<std::string> used;
  std::vector<std::string> initialized;
  visit_parameters([&](const std::string& name, Tensor& p) {
    const std::string* key = find_key(name);
    if (!key) {
      const bool may_init = std::any_of(init_missing.begin(), init_missing.end(),
                                        [&](const std::string& pre) { return starts_with(name, pre); });
      if (!may_init)
        throw Error(concat(where, ": no tensor '", name, "' (", class_name(), " needs it, shape ",
                           p.shape_str(), ")"));
      initialized.push_back(name);
      return;
    }
    const Tensor& t = weights.at(*key);
    if (t.sizes() != p.sizes())
      throw Error(concat(where, ": tensor '", *key, "' has shape ", t.shape_str(),
                         " but config.json implies ", p.shape_str(), " for ", class_name()));
    if (!is_floating(t.dtype()))
      throw Error(concat(where, ": tensor '", *key, "' has dtype ", dtype_name(t.dtype()),
                         ", expected a float type"));
    if (int64_t bad = kernels::first_non_finite(t); bad >= 0)
      throw Error(concat(where, ": tensor '", *key, "' holds a non-finite value (", t.contiguous().to_vector<double>()[bad],
                         ") at element ", bad));
    const bool requires_grad = p.requires_grad();
    p = t.detach()
            .to(compute)
            .contiguous()
            .detach();  // a fresh leaf, whatever the caller does with `weights`
    p.requires_grad_(requires_grad);
    used.insert(*key);
  });
  source_.unexpected_keys.clear();
  for (const auto& [key, tensor] : weights)
    if (!used.count(key) && !is_tied_copy_or_buffer(key)) source_.unexpected_keys.push_back(key);
  source_.initialized_keys = initialized;
  if (!initialized.empty()) {
    Generator gen(0);
    std::set<std::string> fresh(initialized.begin(), initialized.end());
    visit_parameters([&](const std::string& name, Tensor& p) {
      if (!fresh.count(name)) return;
      NoGradGuard no_grad;
      const bool requires_grad = p.requires_grad();
      if (ends_with(name, ".bias"))
        p = Tensor::zeros(p.sizes(), compute);
      else if (is_layer_norm_weight(name))
        p = Tensor::ones(p.sizes(), compute);
      else
        p = (Tensor::randn(p.sizes(), gen, compute) * config_.initializer_range).detach();
      p.requires_grad_(requires_grad);
    });
  }
}

void PreTrainedModel::init_weights(Generator& generator) {
  NoGradGuard no_grad;
  const DType compute = dtype();
  visit_parameters([&](const std::string& name, Tensor& p) {
    const bool requires_grad = p.requires_grad();
    if (ends_with(name, ".bias")) {
      p = Tensor::zeros(p.sizes(), compute);
    } else if (is_layer_norm_weight(name)) {
      p = Tensor::ones(p.sizes(), compute);
    } else {
      double std = config_.initializer_range;
      // GPT-2's scheme: residual projections scaled by 1/√(2L).
      if (config_.family == ModelFamily::GPT2 && ends_with(name, "c_proj.weight"))
        std /= std::sqrt(2.0 * static_cast<double>(config_.num_layers));
      p = (Tensor::randn(p.sizes(), generator, compute) * std).detach();
      // BERT's word embedding of the padding token starts at zero (nn.Embedding padding_idx).
      if (config_.family == ModelFamily::Bert && ends_with(name, "word_embeddings.weight") &&
          config_.pad_token_id && *config_.pad_token_id >= 0 && *config_.pad_token_id < p.size(0)) {
        Tensor row = p.select(0, *config_.pad_token_id);
        row.zero_();
      }
    }
    p.requires_grad_(requires_grad);
  });
}

void PreTrainedModel::requires_grad_(bool requires_grad) {
  visit_parameters([&](const std::string&, Tensor& p) { p.requires_grad_(requires_grad); });
}

void PreTrainedModel::zero_grad() {
  visit_parameters([&](const std::string&, Tensor& p) { p.zero_grad(); });
}

void PreTrainedModel::to(DType target) {
  if (!is_floating(target))
    throw Error(concat("model.to: parameters must be float, not ", dtype_name(target)));
  visit_parameters([&](const std::string&, Tensor& p) {
    if (p.dtype() == target) return;
    const bool requires_grad = p.requires_grad();
    p = p.detach().to(target);
    p.requires_grad_(requires_grad);
  });
}

void PreTrainedModel::to(Device target) {
  visit_parameters([&](const std::string&, Tensor& p) {
    if (p.device() == target) return;
    const bool requires_grad = p.requires_grad();
    p = p.detach().to(target);  // a new leaf on the device
    p.requires_grad_(requires_grad);
  });
}

Device PreTrainedModel::device() {
  Device d = Device::cpu();
  bool first = true;
  visit_parameters([&](const std::string&, Tensor& p) {
    if (first) d = p.device();
    first = false;
  });
  return d;
}

ModelInputs PreTrainedModel::on_model_device(const ModelInputs& in) {
  const Device target = device();
  auto moved = [&](const Tensor& t) { return t.defined() ? t.to(target) : t; };
  // head_mask's move is recorded by autograd: its gradient flows back to the caller's tensor.
  return ModelInputs{moved(in.input_ids), moved(in.attention_mask), moved(in.token_type_ids), moved(in.labels),
                     moved(in.head_mask)};
}

DType PreTrainedModel::dtype() {
  DType d = DType::Float32;
  bool first = true;
  visit_parameters([&](const std::string&, Tensor& p) {
    if (first) d = p.dtype();
    first = false;
  });
  return d;
}

// ---- forward helpers -----------------------------------------------------------------------------

void PreTrainedModel::check_inputs(const ModelInputs& in) const {
  const Tensor& ids = in.input_ids;
  if (!ids.defined()) throw Error(concat(class_name(), ": input_ids are required"));
  if (ids.dtype() != DType::Int64 || ids.dim() != 2 || ids.size(0) < 1 || ids.size(1) < 1)
    throw Error(concat(class_name(), ": input_ids must be a non-empty int64 (B, S) tensor, got ",
                       dtype_name(ids.dtype()), " ", ids.shape_str()));
  const int64_t B = ids.size(0), S = ids.size(1);
  if (S > config_.max_position_embeddings)
    throw Error(concat(class_name(), ": sequence length ", S, " exceeds max_position_embeddings ",
                       config_.max_position_embeddings));
  auto check_ids = [&](const Tensor& t, const char* what, int64_t limit, const char* limit_name) {
    const std::vector<int64_t> values = t.to_vector<int64_t>();
    for (size_t i = 0; i < values.size(); ++i)
      if (values[i] < 0 || values[i] >= limit)
        throw Error(concat(class_name(), ": ", what, " ", values[i], " at position [", i / S, ", ", i % S,
                           "] is outside [0, ", limit, ") (", limit_name, " ", limit, ")"));
  };
  check_ids(ids, "input id", config_.vocab_size, "vocab_size");
  if (in.attention_mask.defined() && in.attention_mask.sizes() != Shape{B, S})
    throw Error(concat(class_name(), ": attention_mask has shape ", in.attention_mask.shape_str(),
                       ", expected (B, S) = ", shape_str({B, S})));
  if (in.token_type_ids.defined()) {
    if (in.token_type_ids.dtype() != DType::Int64 || in.token_type_ids.sizes() != Shape{B, S})
      throw Error(concat(class_name(), ": token_type_ids must be int64 of shape (B, S) = ", shape_str({B, S}),
                         ", got ", dtype_name(in.token_type_ids.dtype()), " ",
                         in.token_type_ids.shape_str()));
    if (config_.family == ModelFamily::Bert)
      check_ids(in.token_type_ids, "token type id", config_.type_vocab_size, "type_vocab_size");
    else  // GPT models embed token types with the token embedding
      check_ids(in.token_type_ids, "token type id", config_.vocab_size, "vocab_size");
  }
}

AttentionSetup PreTrainedModel::attention_setup(const ModelInputs& in, const ForwardOptions& options) {
  const DType compute = dtype();
  const int64_t B = in.input_ids.size(0), S = in.input_ids.size(1);
  AttentionSetup setup;
  Tensor keys =
      in.attention_mask.defined() ? key_padding_mask(in.attention_mask, compute) : Tensor();  // (B, 1, 1, S)
  switch (config_.family) {
    case ModelFamily::Bert:
      setup.additive_mask = keys;
      break;                                             // bidirectional
    case ModelFamily::GPT2: {                            // causal via finfo.min, plus padding
      Tensor causal = causal_additive_mask(S, compute).to(device());  // (1, 1, S, S)
      NoGradGuard no_grad;
      setup.additive_mask = keys.defined() ? causal + keys : causal;  // (B, 1, S, S)
      break;
    }
    case ModelFamily::OpenAIGPT:  // causal w·b - 1e4·(1-b), plus padding
      setup.future = future_positions(S).to(device());
      setup.additive_mask = keys;
      break;
  }
  if (in.head_mask.defined())
    setup.head_mask = normalize_head_mask(in.head_mask, B, config_.num_layers, config_.num_heads, compute);
  setup.dropout = config_.attention_dropout;
  setup.training = training_;
  setup.generator = &generator_;
  setup.keep_probs = options.output_attentions;
  setup.probs_need_grad = !options.attentions_without_grad;
  setup.keep_contexts = options.output_contexts;
  return setup;
}

// ---- pruning -------------------------------------------------------------------------------------

void PreTrainedModel::prune_heads(const std::map<int64_t, std::vector<int64_t>>& heads_to_prune) {
  for (const auto& [layer, heads] : heads_to_prune) {
    if (layer < 0 || layer >= num_layers())
      throw Error(concat("cannot prune layer ", layer, ": the model has ", num_layers(), " layers (0 to ", num_layers() - 1, ")"));
    for (int64_t h : heads)
      if (h < 0 || h >= num_heads())
        throw Error(
            concat("cannot prune head ", h, " of layer ", layer, ": the model has ", num_heads(), " heads a layer (0 to ",
                   num_heads() - 1, ")"));
  }
  NoGradGuard no_grad;
  for (const auto& [layer, heads] : heads_to_prune) {
    const std::set<int64_t> remove(heads.begin(), heads.end());
    std::vector<int64_t>& kept = kept_heads_[layer];
    std::vector<int64_t> keep_positions, still_kept;  // positions among the current heads
    for (size_t i = 0; i < kept.size(); ++i)
      if (!remove.count(kept[i])) {
        keep_positions.push_back(static_cast<int64_t>(i));
        still_kept.push_back(kept[i]);
      }
    if (still_kept.size() == kept.size()) continue;  // every head asked for is already gone
    prune_layer(layer, keep_positions);
    for (int64_t h : kept)
      if (remove.count(h)) config_.pruned_heads[layer].insert(h);
    kept = still_kept;
  }
}

Tensor keep_heads(const Tensor& parameter, int64_t dim, const std::vector<int64_t>& keep, int64_t head_size,
                  int64_t blocks) {
  NoGradGuard no_grad;
  const int64_t block = parameter.size(dim) / blocks;
  std::vector<int64_t> index;  // ascending
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t head : keep)
      for (int64_t d = 0; d < head_size; ++d) index.push_back(b * block + head * head_size + d);
  Tensor kept =
      index_select(parameter.detach(), dim,
                   Tensor::from_vector(index, {static_cast<int64_t>(index.size())}).to(parameter.device()));
  kept = kept.contiguous().detach();
  kept.requires_grad_(parameter.requires_grad());
  return kept;
}

}  // namespace bertology

// Reading config.json into ModelConfig with each family's field names and HF's defaults, and
// writing it back with only pruned_heads / architectures / labels changed.
#include <bertology/models/config.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <sstream>

#include <bertology/models/text_file.h>
#include <bertology/tensor/error.h>

namespace bertology {
namespace {

using nlohmann::json;

// Reads JSON fields with a default, naming the file and key when a value has the wrong type.
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {}

  bool has(const char* key) const {
    auto it = j_.find(key);
    return it != j_.end() && !it->is_null();
  }
  int64_t integer(const char* key, int64_t fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number_integer()) throw bad(key, "an integer", v);
    return v.get<int64_t>();
  }
  double number(const char* key, double fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_number()) throw bad(key, "a number", v);
    return v.get<double>();
  }
  bool boolean(const char* key, bool fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_boolean()) throw bad(key, "true or false", v);
    return v.get<bool>();
  }
  std::string string(const char* key, const std::string& fallback) const {
    if (!has(key)) return fallback;
    const json& v = j_.at(key);
    if (!v.is_string()) throw bad(key, "a string", v);
    return v.get<std::string>();
  }
  // The first present key of a list of synonyms (e.g. n_embd / hidden_size).
  const char* first_of(std::initializer_list<const char*> keys) const {
    for (const char* k : keys)
      if (has(k)) return k;
    return *keys.begin();
  }
  Error bad(const char* key, const char* expected, const json& v) const {
    return Error(concat(where_, ": \"", key, "\" must be ", expected, ", got ", v.dump()));
  }
  const std::string& where() const { return where_; }
  const json& raw() const { return j_; }

 private:
  const json& j_;
  std::string where_;
};

ModelFamily family_of(const std::string& model_type, const std::string& where) {
  if (model_type == "bert") return ModelFamily::Bert;
  if (model_type == "openai-gpt") return ModelFamily::OpenAIGPT;
  if (model_type == "gpt2") return ModelFamily::GPT2;
  throw Error(concat(where, ": unsupported model_type '", model_type,
                     "' (this library builds bert, openai-gpt and gpt2)"));
}

Activation activation_of(const std::string& name, ModelFamily family, const std::string& where) {
  if (name == "gelu") return family == ModelFamily::OpenAIGPT ? Activation::GeluTanh : Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh" || name == "gelu_fast") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  throw Error(concat(where, ": unsupported activation '", name, "' (gelu, gelu_new, relu, silu)"));
}

void read_sizes(const Fields& f, ModelConfig& c) {
  if (c.family == ModelFamily::Bert) {
    c.vocab_size = f.integer("vocab_size", 30522);
    c.hidden_size = f.integer("hidden_size", 768);
    c.num_layers = f.integer("num_hidden_layers", 12);
    c.num_heads = f.integer("num_attention_heads", 12);
    c.intermediate_size = f.integer("intermediate_size", 3072);
    c.max_position_embeddings = f.integer("max_position_embeddings", 512);
    c.type_vocab_size = f.integer("type_vocab_size", 2);
    c.activation_name = f.string("hidden_act", "gelu");
    c.layer_norm_eps = f.number("layer_norm_eps", 1e-12);
    c.pad_token_id = f.integer("pad_token_id", 0);
    c.hidden_dropout = f.number("hidden_dropout_prob", 0.1);
    c.attention_dropout = f.number("attention_probs_dropout_prob", 0.1);
    c.embedding_dropout = c.hidden_dropout;
    c.classifier_dropout = f.number("classifier_dropout", c.hidden_dropout);
    return;
  }
  const bool gpt2 = c.family == ModelFamily::GPT2;
  c.vocab_size = f.integer("vocab_size", gpt2 ? 50257 : 40478);
  c.hidden_size = f.integer(f.first_of({"n_embd", "hidden_size"}), 768);
  c.num_layers = f.integer(f.first_of({"n_layer", "num_hidden_layers"}), 12);
  c.num_heads = f.integer(f.first_of({"n_head", "num_attention_heads"}), 12);
  c.intermediate_size = gpt2 ? f.integer("n_inner", 4 * c.hidden_size) : 4 * c.hidden_size;
  c.max_position_embeddings =
      f.integer(f.first_of({"n_positions", "max_position_embeddings"}), gpt2 ? 1024 : 512);
  c.type_vocab_size = 0;
  c.activation_name = gpt2 ? f.string("activation_function", "gelu_new") : f.string("afn", "gelu");
  c.layer_norm_eps = f.number("layer_norm_epsilon", 1e-5);
  if (f.has("pad_token_id")) c.pad_token_id = f.integer("pad_token_id", 0);
  c.hidden_dropout = f.number("resid_pdrop", 0.1);
  c.attention_dropout = f.number("attn_pdrop", 0.1);
  c.embedding_dropout = f.number("embd_pdrop", 0.1);
  c.classifier_dropout = 0.0;  // HF's GPT sequence classifiers apply none
  c.scale_attn_weights = f.boolean("scale_attn_weights", true);
  c.scale_attn_by_inverse_layer_idx = f.boolean("scale_attn_by_inverse_layer_idx", false);
}

// Fields that would change what the model computes in ways this library does not build: refused
// rather than silently ignored (unknown fields in general are kept and written back, as HF does).
void refuse_unsupported_features(const Fields& f, const ModelConfig& c) {
  auto refuse = [&](const std::string& what) {
    throw Error(concat(f.where(), ": ", what, " is not supported (this library builds the models as HF's defaults do)"));
  };
  if (f.boolean("add_cross_attention", false)) refuse("\"add_cross_attention\": true (an encoder-decoder model)");
  if (c.family != ModelFamily::Bert) return;
  if (f.boolean("is_decoder", false)) refuse("\"is_decoder\": true (BERT as a causal decoder)");
  const std::string positions = f.string("position_embedding_type", "absolute");
  if (positions != "absolute") refuse(concat("\"position_embedding_type\": \"", positions, "\""));
}

void read_labels(const Fields& f, ModelConfig& c) {
  c.problem_type = f.string("problem_type", "");
  if (!c.problem_type.empty() && c.problem_type != "regression" &&
      c.problem_type != "single_label_classification" && c.problem_type != "multi_label_classification")
    throw Error(concat(f.where(), ": unknown problem_type '", c.problem_type, "'"));
  if (f.has("id2label")) {
    const json& m = f.raw().at("id2label");
    if (!m.is_object()) throw f.bad("id2label", "an object", m);
    for (const auto& [key, value] : m.items()) {
      try {
        c.id2label[std::stoll(key)] = value.is_string() ? value.get<std::string>() : value.dump();
      } catch (const std::logic_error&) {
        throw Error(concat(f.where(), ": id2label key '", key, "' is not an integer"));
      }
    }
  }
  if (f.has("label2id")) {
    const json& m = f.raw().at("label2id");
    if (!m.is_object()) throw f.bad("label2id", "an object", m);
    for (const auto& [key, value] : m.items()) {
      if (!value.is_number_integer())
        throw Error(concat(f.where(), ": label2id['", key, "'] must be an integer"));
      c.label2id[key] = value.get<int64_t>();
    }
  }
  c.num_labels = c.id2label.empty() ? f.integer("num_labels", 2) : static_cast<int64_t>(c.id2label.size());
  if (c.num_labels < 1) throw Error(concat(f.where(), ": num_labels must be at least 1"));
}

void read_pruned_heads(const Fields& f, ModelConfig& c) {
  if (!f.has("pruned_heads")) return;
  const json& m = f.raw().at("pruned_heads");
  if (!m.is_object()) throw f.bad("pruned_heads", "an object {\"layer\": [heads]}", m);
  for (const auto& [key, heads] : m.items()) {
    int64_t layer = -1;
    try {
      size_t used = 0;
      layer = std::stoll(key, &used);
      if (used != key.size()) layer = -1;
    } catch (const std::logic_error&) {
    }
    if (layer < 0 || layer >= c.num_layers)
      throw Error(concat(f.where(), ": pruned_heads layer '", key, "' is not a layer of this ", c.num_layers,
                         "-layer model"));
    if (!heads.is_array())
      throw Error(concat(f.where(), ": pruned_heads['", key, "'] must be a list of heads"));
    for (const json& h : heads) {
      if (!h.is_number_integer() || h.get<int64_t>() < 0 || h.get<int64_t>() >= c.num_heads)
        throw Error(concat(f.where(), ": pruned_heads['", key, "'] holds ", h.dump(), ", not a head in [0, ",
                           c.num_heads, ")"));
      c.pruned_heads[layer].insert(h.get<int64_t>());
    }
    if (c.pruned_heads[layer].empty()) c.pruned_heads.erase(layer);
  }
}

void check_sizes(const ModelConfig& c, const std::string& where) {
  // Sizes are at most 2^31 - 1, as in every real checkpoint; that keeps products of two sizes
  // (a weight matrix's element count) far inside int64.
  auto positive = [&](const char* name, int64_t v) {
    if (v <= 0) throw Error(concat(where, ": ", name, " must be positive, got ", v));
    if (v > INT32_MAX) throw Error(concat(where, ": ", name, " ", v, " is too large (at most ", INT32_MAX, ")"));
  };
  positive("vocab_size", c.vocab_size);
  positive("hidden size", c.hidden_size);
  positive("number of layers", c.num_layers);
  positive("number of heads", c.num_heads);
  positive("intermediate size", c.intermediate_size);
  positive("max_position_embeddings", c.max_position_embeddings);
  if (c.family == ModelFamily::Bert) positive("type_vocab_size", c.type_vocab_size);
  if (c.hidden_size % c.num_heads != 0)
    throw Error(concat(where, ": hidden size ", c.hidden_size, " is not a multiple of the number of heads ",
                       c.num_heads));
  for (double p : {c.hidden_dropout, c.attention_dropout, c.embedding_dropout, c.classifier_dropout})
    if (p < 0 || p >= 1) throw Error(concat(where, ": dropout probability ", p, " is outside [0, 1)"));
}

}  // namespace

const char* family_name(ModelFamily family) {
  switch (family) {
    case ModelFamily::Bert:
      return "bert";
    case ModelFamily::OpenAIGPT:
      return "openai-gpt";
    case ModelFamily::GPT2:
      return "gpt2";
  }
  return "?";
}

std::string ModelConfig::architecture() const {
  if (!architectures.empty()) return architectures.front();
  switch (family) {
    case ModelFamily::Bert:
      return "BertModel";
    case ModelFamily::OpenAIGPT:
      return "OpenAIGPTModel";
    case ModelFamily::GPT2:
      return "GPT2Model";
  }
  return "";
}

ModelConfig parse_config(const std::string& json_text, const std::string& where) {
  const json j = parse_json(json_text, where);
  if (!j.is_object()) throw Error(concat(where, ": must hold a JSON object"));
  Fields f(j, where);
  ModelConfig c;
  c.original_json = json_text;
  if (!f.has("model_type")) throw Error(concat(where, ": no \"model_type\" (bert, openai-gpt or gpt2)"));
  c.model_type = f.string("model_type", "");
  c.family = family_of(c.model_type, where);
  if (f.has("architectures")) {
    const json& a = j.at("architectures");
    if (!a.is_array()) throw f.bad("architectures", "a list of class names", a);
    for (const json& name : a) {
      if (!name.is_string()) throw f.bad("architectures", "a list of class names", a);
      c.architectures.push_back(name.get<std::string>());
    }
  }
  read_sizes(f, c);
  refuse_unsupported_features(f, c);
  c.activation = activation_of(c.activation_name, c.family, where);
  c.initializer_range = f.number("initializer_range", 0.02);
  c.tie_word_embeddings = f.boolean("tie_word_embeddings", true);
  c.torch_dtype = f.string(f.first_of({"dtype", "torch_dtype"}), "");
  read_labels(f, c);
  check_sizes(c, where);
  read_pruned_heads(f, c);
  return c;
}

ModelConfig load_config(const std::string& path) {
  ModelConfig config = parse_config(read_text_file(path), path);
  config.source_path = path;
  return config;
}

std::string ModelConfig::to_json() const {
  // ordered_json keeps the fields in the order they were read.
  using ojson = nlohmann::ordered_json;
  ojson j = original_json.empty() ? ojson::object() : ojson::parse(original_json);
  if (pruned_heads.empty()) {
    j.erase("pruned_heads");
  } else {
    ojson heads = ojson::object();
    for (const auto& [layer, set] : pruned_heads)
      heads[std::to_string(layer)] = std::vector<int64_t>(set.begin(), set.end());
    j["pruned_heads"] = heads;
  }
  if (!architectures.empty())
    j["architectures"] = architectures;
  else if (!j.contains("architectures") || j["architectures"].is_null())
    j["architectures"] = ojson::array({architecture()});
  if (!id2label.empty()) {
    ojson i2l = ojson::object(), l2i = ojson::object();
    for (const auto& [id, label] : id2label) i2l[std::to_string(id)] = label;
    for (const auto& [label, id] : label2id) l2i[label] = id;
    j["id2label"] = i2l;
    j["label2id"] = l2i;
  }
  return j.dump(2) + "\n";
}

}  // namespace bertology

// Choosing and building a tokenizer from a HuggingFace model folder, as AutoTokenizer does for
// the three model families this library knows.
#include "load_tokenizer.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include <bertology/models/text_file.h>
#include <bertology/tensor/error.h>

#include "bert_tokenizer.h"
#include "gpt2_tokenizer.h"
#include "openai_gpt_tokenizer.h"

namespace bertology {
namespace {

namespace fs = std::filesystem;

// The JSON object in dir/name, or an empty object when the file does not exist.
nlohmann::json read_json_object(const fs::path& path) {
  if (!fs::exists(path)) return nlohmann::json::object();
  const nlohmann::json json = parse_json(read_text_file(path.string()), path.string());
  if (!json.is_object()) throw Error(concat(path.string(), ": must hold a JSON object"));
  return json;
}

// config[key] as a bool; fallback when absent or null.
bool get_bool(const nlohmann::json& config, const char* key, bool fallback,
              const fs::path& path) {
  auto it = config.find(key);
  if (it == config.end() || it->is_null()) return fallback;
  if (!it->is_boolean())
    throw Error(concat(path.string(), ": \"", key, "\" must be true or false"));
  return it->get<bool>();
}

std::string get_string(const nlohmann::json& config, const char* key) {
  auto it = config.find(key);
  return it != config.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "gpt2", "openai-gpt" or "bert" from a tokenizer class or model type name; "" if neither.
std::string family(std::string name) {
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name.rfind("gpt2", 0) == 0) return "gpt2";
  if (name.rfind("openai", 0) == 0) return "openai-gpt";
  if (name.rfind("bert", 0) == 0 || name.rfind("distilbert", 0) == 0) return "bert";
  return "";
}

// Whether merges.txt uses OpenAI GPT's "</w>" end-of-word suffix (checks the first lines).
bool merges_use_end_of_word(const fs::path& path) {
  const std::string text = read_text_file(path.string());
  const std::size_t limit = std::min<std::size_t>(text.size(), 1 << 16);
  return text.substr(0, limit).find("</w>") != std::string::npos;
}

}  // namespace

std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir_name) {
  const fs::path dir(dir_name);
  if (fs::exists(dir) && !fs::is_directory(dir)) throw Error(concat(dir_name, ": is a file, expected a tokenizer folder"));
  if (!fs::is_directory(dir)) throw Error(concat(dir_name, ": tokenizer folder not found"));
  const fs::path tokenizer_config_path = dir / "tokenizer_config.json";
  const nlohmann::json tokenizer_config = read_json_object(tokenizer_config_path);
  const nlohmann::json config = read_json_object(dir / "config.json");

  std::string kind = family(get_string(tokenizer_config, "tokenizer_class"));
  if (kind.empty()) kind = family(get_string(config, "model_type"));

  const bool has_vocab_txt = fs::exists(dir / "vocab.txt");
  const bool has_bpe = fs::exists(dir / "vocab.json") && fs::exists(dir / "merges.txt");
  if (kind.empty()) {
    if (has_vocab_txt)
      kind = "bert";
    else if (has_bpe)
      kind = merges_use_end_of_word(dir / "merges.txt") ? "openai-gpt" : "gpt2";
  }

  if (kind == "bert") {
    if (!has_vocab_txt) throw Error(concat(dir_name, ": no vocab.txt for its BERT tokenizer"));
    BasicTokenizerOptions options;
    options.lowercase = get_bool(tokenizer_config, "do_lower_case", true, tokenizer_config_path);
    options.strip_accents =
        get_bool(tokenizer_config, "strip_accents", options.lowercase, tokenizer_config_path);
    options.handle_chinese_chars =
        get_bool(tokenizer_config, "tokenize_chinese_chars", true, tokenizer_config_path);
    return BertTokenizer::from_file((dir / "vocab.txt").string(), options);
  }
  if (kind == "gpt2" || kind == "openai-gpt") {
    if (!has_bpe)
      throw Error(concat(dir_name, ": needs vocab.json and merges.txt for its ", kind, " tokenizer"));
    const std::string vocab = (dir / "vocab.json").string(), merges = (dir / "merges.txt").string();
    if (kind == "gpt2") return Gpt2Tokenizer::from_files(vocab, merges);
    return OpenAIGptTokenizer::from_files(vocab, merges);
  }
  throw Error(concat(dir_name, ": no tokenizer files this library knows (vocab.txt, or vocab.json + merges.txt)"));
}

void copy_tokenizer_files(const std::string& from, const std::string& to) {
  for (const char* name : {"vocab.txt", "vocab.json", "merges.txt", "tokenizer_config.json", "special_tokens_map.json",
                           "tokenizer.json", "added_tokens.json"}) {
    const fs::path source = fs::path(from) / name;
    if (!fs::is_regular_file(source)) continue;
    std::error_code ec;
    fs::copy_file(source, fs::path(to) / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw Error(concat("cannot copy ", source.string(), " to ", to, ": ", ec.message()));
  }
}

}  // namespace bertology

// AutoTokenizer for a model folder: picks BERT, GPT-2 or OpenAI GPT from the files present and
// tokenizer_config.json / config.json, and reads the options HF keeps there.
#pragma once
#include <memory>
#include <string>

#include "tokenizer.h"

namespace bertology {

// dir/vocab.txt -> BERT (do_lower_case, strip_accents, tokenize_chinese_chars from
// tokenizer_config.json; lower-casing by default). dir/vocab.json + dir/merges.txt -> GPT-2 or
// OpenAI GPT, from tokenizer_config.json's tokenizer_class, else config.json's model_type, else
// whether the merges use the "</w>" suffix. Throws bertology::Error saying what is missing.
std::unique_ptr<Tokenizer> load_tokenizer(const std::string& dir);

// Copies the tokenizer's files HF keeps in a model folder (vocab.txt, vocab.json, merges.txt,
// tokenizer_config.json, special_tokens_map.json, tokenizer.json, added_tokens.json: those
// present) from `from` to `to`, replacing older copies, so a model saved into `to` (pruned,
// fine-tuned) loads with its tokenizer.
void copy_tokenizer_files(const std::string& from, const std::string& to);

}  // namespace bertology

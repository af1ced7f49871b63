// GPT-2 byte-level BPE: split with the GPT-2 pattern, each piece's bytes -> symbol ids, BPE
// merges (cached per piece); decoding maps the symbols back to bytes.
#include "gpt2_tokenizer.h"

#include <unordered_map>

#include <bertology/tensor/error.h>

#include "byte_level.h"
#include "utf8.h"

namespace bertology {

Gpt2Tokenizer::Gpt2Tokenizer(Vocab vocab, const std::vector<Merge>& merges)
    : Tokenizer(std::move(vocab), {"<|endoftext|>"}, "<|endoftext|>"), merges_(merges) {
  const auto& byte_char = bytes_to_unicode();
  for (int b = 0; b < 256; ++b) {
    std::string symbol;
    utf8::append(symbol, byte_char[b]);
    byte_id_[b] = vocab_.find(symbol);
    if (byte_id_[b] == Vocab::kNone)
      throw Error(concat("GPT-2 vocabulary lacks the symbol '", symbol, "' of byte ", b,
                         " (is this a byte-level vocab.json?)"));
  }
}

std::unique_ptr<Gpt2Tokenizer> Gpt2Tokenizer::from_files(const std::string& vocab_json,
                                                         const std::string& merges_txt) {
  Vocab vocab = load_vocab_json(vocab_json);
  const std::vector<Merge> merges = load_merges(merges_txt, vocab);
  try {
    return std::make_unique<Gpt2Tokenizer>(std::move(vocab), merges);
  } catch (const Error& e) {
    throw Error(concat(vocab_json, ": ", e.what()));
  }
}

void Gpt2Tokenizer::encode_segment(std::string_view text, std::vector<int32_t>& ids) const {
  thread_local std::vector<std::string_view> pieces;
  thread_local std::vector<int32_t> symbols;
  gpt2_split(text, pieces);
  BpeCache::Local& cache = cache_.local();
  for (const std::string_view piece : pieces) {
    if (cache.get(piece, ids)) continue;
    symbols.clear();
    for (const char c : piece) symbols.push_back(byte_id_[static_cast<unsigned char>(c)]);
    merges_.apply(symbols);
    cache.put(piece, symbols.data(), symbols.size());
    ids.insert(ids.end(), symbols.begin(), symbols.end());
  }
}

std::string Gpt2Tokenizer::join_tokens(const std::vector<int64_t>& ids) const {
  static const std::unordered_map<char32_t, unsigned char> byte_of = [] {
    std::unordered_map<char32_t, unsigned char> map;
    const auto& byte_char = bytes_to_unicode();
    for (int b = 0; b < 256; ++b) map[byte_char[b]] = static_cast<unsigned char>(b);
    return map;
  }();
  std::string bytes;
  for (const int64_t id : ids) {
    const std::string& token = vocab_.token(static_cast<int32_t>(id));
    for (std::size_t pos = 0; pos < token.size();) {
      const char32_t c = utf8::next(token, pos);
      auto it = byte_of.find(c);
      if (it != byte_of.end()) {
        bytes.push_back(static_cast<char>(it->second));
      } else {
        utf8::append(bytes, c);  // not a byte symbol (an added token): keep it as text
      }
    }
  }
  return utf8::sanitize(bytes);  // HF decodes with errors="replace"
}

}  // namespace bertology

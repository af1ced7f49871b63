// OpenAI GPT BPE: words from the BERT basic tokenizer, one symbol per character (the last
// with "</w>"), unknown characters -> <unk>, then merges by rank (cached per word).
#include "openai_gpt_tokenizer.h"

#include <bertology/tensor/error.h>

#include "utf8.h"

namespace bertology {

OpenAIGptTokenizer::OpenAIGptTokenizer(Vocab vocab, const std::vector<Merge>& merges)
    : Tokenizer(std::move(vocab), {"<unk>"}, "<unk>"),
      basic_(BasicTokenizerOptions{}),  // clean, CJK spacing, lower-case, strip accents
      merges_(merges),
      unk_id_(vocab_.find("<unk>")) {
  if (unk_id_ == Vocab::kNone) throw Error("OpenAI GPT vocabulary has no <unk> token");
}

std::unique_ptr<OpenAIGptTokenizer> OpenAIGptTokenizer::from_files(const std::string& vocab_json,
                                                                   const std::string& merges_txt) {
  Vocab vocab = load_vocab_json(vocab_json);
  const std::vector<Merge> merges = load_merges(merges_txt, vocab);
  try {
    return std::make_unique<OpenAIGptTokenizer>(std::move(vocab), merges);
  } catch (const Error& e) {
    throw Error(concat(vocab_json, ": ", e.what()));
  }
}

void OpenAIGptTokenizer::encode_segment(std::string_view text, std::vector<int32_t>& ids) const {
  thread_local std::string storage, symbol;
  thread_local std::vector<std::string_view> words;
  thread_local std::vector<int32_t> symbols;
  basic_.split(text, storage, words);
  BpeCache::Local& cache = cache_.local();
  for (const std::string_view word : words) {
    if (cache.get(word, ids)) continue;
    symbols.clear();
    for (std::size_t pos = 0; pos < word.size();) {
      const std::size_t start = pos;
      utf8::next(word, pos);
      symbol.assign(word.data() + start, pos - start);
      if (pos == word.size()) symbol += "</w>";
      const int32_t id = vocab_.find(symbol);
      symbols.push_back(id == Vocab::kNone ? unk_id_ : id);
    }
    merges_.apply(symbols);
    cache.put(word, symbols.data(), symbols.size());
    ids.insert(ids.end(), symbols.begin(), symbols.end());
  }
}

std::string OpenAIGptTokenizer::join_tokens(const std::vector<int64_t>& ids) const {
  // HF: "".join(tokens).replace("</w>", " ").strip()
  std::string text;
  for (const int64_t id : ids) text += vocab_.token(static_cast<int32_t>(id));
  std::string out;
  for (std::size_t pos = 0; pos < text.size();) {
    if (text.compare(pos, 4, "</w>") == 0) {
      out.push_back(' ');
      pos += 4;
    } else {
      out.push_back(text[pos++]);
    }
  }
  const std::size_t first = out.find_first_not_of(' '), last = out.find_last_not_of(' ');
  return first == std::string::npos ? std::string() : out.substr(first, last - first + 1);
}

}  // namespace bertology

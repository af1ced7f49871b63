// BERT WordPiece tokenizer: checks the vocabulary has BERT's special tokens, then runs the
// basic tokenizer and WordPiece word by word.
#include "bert_tokenizer.h"

#include <bertology/tensor/error.h>

namespace bertology {
namespace {

int32_t require(const Vocab& vocab, const char* token) {
  const int32_t id = vocab.find(token);
  if (id == Vocab::kNone)
    throw Error(concat("BERT vocabulary has no ", token, " token (is this a vocab.txt?)"));
  return id;
}

}  // namespace

BertTokenizer::BertTokenizer(Vocab vocab, BasicTokenizerOptions options)
    : Tokenizer(std::move(vocab), {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}, "[PAD]"),
      basic_(options),
      wordpiece_(vocab_, require(vocab_, "[UNK]")) {
  set_wrapping(require(vocab_, "[CLS]"), require(vocab_, "[SEP]"));
  require(vocab_, "[PAD]");
}

std::unique_ptr<BertTokenizer> BertTokenizer::from_file(const std::string& vocab_txt,
                                                        BasicTokenizerOptions options) {
  Vocab vocab = load_vocab_txt(vocab_txt);
  try {
    return std::make_unique<BertTokenizer>(std::move(vocab), options);
  } catch (const Error& e) {
    throw Error(concat(vocab_txt, ": ", e.what()));
  }
}

void BertTokenizer::encode_segment(std::string_view text, std::vector<int32_t>& ids) const {
  // Scratch buffers per thread: batches call this from several threads at once.
  thread_local std::string storage;
  thread_local std::vector<std::string_view> words;
  basic_.split(text, storage, words);
  for (const std::string_view word : words) wordpiece_.tokenize(word, ids);
}

std::string BertTokenizer::join_tokens(const std::vector<int64_t>& ids) const {
  // HF: " ".join(tokens).replace(" ##", "").strip()
  std::string text;
  for (const int64_t id : ids) {
    const std::string& token = vocab_.token(static_cast<int32_t>(id));
    if (token.compare(0, 2, "##") == 0 && !text.empty()) {
      text.append(token, 2, std::string::npos);
    } else {
      if (!text.empty()) text.push_back(' ');
      text += token;
    }
  }
  return text;
}

}  // namespace bertology

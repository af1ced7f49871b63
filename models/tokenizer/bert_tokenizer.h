// BERT's tokenizer: BERT normalisation and word splitting, then WordPiece over vocab.txt;
// encodings are [CLS] a [SEP] (b [SEP]) as HF's BertTokenizer(Fast) builds them.
#pragma once
#include <memory>
#include <string>

#include "basic_tokenizer.h"
#include "tokenizer.h"
#include "wordpiece.h"

namespace bertology {

class BertTokenizer : public Tokenizer {
 public:
  // vocab must hold [UNK], [CLS], [SEP] and [PAD].
  BertTokenizer(Vocab vocab, BasicTokenizerOptions options);
  // Reads vocab.txt (one token per line).
  static std::unique_ptr<BertTokenizer> from_file(const std::string& vocab_txt,
                                                  BasicTokenizerOptions options = {});

  std::string_view type() const override { return "bert"; }
  const BasicTokenizerOptions& options() const { return basic_.options(); }

 protected:
  void encode_segment(std::string_view text, std::vector<int32_t>& ids) const override;
  std::string join_tokens(const std::vector<int64_t>& ids) const override;

 private:
  BasicTokenizer basic_;
  WordPiece wordpiece_;
};

}  // namespace bertology

// OpenAI GPT's tokenizer (vocab.json + merges.txt with the "</w>" end-of-word suffix): BERT
// normalisation with lower-casing and word splitting, then BPE over each word's characters.
#pragma once
#include <memory>
#include <string>

#include "basic_tokenizer.h"
#include "bpe.h"
#include "tokenizer.h"

namespace bertology {

class OpenAIGptTokenizer : public Tokenizer {
 public:
  // vocab must hold <unk>, which every character not in it becomes.
  OpenAIGptTokenizer(Vocab vocab, const std::vector<Merge>& merges);
  static std::unique_ptr<OpenAIGptTokenizer> from_files(const std::string& vocab_json,
                                                        const std::string& merges_txt);

  std::string_view type() const override { return "openai-gpt"; }

 protected:
  void encode_segment(std::string_view text, std::vector<int32_t>& ids) const override;
  std::string join_tokens(const std::vector<int64_t>& ids) const override;

 private:
  BasicTokenizer basic_;
  BpeMerges merges_;
  int32_t unk_id_;
  mutable BpeCache cache_;
};

}  // namespace bertology

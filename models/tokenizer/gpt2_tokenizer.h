// GPT-2's byte-level BPE tokenizer (vocab.json + merges.txt): the GPT-2 split pattern, bytes
// as printable characters, BPE by merge rank, <|endoftext|> special; decode restores the text.
#pragma once
#include <array>
#include <memory>
#include <string>

#include "bpe.h"
#include "tokenizer.h"

namespace bertology {

class Gpt2Tokenizer : public Tokenizer {
 public:
  // vocab must hold the 256 byte symbols; merges come from load_merges.
  Gpt2Tokenizer(Vocab vocab, const std::vector<Merge>& merges);
  static std::unique_ptr<Gpt2Tokenizer> from_files(const std::string& vocab_json,
                                                   const std::string& merges_txt);

  std::string_view type() const override { return "gpt2"; }

 protected:
  void encode_segment(std::string_view text, std::vector<int32_t>& ids) const override;
  std::string join_tokens(const std::vector<int64_t>& ids) const override;

 private:
  BpeMerges merges_;
  std::array<int32_t, 256> byte_id_;  // byte -> vocabulary id of its printable symbol
  mutable BpeCache cache_;
};

}  // namespace bertology

// The tokenizer interface the models use: text or text pairs -> input ids, token types and
// attention masks, with HF's special tokens, longest_first truncation, padding and batching.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vocab.h"

namespace bertology {

// One encoded example. All vectors have the same length S.
struct Encoding {
  std::vector<int64_t> ids;             // (S,) input_ids
  std::vector<std::string> tokens;      // (S,) the vocabulary string of each id
  std::vector<int64_t> token_type_ids;  // (S,) 0 = first text (and its specials), 1 = second
  std::vector<int64_t> attention_mask;  // (S,) 1 = real token, 0 = padding
};

enum class Padding {
  kNone,       // no padding
  kLongest,    // a batch is padded to its longest example
  kMaxLength,  // every example is padded to EncodeOptions::max_length
};

struct EncodeOptions {
  bool add_special_tokens = true;  // BERT: [CLS] a [SEP] (b [SEP]); GPT and GPT-2 add none
  std::size_t max_length = 0;      // > 0: truncate (longest_first) so that S <= max_length
  Padding padding = Padding::kNone;
};

// A batch of equal-length encodings as row-major (B, S) matrices, ready to become tensors.
struct Batch {
  int64_t batch_size = 0;               // B
  int64_t seq_len = 0;                  // S
  std::vector<int64_t> input_ids;       // (B, S)
  std::vector<int64_t> token_type_ids;  // (B, S)
  std::vector<int64_t> attention_mask;  // (B, S)
};

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  Tokenizer(const Tokenizer&) = delete;  // the word models hold a reference to vocab_
  Tokenizer& operator=(const Tokenizer&) = delete;

  // "bert", "gpt2" or "openai-gpt" (HF's model_type).
  virtual std::string_view type() const = 0;

  // The model's pieces of text, without special tokens; special tokens written in the text
  // ("[MASK]", "<|endoftext|>") are recognised as such. Invalid UTF-8 reads as U+FFFD.
  std::vector<int64_t> encode_ids(std::string_view text) const;
  std::vector<std::string> tokenize(std::string_view text) const;  // their strings

  Encoding encode(std::string_view text, const EncodeOptions& options = {}) const;
  Encoding encode_pair(std::string_view first, std::string_view second,
                       const EncodeOptions& options = {}) const;

  // Encodes the examples in parallel (TBB), then pads as options.padding says.
  std::vector<Encoding> encode_batch(const std::vector<std::string>& texts,
                                     const EncodeOptions& options = {}) const;
  std::vector<Encoding> encode_pair_batch(
      const std::vector<std::pair<std::string, std::string>>& pairs,
      const EncodeOptions& options = {}) const;

  // ids -> text. GPT-2 restores the original bytes; BERT and GPT join their word pieces.
  std::string decode(const std::vector<int64_t>& ids, bool skip_special_tokens = false) const;

  const Vocab& vocab() const { return vocab_; }
  int64_t vocab_size() const { return vocab_.size(); }
  int64_t token_to_id(std::string_view token) const { return vocab_.find(token); }  // -1: none
  const std::string& id_to_token(int64_t id) const;
  bool is_special_id(int64_t id) const;

  // The id padding uses: [PAD] for BERT; GPT-2 and GPT have no padding token in HF, so this
  // library pads them with <|endoftext|> and <unk> (masked out by attention_mask anyway).
  int64_t pad_token_id() const { return pad_id_; }
  void set_pad_token_id(int64_t id);

 protected:
  // special_tokens: matched in raw text (those absent from vocab are ignored); pad_token: the
  // default padding token ("" or absent from vocab: none).
  Tokenizer(Vocab vocab, std::vector<std::string> special_tokens, const std::string& pad_token);
  // The ids wrapped around texts: [CLS] a [SEP] (b [SEP]); not called: nothing is added.
  void set_wrapping(int32_t cls_id, int32_t sep_id) { cls_id_ = cls_id, sep_id_ = sep_id; }

  // Appends the ids of text (valid UTF-8, containing no special token).
  virtual void encode_segment(std::string_view text, std::vector<int32_t>& ids) const = 0;
  // Joins token strings into text (the special tokens already removed if asked).
  virtual std::string join_tokens(const std::vector<int64_t>& ids) const = 0;

  Vocab vocab_;

 private:
  void encode_pieces(std::string_view text, std::vector<int32_t>& ids) const;
  Encoding assemble(std::vector<int32_t> first, const std::vector<int32_t>* second,
                    const EncodeOptions& options) const;
  // The length options.padding asks for, given the longest encoding (0: no padding).
  std::size_t padded_length(std::size_t longest, const EncodeOptions& options) const;
  void pad(Encoding& encoding, std::size_t length) const;
  void pad(std::vector<Encoding>& batch, const EncodeOptions& options) const;

  std::vector<std::pair<std::string, int32_t>> special_;  // longest first
  bool special_first_byte_[256] = {};
  int32_t cls_id_ = -1, sep_id_ = -1;
  int64_t pad_id_;
};

// Stacks encodings of one length into a Batch; throws if their lengths differ (pad first).
Batch to_batch(const std::vector<Encoding>& encodings);

}  // namespace bertology

// What every tokenizer shares: special tokens in raw text, the [CLS] a [SEP] b [SEP] layout,
// longest_first truncation (HF tokenizers' rule), padding, and parallel batch encoding.
#include "tokenizer.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>

#include <bertology/tensor/error.h>

#include "utf8.h"

namespace bertology {

Tokenizer::Tokenizer(Vocab vocab, std::vector<std::string> special_tokens,
                     const std::string& pad_token)
    : vocab_(std::move(vocab)), pad_id_(vocab_.find(pad_token)) {
  for (auto& token : special_tokens) {
    const int32_t id = vocab_.find(token);
    if (id == Vocab::kNone || token.empty()) continue;
    special_first_byte_[static_cast<unsigned char>(token[0])] = true;
    special_.emplace_back(std::move(token), id);
  }
  // Longest first, so that of two tokens starting at one place the longer wins.
  std::stable_sort(special_.begin(), special_.end(), [](const auto& a, const auto& b) {
    return a.first.size() > b.first.size();
  });
}

const std::string& Tokenizer::id_to_token(int64_t id) const {
  if (!vocab_.contains_id(id))
    throw Error(concat(type(), " tokenizer: token id ", id, " is outside the vocabulary (size ",
                       vocab_.size(), ")"));
  return vocab_.token(static_cast<int32_t>(id));
}

bool Tokenizer::is_special_id(int64_t id) const {
  for (const auto& special : special_)
    if (special.second == id) return true;
  return false;
}

void Tokenizer::set_pad_token_id(int64_t id) {
  if (!vocab_.contains_id(id))
    throw Error(concat(type(), " tokenizer: pad token id ", id, " is outside the vocabulary"));
  pad_id_ = id;
}

void Tokenizer::encode_pieces(std::string_view raw, std::vector<int32_t>& ids) const {
  std::string sanitized;  // only needed for invalid UTF-8
  std::string_view text = raw;
  if (!utf8::is_valid(raw)) text = sanitized = utf8::sanitize(raw);
  std::size_t segment = 0;  // start of the text not yet encoded
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!special_first_byte_[static_cast<unsigned char>(text[i])]) continue;
    for (const auto& [token, id] : special_) {
      if (text.compare(i, token.size(), token) != 0) continue;
      encode_segment(text.substr(segment, i - segment), ids);
      ids.push_back(id);
      i += token.size() - 1;
      segment = i + 1;
      break;
    }
  }
  encode_segment(text.substr(segment), ids);
}

std::vector<int64_t> Tokenizer::encode_ids(std::string_view text) const {
  std::vector<int32_t> ids;
  encode_pieces(text, ids);
  return std::vector<int64_t>(ids.begin(), ids.end());
}

std::vector<std::string> Tokenizer::tokenize(std::string_view text) const {
  std::vector<std::string> tokens;
  for (const int64_t id : encode_ids(text)) tokens.push_back(id_to_token(id));
  return tokens;
}

Encoding Tokenizer::assemble(std::vector<int32_t> first, const std::vector<int32_t>* second_in,
                             const EncodeOptions& options) const {
  std::vector<int32_t> second = second_in ? *second_in : std::vector<int32_t>();
  const bool wrap = options.add_special_tokens && cls_id_ >= 0;
  const std::size_t n_special = wrap ? (second_in ? 3 : 2) : 0;
  if (options.max_length > 0) {
    if (options.max_length < n_special)
      throw Error(concat(type(), " tokenizer: max_length ", options.max_length,
                         " leaves no room for the ", n_special, " special tokens"));
    const std::size_t budget = options.max_length - n_special;
    if (!second_in) {
      first.resize(std::min(first.size(), budget));
    } else if (first.size() + second.size() > budget) {
      // longest_first as HF tokenizers computes it: if the shorter text fits in half, the
      // longer one gets the rest; otherwise both get half (the longer one the odd token).
      std::size_t n1 = first.size(), n2 = second.size();
      const bool swapped = n1 > n2;
      if (swapped) std::swap(n1, n2);
      n2 = n1 > budget ? n1 : std::max(n1, budget - n1);
      if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
      }
      if (swapped) std::swap(n1, n2);
      first.resize(std::min(first.size(), n1));
      second.resize(std::min(second.size(), n2));
    }
  }

  Encoding e;
  const auto add = [&](int32_t id, int64_t type_id) {
    e.ids.push_back(id);
    e.token_type_ids.push_back(type_id);
  };
  if (wrap) add(cls_id_, 0);
  for (const int32_t id : first) add(id, 0);
  if (wrap) add(sep_id_, 0);
  if (second_in) {
    for (const int32_t id : second) add(id, 1);
    if (wrap) add(sep_id_, 1);
  }
  e.attention_mask.assign(e.ids.size(), 1);
  e.tokens.reserve(e.ids.size());
  for (const int64_t id : e.ids) e.tokens.push_back(vocab_.token(static_cast<int32_t>(id)));
  return e;
}

std::size_t Tokenizer::padded_length(std::size_t longest, const EncodeOptions& options) const {
  switch (options.padding) {
    case Padding::kNone:
      return 0;
    case Padding::kLongest:
      return longest;
    case Padding::kMaxLength:
      if (options.max_length == 0)
        throw Error(concat(type(), " tokenizer: padding to max_length needs max_length > 0"));
      return options.max_length;
  }
  return 0;
}

void Tokenizer::pad(Encoding& e, std::size_t length) const {
  if (e.ids.size() >= length) return;
  if (pad_id_ < 0)
    throw Error(concat(type(), " tokenizer: no padding token; call set_pad_token_id first"));
  const std::size_t n = length - e.ids.size();
  e.ids.insert(e.ids.end(), n, pad_id_);
  e.tokens.insert(e.tokens.end(), n, id_to_token(pad_id_));
  e.token_type_ids.insert(e.token_type_ids.end(), n, 0);
  e.attention_mask.insert(e.attention_mask.end(), n, 0);
}

void Tokenizer::pad(std::vector<Encoding>& batch, const EncodeOptions& options) const {
  std::size_t longest = 0;
  for (const auto& e : batch) longest = std::max(longest, e.ids.size());
  const std::size_t length = padded_length(longest, options);
  for (auto& e : batch) pad(e, length);
}

Encoding Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  std::vector<int32_t> ids;
  encode_pieces(text, ids);
  Encoding e = assemble(std::move(ids), nullptr, options);
  pad(e, padded_length(e.ids.size(), options));
  return e;
}

Encoding Tokenizer::encode_pair(std::string_view first, std::string_view second,
                                const EncodeOptions& options) const {
  std::vector<int32_t> a, b;
  encode_pieces(first, a);
  encode_pieces(second, b);
  Encoding e = assemble(std::move(a), &b, options);
  pad(e, padded_length(e.ids.size(), options));
  return e;
}

std::vector<Encoding> Tokenizer::encode_batch(const std::vector<std::string>& texts,
                                              const EncodeOptions& options) const {
  std::vector<Encoding> batch(texts.size());
  EncodeOptions unpadded = options;
  unpadded.padding = Padding::kNone;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, texts.size()), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i)
      batch[i] = encode(texts[i], unpadded);
  });
  pad(batch, options);
  return batch;
}

std::vector<Encoding> Tokenizer::encode_pair_batch(
    const std::vector<std::pair<std::string, std::string>>& pairs,
    const EncodeOptions& options) const {
  std::vector<Encoding> batch(pairs.size());
  EncodeOptions unpadded = options;
  unpadded.padding = Padding::kNone;
  tbb::parallel_for(tbb::blocked_range<std::size_t>(0, pairs.size()), [&](const auto& range) {
    for (std::size_t i = range.begin(); i != range.end(); ++i)
      batch[i] = encode_pair(pairs[i].first, pairs[i].second, unpadded);
  });
  pad(batch, options);
  return batch;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special_tokens) const {
  std::vector<int64_t> kept;
  kept.reserve(ids.size());
  for (const int64_t id : ids) {
    id_to_token(id);  // throws for an id outside the vocabulary
    if (!(skip_special_tokens && is_special_id(id))) kept.push_back(id);
  }
  return join_tokens(kept);
}

Batch to_batch(const std::vector<Encoding>& encodings) {
  Batch batch;
  batch.batch_size = static_cast<int64_t>(encodings.size());
  batch.seq_len = encodings.empty() ? 0 : static_cast<int64_t>(encodings[0].ids.size());
  for (std::size_t b = 0; b < encodings.size(); ++b) {
    const Encoding& e = encodings[b];
    if (static_cast<int64_t>(e.ids.size()) != batch.seq_len)
      throw Error(concat("to_batch: example ", b, " has ", e.ids.size(), " tokens but example 0 has ",
                         batch.seq_len, "; pad the batch (Padding::kLongest) first"));
    batch.input_ids.insert(batch.input_ids.end(), e.ids.begin(), e.ids.end());
    batch.token_type_ids.insert(batch.token_type_ids.end(), e.token_type_ids.begin(),
                                e.token_type_ids.end());
    batch.attention_mask.insert(batch.attention_mask.end(), e.attention_mask.begin(),
                                e.attention_mask.end());
  }
  return batch;
}

}  // namespace bertology

// A token <-> id table and the readers of HuggingFace's vocabulary files (vocab.txt,
// vocab.json, merges.txt). Bad files throw bertology::Error naming the file and line.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "flat_string_map.h"

namespace bertology {

class Vocab {
 public:
  static constexpr int32_t kNone = -1;

  // Adds token with the given id (ids may arrive in any order; gaps read as "").
  // A token seen twice keeps its last id, as HF's loaders do.
  void add(std::string token, int32_t id);

  // The id of token, or kNone.
  int32_t find(std::string_view token) const;
  // The token of id; throws for an id outside [0, size()).
  const std::string& token(int32_t id) const;
  bool contains_id(int64_t id) const { return id >= 0 && id < size(); }
  int32_t size() const { return static_cast<int32_t>(id_to_token_.size()); }

 private:
  FlatStringMap<int32_t> token_to_id_;
  std::vector<std::string> id_to_token_;  // (V,); "" for an id no token has
};

// The longest line load_vocab_txt accepts: real tokens are a few dozen bytes, and WordPiece
// never matches a word of more than 100 characters.
inline constexpr std::size_t kMaxTokenBytes = 1024;

// vocab.txt: one token per line, id = line index (0-based); trailing whitespace is trimmed.
// Throws for an empty file, invalid UTF-8, a NUL byte or a line longer than kMaxTokenBytes
// (naming the line).
Vocab load_vocab_txt(const std::string& path);

// vocab.json: {"token": id, ...}.
Vocab load_vocab_json(const std::string& path);

// merges.txt: an optional "#version" first line, then "left right" per line, rank = order.
// Each side and their concatenation must be in vocab.
struct Merge {
  int32_t left, right, merged;  // vocab ids
};
std::vector<Merge> load_merges(const std::string& path, const Vocab& vocab);

}  // namespace bertology

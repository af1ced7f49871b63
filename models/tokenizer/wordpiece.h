// WordPiece: a word becomes the greedy longest-match pieces of the vocabulary, pieces after
// the first carrying the "##" prefix; a word with no full split, or too long, becomes [UNK].
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "vocab.h"

namespace bertology {

class WordPiece {
 public:
  // vocab must outlive this object; unk_id is the id of "[UNK]".
  WordPiece(const Vocab& vocab, int32_t unk_id, std::size_t max_chars_per_word = 100,
            std::string continuing_prefix = "##");

  // Appends the ids of word's pieces: "unaffable" -> ids of ["una", "##ffa", "##ble"].
  void tokenize(std::string_view word, std::vector<int32_t>& ids) const;

 private:
  const Vocab& vocab_;
  int32_t unk_id_;
  std::size_t max_chars_per_word_;
  std::string prefix_;
  // The longest vocabulary entries in bytes: a first piece, and a continuation piece without
  // its prefix. Longer candidates cannot match, so they are never looked up.
  std::size_t max_first_bytes_ = 0, max_continuation_bytes_ = 0;
};

}  // namespace bertology

// Greedy longest-match-first WordPiece, step for step as HF's WordPiece model: it looks up the
// longest remaining substring first and shortens it one character at a time.
#include "wordpiece.h"

#include <algorithm>

namespace bertology {
namespace {

std::size_t count_chars(std::string_view s) {
  std::size_t n = 0;
  for (const char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Start of the last UTF-8 character of s[0, end).
std::size_t last_char_start(std::string_view s, std::size_t end) {
  std::size_t i = end - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  return i;
}

}  // namespace

WordPiece::WordPiece(const Vocab& vocab, int32_t unk_id, std::size_t max_chars_per_word,
                     std::string continuing_prefix)
    : vocab_(vocab),
      unk_id_(unk_id),
      max_chars_per_word_(max_chars_per_word),
      prefix_(std::move(continuing_prefix)) {
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::string& token = vocab.token(id);
    if (!prefix_.empty() && token.compare(0, prefix_.size(), prefix_) == 0)
      max_continuation_bytes_ = std::max(max_continuation_bytes_, token.size() - prefix_.size());
    max_first_bytes_ = std::max(max_first_bytes_, token.size());
  }
}

void WordPiece::tokenize(std::string_view word, std::vector<int32_t>& ids) const {
  if (word.empty()) return;
  if (count_chars(word) > max_chars_per_word_) {
    ids.push_back(unk_id_);
    return;
  }
  const std::size_t first_piece = ids.size();
  std::string candidate;  // prefix_ + word[start, end) for the pieces after the first
  for (std::size_t start = 0; start < word.size();) {
    int32_t found = Vocab::kNone;
    // Start from the longest candidate that could be in the vocabulary (on a character start).
    const std::size_t limit = start == 0 ? max_first_bytes_ : max_continuation_bytes_;
    std::size_t end = word.size();
    if (end - start > limit) {
      end = start + limit;
      while (end > start && (static_cast<unsigned char>(word[end]) & 0xC0) == 0x80) --end;
    }
    for (; end > start; end = last_char_start(word, end)) {
      if (start == 0) {
        found = vocab_.find(word.substr(0, end));
      } else {
        candidate.assign(prefix_).append(word.data() + start, end - start);
        found = vocab_.find(candidate);
      }
      if (found != Vocab::kNone) break;
    }
    if (found == Vocab::kNone) {  // no piece fits here: the whole word is unknown
      ids.resize(first_piece);
      ids.push_back(unk_id_);
      return;
    }
    ids.push_back(found);
    start = end;
  }
}

}  // namespace bertology

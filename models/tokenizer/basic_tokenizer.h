// BERT's text normalisation and word splitting (HF tokenizers' BertNormalizer followed by
// BertPreTokenizer), shared by the BERT WordPiece and the OpenAI GPT BPE tokenizers.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

struct BasicTokenizerOptions {
  bool clean_text = true;            // drop NUL, U+FFFD, Cc/Cf/Cn/Co/Cs; whitespace -> ' '
  bool handle_chinese_chars = true;  // a space on each side of every CJK ideograph
  bool strip_accents = true;         // NFD, then drop Mn (HF: follows lowercase when unset)
  bool lowercase = true;             // full Unicode lower-casing, one character at a time
};

class BasicTokenizer {
 public:
  explicit BasicTokenizer(BasicTokenizerOptions options = {}) : options_(options) {}

  // Normalises text (UTF-8; invalid bytes read as U+FFFD) and splits it into words: runs of
  // non-space, non-punctuation characters, and every punctuation character on its own.
  // words views `storage`, which the call overwrites: "Hi, there" -> ["hi", ",", "there"].
  void split(std::string_view text, std::string& storage,
             std::vector<std::string_view>& words) const;

  const BasicTokenizerOptions& options() const { return options_; }

 private:
  void split_ascii(std::string_view text, std::string& storage,
                   std::vector<std::string_view>& words) const;
  BasicTokenizerOptions options_;
};

}  // namespace bertology

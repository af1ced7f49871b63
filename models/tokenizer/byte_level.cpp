// The GPT-2 pre-tokenization pattern as a hand-written scanner (one pass, no backtracking
// needed beyond "leave the last space of a run for the next word") and the byte alphabet.
#include "byte_level.h"

#include <unicode/uchar.h>

#include <cstdint>

#include "utf8.h"

namespace bertology {
namespace {

// Character classes of the pattern: \p{L}, \p{N}, \s, and everything else.
enum class Cls : uint8_t { kLetter, kNumber, kSpace, kOther };

Cls classify(char32_t c) {
  if (c < 128) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return Cls::kLetter;
    if (c >= '0' && c <= '9') return Cls::kNumber;
    if (c == ' ' || (c >= '\t' && c <= '\r')) return Cls::kSpace;
    return Cls::kOther;
  }
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return Cls::kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return Cls::kNumber;
    default:
      // \s in the reference engines is the White_Space property (= Zs, Zl, Zp, \t-\r, U+0085).
      return u_isUWhiteSpace(static_cast<UChar32>(c)) ? Cls::kSpace : Cls::kOther;
  }
}

// Length in bytes of a contraction ('s 't 're 've 'm 'll 'd) at text[pos], or 0.
std::size_t contraction_length(std::string_view text, std::size_t pos) {
  if (text[pos] != '\'' || pos + 1 >= text.size()) return 0;
  const char a = text[pos + 1];
  if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
  if (pos + 2 >= text.size()) return 0;
  const char b = text[pos + 2];
  if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l')) return 3;
  return 0;
}

}  // namespace

const std::array<char32_t, 256>& bytes_to_unicode() {
  static const std::array<char32_t, 256> table = [] {
    std::array<char32_t, 256> t{};
    char32_t next_free = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
      t[b] = printable ? static_cast<char32_t>(b) : next_free++;
    }
    return t;
  }();
  return table;
}

void gpt2_split(std::string_view text, std::vector<std::string_view>& pieces) {
  pieces.clear();
  std::size_t pos = 0;
  // Decodes the character at p: its class, and where the next one starts.
  const auto peek = [&](std::size_t p, std::size_t& after) {
    after = p;
    return classify(utf8::next(text, after));
  };
  while (pos < text.size()) {
    const std::size_t start = pos;
    if (const std::size_t n = contraction_length(text, pos)) {
      pieces.push_back(text.substr(pos, n));
      pos += n;
      continue;
    }
    std::size_t after;
    Cls cls = peek(pos, after);
    // " ?X+" for X in {letter, number, other}: one leading ' ' joins the run after it.
    if (text[pos] == ' ' && after < text.size()) {
      std::size_t after2;
      const Cls next_cls = peek(after, after2);
      if (next_cls != Cls::kSpace) {
        cls = next_cls;
        after = after2;
      }
    }
    if (cls != Cls::kSpace) {
      pos = after;
      while (pos < text.size() && peek(pos, after) == cls) pos = after;
      pieces.push_back(text.substr(start, pos - start));
      continue;
    }
    // A whitespace run: "\s+(?!\S)" leaves its last character to the word that follows;
    // at the end of text, or a run of one, the run is taken whole ("\s+").
    std::size_t last = pos;  // start of the last whitespace character of the run
    while (pos < text.size() && peek(pos, after) == Cls::kSpace) last = pos, pos = after;
    if (pos < text.size() && last > start) pos = last;
    pieces.push_back(text.substr(start, pos - start));
  }
}

}  // namespace bertology

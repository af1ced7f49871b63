// BERT normalisation (clean, CJK spacing, NFD accent strip, lower-case) and the split into
// words on whitespace and punctuation, in the order HF tokenizers' BertNormalizer applies them.
#include "basic_tokenizer.h"

#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <array>
#include <cstdint>
#include <utility>

#include <bertology/tensor/error.h>

#include "utf8.h"

namespace bertology {
namespace {

// What BERT does with one ASCII byte.
enum class Ascii : uint8_t { kDrop, kSpace, kPunct, kWord };

constexpr std::array<Ascii, 128> make_ascii_table() {
  std::array<Ascii, 128> table{};
  for (int c = 0; c < 128; ++c) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      table[c] = Ascii::kSpace;
    else if (c < 32 || c == 127)  // Cc (and NUL): removed by clean_text
      table[c] = Ascii::kDrop;
    else if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) ||
             (c >= 123 && c <= 126))
      table[c] = Ascii::kPunct;  // all ASCII symbols count, e.g. '$' and '+' (not Unicode P*)
    else
      table[c] = Ascii::kWord;
  }
  return table;
}
constexpr std::array<Ascii, 128> kAscii = make_ascii_table();

// Rust's char::is_other: Cc, Cf, Cn (unassigned), Co, Cs.
bool is_other(char32_t c) {
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_CONTROL_CHAR:
    case U_FORMAT_CHAR:
    case U_UNASSIGNED:
    case U_PRIVATE_USE_CHAR:
    case U_SURROGATE:
      return true;
    default:
      return false;
  }
}

bool is_whitespace(char32_t c) {
  return c < 128 ? kAscii[c] == Ascii::kSpace || c == '\v' || c == '\f'
                 : u_isUWhiteSpace(static_cast<UChar32>(c));
}

bool is_punctuation(char32_t c) {
  return c < 128 ? kAscii[c] == Ascii::kPunct : u_ispunct(static_cast<UChar32>(c));
}

// The CJK Unified Ideographs blocks, as in BERT's _is_chinese_char (Hangul and kana are not).
bool is_chinese_char(char32_t c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
         (c >= 0x20000 && c <= 0x2A6DF) || (c >= 0x2A700 && c <= 0x2B73F) ||
         (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B820 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

char32_t ascii_lower(char32_t c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

// Appends the full lower-case mapping of c (one to three code points: 'İ' -> "i̇").
void append_lower(std::u32string& out, char32_t c) {
  if (c < 128) {
    out.push_back(ascii_lower(c));
    return;
  }
  UChar src[2], dst[8];
  int32_t src_len = 0;
  U16_APPEND_UNSAFE(src, src_len, static_cast<UChar32>(c));
  UErrorCode status = U_ZERO_ERROR;
  // Root locale, one character at a time: Rust's char::to_lowercase, so no final-sigma rule.
  const int32_t n = u_strToLower(dst, 8, src, src_len, "", &status);
  if (U_FAILURE(status) || n > 8) {
    out.push_back(c);
    return;
  }
  for (int32_t i = 0; i < n;) {
    UChar32 lower;
    U16_NEXT(dst, i, n, lower);
    out.push_back(static_cast<char32_t>(lower));
  }
}

// NFD of a run of non-ASCII code points, dropping nonspacing marks (Mn). ASCII characters are
// NFD starters that never decompose or reorder, so normalising between them is exact.
void append_nfd_without_marks(std::u32string& out, const char32_t* run, std::size_t n) {
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2* nfd = unorm2_getNFDInstance(&status);
  if (U_FAILURE(status)) throw Error("ICU: the NFD normaliser is unavailable");
  std::u16string src;
  for (std::size_t i = 0; i < n; ++i) {
    UChar units[2];
    int32_t len = 0;
    U16_APPEND_UNSAFE(units, len, static_cast<UChar32>(run[i]));
    src.append(reinterpret_cast<const char16_t*>(units), static_cast<std::size_t>(len));
  }
  // NFD grows text by at most 3x in UTF-16; on overflow ICU reports the size needed.
  std::u16string dst(src.size() * 3 + 8, u'\0');
  int32_t len = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    status = U_ZERO_ERROR;
    len = unorm2_normalize(nfd, reinterpret_cast<const UChar*>(src.data()),
                           static_cast<int32_t>(src.size()), reinterpret_cast<UChar*>(&dst[0]),
                           static_cast<int32_t>(dst.size()), &status);
    if (status != U_BUFFER_OVERFLOW_ERROR) break;
    dst.resize(static_cast<std::size_t>(len));
  }
  if (U_FAILURE(status)) throw Error(concat("ICU: NFD failed: ", u_errorName(status)));
  const auto* units = reinterpret_cast<const UChar*>(dst.data());
  for (int32_t i = 0; i < len;) {
    UChar32 c;
    U16_NEXT(units, i, len, c);
    if (u_charType(c) != U_NON_SPACING_MARK) out.push_back(static_cast<char32_t>(c));
  }
}

}  // namespace

void BasicTokenizer::split_ascii(std::string_view text, std::string& storage,
                                 std::vector<std::string_view>& words) const {
  // The same steps as split(), byte by byte: nothing to decompose, lower-casing is +32. The
  // output is never longer than text, so storage does not reallocate and words can view it.
  storage.clear();
  storage.reserve(text.size());
  words.clear();
  const char* base = storage.data();
  std::size_t begin = 0;
  const auto end_word = [&] {
    if (storage.size() > begin) words.emplace_back(base + begin, storage.size() - begin);
    begin = storage.size();
  };
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    Ascii kind = kAscii[c];
    if (!options_.clean_text && kind == Ascii::kDrop)  // kept, and \v \f still split words
      kind = (c == '\v' || c == '\f') ? Ascii::kSpace : Ascii::kWord;
    switch (kind) {
      case Ascii::kDrop:
        break;
      case Ascii::kSpace:
        end_word();
        break;
      case Ascii::kPunct:
        end_word();
        storage.push_back(static_cast<char>(c));
        end_word();
        break;
      case Ascii::kWord:
        storage.push_back(static_cast<char>(options_.lowercase ? ascii_lower(c) : c));
        break;
    }
  }
  end_word();
}

void BasicTokenizer::split(std::string_view text, std::string& storage,
                           std::vector<std::string_view>& words) const {
  if (utf8::is_ascii(text)) return split_ascii(text, storage, words);

  // 1. Clean and space out CJK ideographs.  text (bytes) -> cleaned (code points)
  std::u32string cleaned;
  cleaned.reserve(text.size() + 8);
  for (std::size_t pos = 0; pos < text.size();) {
    char32_t c = utf8::next(text, pos);
    if (options_.clean_text) {
      if (c == 0 || c == utf8::kReplacement) continue;
      if (c != '\t' && c != '\n' && c != '\r' && is_other(c)) continue;
      if (is_whitespace(c)) c = ' ';
    }
    if (options_.handle_chinese_chars && is_chinese_char(c)) {
      cleaned.push_back(' ');
      cleaned.push_back(c);
      cleaned.push_back(' ');
    } else {
      cleaned.push_back(c);
    }
  }

  // 2. Strip accents: NFD over each run of non-ASCII characters, nonspacing marks dropped.
  std::u32string stripped;
  if (options_.strip_accents) {
    stripped.reserve(cleaned.size());
    for (std::size_t i = 0; i < cleaned.size();) {
      if (cleaned[i] < 128) {
        stripped.push_back(cleaned[i++]);
        continue;
      }
      std::size_t j = i;
      while (j < cleaned.size() && cleaned[j] >= 128) ++j;
      append_nfd_without_marks(stripped, cleaned.data() + i, j - i);
      i = j;
    }
  } else {
    stripped = std::move(cleaned);
  }

  // 3. Lower-case.
  std::u32string normalized;
  if (options_.lowercase) {
    normalized.reserve(stripped.size());
    for (const char32_t c : stripped) append_lower(normalized, c);
  } else {
    normalized = std::move(stripped);
  }

  // 4. Split on whitespace (removed) and punctuation (kept, one character per word).
  storage.clear();
  storage.reserve(text.size() + 16);
  std::vector<std::pair<std::size_t, std::size_t>> spans;  // (begin, end) in storage
  std::size_t begin = 0;
  const auto end_word = [&] {
    if (storage.size() > begin) spans.emplace_back(begin, storage.size());
    begin = storage.size();
  };
  for (const char32_t c : normalized) {
    if (is_whitespace(c)) {
      end_word();
    } else if (is_punctuation(c)) {
      end_word();
      utf8::append(storage, c);
      end_word();
    } else {
      utf8::append(storage, c);
    }
  }
  end_word();
  words.clear();
  for (const auto& [b, e] : spans) words.emplace_back(storage.data() + b, e - b);
}

}  // namespace bertology

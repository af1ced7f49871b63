// GPT-2's byte-level pre-tokenization: the text is cut with GPT-2's pattern (hand-written over
// ICU character classes, no regex engine) and each piece's bytes map to printable characters.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

// GPT-2's bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 bytes
// to U+0100.. in order, so that every byte has a visible character ('\n' -> 'Ċ', ' ' -> 'Ġ').
const std::array<char32_t, 256>& bytes_to_unicode();

// Splits valid UTF-8 text into the pieces of the pattern
//   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// "Hello world  !" -> ["Hello", " world", " ", " !"]. Pieces view text.
void gpt2_split(std::string_view text, std::vector<std::string_view>& pieces);

}  // namespace bertology

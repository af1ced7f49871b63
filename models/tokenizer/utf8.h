// UTF-8 decoding and encoding for the tokenizers. Invalid bytes become U+FFFD exactly as
// Python's bytes.decode("utf-8", "replace") and Rust's from_utf8_lossy do (maximal subparts).
#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace bertology::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

// Decodes the code point at text[pos] and advances pos past it. An invalid sequence yields
// U+FFFD and advances past its maximal valid prefix (at least one byte), never past the end.
char32_t next(std::string_view text, std::size_t& pos);

// Appends the UTF-8 bytes of code point c (c must be a scalar value, i.e. not a surrogate).
void append(std::string& out, char32_t c);

// Whether text is well-formed UTF-8 (fast path: plain ASCII runs are checked 8 bytes at a time).
bool is_valid(std::string_view text);

// text with every invalid sequence replaced by U+FFFD; a copy of text when it is valid.
std::string sanitize(std::string_view text);

// Whether every byte is < 0x80.
bool is_ascii(std::string_view text);

}  // namespace bertology::utf8

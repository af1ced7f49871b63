// Reading tab-separated text files the way Python's csv module reads GLUE data (quotechar=None):
// tabs split fields, quotes are literal, any of \n, \r\n, \r ends a line, a UTF-8 BOM is skipped.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bertology {

struct TsvRow {
  int64_t line_number = 0;          // 1-based line in the file, for error messages
  std::vector<std::string> fields;  // an empty line has no fields (as csv.reader gives [])
};

// The longest line read_tsv accepts: a GLUE row is a sentence or two (the longest in GLUE is
// under 10 kB), so a longer line means the file is not what it claims to be.
inline constexpr size_t kMaxTsvLineBytes = 1 << 20;

// Every line of the file as a row. Throws Error naming the file when it cannot be read or is
// larger than the available memory, and the file and line when a line is not valid UTF-8,
// contains a NUL byte, or is longer than kMaxTsvLineBytes.
std::vector<TsvRow> read_tsv(const std::string& path);

// Where the first invalid UTF-8 sequence starts in text, or -1 when text is valid UTF-8
// (strict, as Python decodes: no overlong forms, no surrogates, nothing above U+10FFFF).
int64_t find_invalid_utf8(const std::string& text);

}  // namespace bertology

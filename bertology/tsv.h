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

// Every line of the file as a row. Throws Error naming the file when it cannot be read, and
// the file and line when a line is not valid UTF-8 or contains a NUL byte.
std::vector<TsvRow> read_tsv(const std::string& path);

// Where the first invalid UTF-8 sequence starts in text, or -1 when text is valid UTF-8
// (strict, as Python decodes: no overlong forms, no surrogates, nothing above U+10FFFF).
int64_t find_invalid_utf8(const std::string& text);

}  // namespace bertology

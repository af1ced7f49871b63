// Reading tab-separated text files the way Python's csv module reads GLUE data (quotechar=None).
// The whole file is read at once; GLUE's largest file (QQP train) is about 40 MB.
#include <bertology/bertology/tsv.h>

#include <bertology/models/text_file.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/system_memory.h>

namespace bertology {

namespace {

// Length of the UTF-8 sequence starting at text[i], or 0 when it is not a valid sequence.
size_t utf8_sequence_length(const std::string& text, size_t i) {
  auto byte = [&](size_t k) { return static_cast<unsigned char>(text[k]); };
  auto is_continuation = [&](size_t k) { return k < text.size() && (byte(k) & 0xC0) == 0x80; };
  const unsigned char lead = byte(i);
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return is_continuation(i + 1) ? 2 : 0;
  if (lead >= 0xE0 && lead <= 0xEF) {
    if (!is_continuation(i + 1) || !is_continuation(i + 2)) return 0;
    if (lead == 0xE0 && byte(i + 1) < 0xA0) return 0;   // overlong
    if (lead == 0xED && byte(i + 1) >= 0xA0) return 0;  // UTF-16 surrogate
    return 3;
  }
  if (lead >= 0xF0 && lead <= 0xF4) {
    if (!is_continuation(i + 1) || !is_continuation(i + 2) || !is_continuation(i + 3)) return 0;
    if (lead == 0xF0 && byte(i + 1) < 0x90) return 0;   // overlong
    if (lead == 0xF4 && byte(i + 1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;  // a continuation byte, 0xC0/0xC1 or 0xF5..0xFF
}

std::vector<std::string> split_on_tabs(const std::string& line) {
  std::vector<std::string> fields;
  if (line.empty()) return fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    if (tab == std::string::npos) {
      fields.push_back(line.substr(start));
      return fields;
    }
    fields.push_back(line.substr(start, tab - start));
    start = tab + 1;
  }
}

}  // namespace

int64_t find_invalid_utf8(const std::string& text) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t length = utf8_sequence_length(text, i);
    if (length == 0) return static_cast<int64_t>(i);
    i += length;
  }
  return -1;
}

std::vector<TsvRow> read_tsv(const std::string& path) {
  require_memory_for_file(path, 2.0, "reading it");  // the text, then its rows
  const std::string content = read_text_file(path);

  size_t position = 0;
  if (content.compare(0, 3, "\xEF\xBB\xBF") == 0) position = 3;  // utf-8-sig, as HF opens GLUE

  std::vector<TsvRow> rows;
  int64_t line_number = 0;
  while (position < content.size()) {
    ++line_number;
    const size_t end = content.find_first_of("\r\n", position);
    const size_t line_end = end == std::string::npos ? content.size() : end;
    if (line_end - position > kMaxTsvLineBytes)
      throw Error(concat(path, ":", line_number, ": the line is ", line_end - position, " bytes long (at most ",
                         kMaxTsvLineBytes, "; is this a tab-separated data file?)"));
    std::string line = content.substr(position, line_end - position);
    position = line_end;
    if (position < content.size()) {  // step over \n, \r or \r\n (Python's universal newlines)
      position += (content[position] == '\r' && position + 1 < content.size() &&
                   content[position + 1] == '\n') ? 2 : 1;
    }
    const int64_t bad_byte = find_invalid_utf8(line);
    if (bad_byte >= 0)
      throw Error(concat(path, ":", line_number, ": invalid UTF-8 at byte ", bad_byte + 1,
                         " of the line"));
    if (line.find('\0') != std::string::npos)
      throw Error(concat(path, ":", line_number, ": the line contains a NUL byte"));
    rows.push_back({line_number, split_on_tabs(line)});
  }
  return rows;
}

}  // namespace bertology

// Reading HF vocabulary files into a Vocab; every failure names the file and, where there is
// one, the line, so that a user can fix the file.
#include "vocab.h"

#include <nlohmann/json.hpp>

#include <bertology/models/text_file.h>
#include <bertology/models/text_file.h>
#include <bertology/tensor/error.h>

#include "utf8.h"

namespace bertology {

void Vocab::add(std::string token, int32_t id) {
  if (id < 0) throw Error(concat("vocabulary: negative id ", id, " for token '", token, "'"));
  if (id >= size()) id_to_token_.resize(static_cast<std::size_t>(id) + 1);
  token_to_id_.assign(token, id);
  id_to_token_[id] = std::move(token);
}

int32_t Vocab::find(std::string_view token) const {
  const int32_t* id = token_to_id_.find(token);
  return id ? *id : kNone;
}

const std::string& Vocab::token(int32_t id) const {
  if (id < 0 || id >= size())
    throw Error(concat("token id ", id, " is outside the vocabulary (size ", size(), ")"));
  return id_to_token_[id];
}

namespace {

// Splits text into lines on '\n' (a final newline does not start another line).
std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

}  // namespace

Vocab load_vocab_txt(const std::string& path) {
  const std::string text = read_text_file(path);
  if (!utf8::is_valid(text)) throw Error(concat(path, ": not valid UTF-8"));
  Vocab vocab;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    // A NUL byte means this is not a text vocabulary (e.g. a weights file passed by mistake).
    if (line.find('\0') != std::string_view::npos)
      throw Error(concat(path, ":", i + 1, ": NUL byte; a vocab.txt holds one token per line"));
    if (line.size() > kMaxTokenBytes)
      throw Error(concat(path, ":", i + 1, ": a line of ", line.size(), " bytes; a vocab.txt holds one token per line ",
                         "(at most ", kMaxTokenBytes, " bytes)"));
    while (!line.empty() && is_space(line.back())) line.remove_suffix(1);  // HF: trim_end
    // A blank line keeps its id, as in HF, and matches nothing (words are never empty).
    vocab.add(std::string(line), static_cast<int32_t>(i));
  }
  if (vocab.size() == 0) throw Error(concat(path, ": empty vocabulary"));
  return vocab;
}

Vocab load_vocab_json(const std::string& path) {
  const nlohmann::json json = parse_json(read_text_file(path), path);
  if (!json.is_object()) throw Error(concat(path, ": must hold a JSON object {\"token\": id, ...}"));
  if (json.empty()) throw Error(concat(path, ": empty vocabulary"));
  Vocab vocab;
  for (auto it = json.begin(); it != json.end(); ++it) {
    if (!it.value().is_number_integer())
      throw Error(concat(path, ": the id of token '", it.key(), "' is not an integer"));
    const auto id = it.value().get<int64_t>();
    if (id < 0 || id > INT32_MAX)
      throw Error(concat(path, ": token '", it.key(), "' has id ", id, " (ids must be in [0, 2^31))"));
    vocab.add(it.key(), static_cast<int32_t>(id));
  }
  return vocab;
}

std::vector<Merge> load_merges(const std::string& path, const Vocab& vocab) {
  const std::string text = read_text_file(path);
  if (!utf8::is_valid(text)) throw Error(concat(path, ": not valid UTF-8"));
  std::vector<Merge> merges;
  const auto lines = split_lines(text);
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (i == 0 && line.substr(0, 8) == "#version") continue;
    if (line.empty()) continue;
    const std::size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      throw Error(concat(path, ":", i + 1, ": expected two tokens separated by one space, got '", line, "'"));
    const std::string_view left = line.substr(0, space), right = line.substr(space + 1);
    Merge merge{vocab.find(left), vocab.find(right), vocab.find(std::string(left) + std::string(right))};
    const std::string_view missing = merge.left == Vocab::kNone    ? left
                                     : merge.right == Vocab::kNone ? right
                                                                   : std::string_view();
    if (!missing.empty())
      throw Error(concat(path, ":", i + 1, ": token '", missing, "' is not in the vocabulary"));
    if (merge.merged == Vocab::kNone)
      throw Error(concat(path, ":", i + 1, ": merged token '", left, right,
                         "' is not in the vocabulary"));
    merges.push_back(merge);
  }
  return merges;
}

}  // namespace bertology

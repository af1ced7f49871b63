// `bertology tokenize`: tokenizes UTF-8 lines from stdin with a model folder's tokenizer and
// writes one JSON object per line (ids, tokens; for pairs also token_type_ids, attention_mask).
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <bertology/models/tokenizer/load_tokenizer.h>
#include <bertology/tensor/error.h>

#include "args.h"
#include "commands.h"

namespace bertology::cli {
namespace {

constexpr const char* kUsage =
    "usage: bertology tokenize --tokenizer DIR [--pair] [--max-length N] [--no-special-tokens]\n"
    "\n"
    "Reads UTF-8 lines from stdin (with --pair: two texts separated by a tab) and writes one\n"
    "JSON object per line: {\"ids\": [...], \"tokens\": [...]}, for pairs also\n"
    "\"token_type_ids\" and \"attention_mask\" (the mask also whenever there is padding).\n"
    "DIR is a model folder (vocab.txt, or vocab.json + merges.txt); the tokenizer is chosen\n"
    "from its files and configs. --max-length N truncates (longest_first) and pads to N\n"
    "tokens, as HF's truncation=True, padding=\"max_length\". --no-special-tokens leaves out\n"
    "[CLS]/[SEP] (BERT), as HF's add_special_tokens=False.\n";

constexpr std::size_t kChunkLines = 4096;  // lines encoded in parallel at a time

void write_chunk(const Tokenizer& tokenizer, const std::vector<std::string>& lines,
                 std::size_t first_line_number, bool pair, const EncodeOptions& options) {
  std::vector<Encoding> encodings;
  if (pair) {
    std::vector<std::pair<std::string, std::string>> pairs;
    pairs.reserve(lines.size());
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const std::size_t tab = lines[i].find('\t');
      if (tab == std::string::npos)
        throw Error(concat("stdin line ", first_line_number + i,
                           ": --pair needs two texts separated by a tab"));
      pairs.emplace_back(lines[i].substr(0, tab), lines[i].substr(tab + 1));
    }
    encodings = tokenizer.encode_pair_batch(pairs, options);
  } else {
    encodings = tokenizer.encode_batch(lines, options);
  }
  for (const Encoding& e : encodings) {
    nlohmann::ordered_json out;
    out["ids"] = e.ids;
    out["tokens"] = e.tokens;
    if (pair) out["token_type_ids"] = e.token_type_ids;
    if (pair || options.padding != Padding::kNone) out["attention_mask"] = e.attention_mask;
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
}

}  // namespace

int run_tokenize(const std::vector<std::string>& argv) {
  const Args args(argv, {"pair", "no-special-tokens", "help"}, {"tokenizer", "max-length"});
  if (args.flag("help")) {
    std::cout << kUsage;
    return 0;
  }
  const long long max_length = args.get_int_in("max-length", 0, 0, 1 << 20);  // 0: no padding
  const auto tokenizer = load_tokenizer(args.required("tokenizer"));
  EncodeOptions options;
  options.add_special_tokens = !args.flag("no-special-tokens");
  options.max_length = static_cast<std::size_t>(max_length);
  options.padding = max_length > 0 ? Padding::kMaxLength : Padding::kNone;
  const bool pair = args.flag("pair");

  std::ios::sync_with_stdio(false);
  std::vector<std::string> lines;
  std::size_t line_number = 0, chunk_start = 1;
  std::string line;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
    if (lines.size() == kChunkLines) {
      write_chunk(*tokenizer, lines, chunk_start, pair, options);
      lines.clear();
      chunk_start = line_number + 1;
    }
  }
  write_chunk(*tokenizer, lines, chunk_start, pair, options);
  std::cout.flush();
  if (!std::cout) throw Error("cannot write to stdout");
  return 0;
}

}  // namespace bertology::cli

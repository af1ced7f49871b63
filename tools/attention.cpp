// `bertology attention`: every head's attention over the tokens of a text (or a text pair) as a
// self-contained HTML page (bertology/attention_view.h).
#include <filesystem>
#include <iostream>

#include <bertology/bertology/attention_view.h>
#include <bertology/bertology/output_dir.h>
#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>

#include "args.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace bertology::cli {
namespace {

constexpr const char* kUsage =
    "usage: bertology attention --model DIR --text TEXT [--pair TEXT] [--output FILE.html]\n"
    "                           [--max-seq-length N]\n"
    "\n"
    "Runs the model folder on TEXT (and PAIR, as a sentence pair) and writes one HTML page (default\n"
    "attention.html) showing every head's attention: a layer selector, one colour per head or all\n"
    "heads overlaid, queries on the left, keys on the right, line opacity = attention weight.\n"
    "The page needs no network access. --max-seq-length truncates the input (default 128).\n"
    "An existing FILE is replaced only when it is an earlier attention page.\n";

}  // namespace

int run_attention(const std::vector<std::string>& argv) {
  const Args args(argv, {"help"}, {"model", "text", "pair", "output", "max-seq-length"});
  if (args.flag("help")) {
    std::cout << kUsage;
    return 0;
  }
  const std::string model_dir = args.required("model");
  const std::string text = args.required("text");
  const fs::path output = args.get("output", "attention.html");
  refuse_output_file_over_inputs(output, model_dir, {}, "--output");  // never over the model's files
  refuse_to_replace_another_file(output, is_attention_page, "an attention page", "--output");
  std::unique_ptr<PreTrainedModel> model = load_model(model_dir);
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(model_dir);
  AttentionView view =
      compute_attention_view(*model, *tokenizer, text, args.get("pair"), args.get_int("max-seq-length", 128));
  write_file_atomically(output.string(), render_attention_html(view));
  std::cout << "Attention of " << view.tokens.size() << " tokens, " << view.attention.size() << " layers written to "
            << output.string() << "\n";
  return 0;
}

}  // namespace bertology::cli

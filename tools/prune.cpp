// `bertology prune`: removes attention heads from a model folder for real (the weights are
// sliced) and saves the smaller model in HF layout, pruned_heads recorded in config.json.
#include <filesystem>
#include <iostream>
#include <sstream>

#include <bertology/bertology/output_dir.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>

#include "args.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace bertology::cli {
namespace {

// "0:1,3;2:0" -> {0: [1, 3], 2: [0]}
std::map<int64_t, std::vector<int64_t>> parse_heads(const std::string& spec) {
  std::map<int64_t, std::vector<int64_t>> heads;
  auto number = [&](const std::string& text) -> int64_t {
    size_t used = 0;
    long long v = -1;
    try {
      v = std::stoll(text, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used == 0 || used != text.size() || v < 0)
      throw Error(
          concat("--heads: '", text, "' is not a layer or head number (expected e.g. \"0:1,3;2:0\")"));
    return v;
  };
  std::istringstream layers(spec);
  for (std::string part; std::getline(layers, part, ';');) {
    if (part.empty()) throw Error(concat("--heads: an empty entry in '", spec, "' (expected e.g. \"0:1,3;2:0\")"));
    const size_t colon = part.find(':');
    if (colon == std::string::npos)
      throw Error(concat("--heads: '", part, "' has no ':' (expected LAYER:HEAD,HEAD,...)"));
    std::vector<int64_t>& list = heads[number(part.substr(0, colon))];
    std::istringstream items(part.substr(colon + 1));
    for (std::string item; std::getline(items, item, ',');) list.push_back(number(item));
    if (list.empty()) throw Error(concat("--heads: '", part, "' names no head (expected LAYER:HEAD,HEAD,...)"));
  }
  if (heads.empty()) throw Error("--heads names no heads (expected e.g. \"0:1,3;2:0\")");
  return heads;
}

}  // namespace

int run_prune(const std::vector<std::string>& argv) {
  const Args args(argv, {"help"}, {"model", "heads", "out"});
  if (args.flag("help")) {
    std::cout << "usage: bertology prune --model DIR --heads \"0:1,3;2:0\" --out DIR\n"
                 "\n"
                 "Prunes the listed heads (layer:head,head;... with original head numbers; heads\n"
                 "already pruned are skipped) and saves the model to the --out folder.\n";
    return 0;
  }
  const std::string model_dir = args.required("model"), out = args.required("out");
  refuse_output_over_inputs(out, {model_dir}, "--out");  // nor inside the model folder
  refuse_to_replace_a_model(out, "--out");
  std::error_code ec;
  if (fs::is_directory(out) && !fs::is_empty(out, ec))
    throw Error(concat(out, ": --out is a folder that is not empty; choose a new folder"));
  const auto heads = parse_heads(args.required("heads"));
  auto model = load_model(model_dir);
  model->prune_heads(heads);
  // The model and its tokenizer files are written beside --out and renamed into place together:
  // the folder appears complete or not at all.
  StagedOutputDir staged(out, /*overwrite=*/true, {model_dir});
  model->save_pretrained(staged.scratch().string());
  copy_tokenizer_files(model_dir, staged.scratch().string());
  staged.commit();
  return 0;
}

}  // namespace bertology::cli

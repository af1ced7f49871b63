// `bertology demo` (also what `bertology` runs with no arguments): the whole BERTology run on
// the shipped demo — a small BERT fine-tuned on austen-order (is this Austen sentence in its
// original word order?) — scored on the dev split: entropy, importance, masking to the
// threshold, pruning, timings, report.html.
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include <bertology/tensor/error.h>

#include "args.h"
#include "commands.h"

namespace fs = std::filesystem;

namespace bertology::cli {
namespace {

// The demo folder: $BERTOLOGY_DEMO_DIR, else the source tree this binary was built from, else
// the installed copy beside this binary, else under the prefix known when configuring.
fs::path demo_dir() {
  if (const char* env = std::getenv("BERTOLOGY_DEMO_DIR"); env && *env) return env;
  std::error_code ec;
  const fs::path binary = fs::read_symlink("/proc/self/exe", ec);
  const fs::path beside_binary =
      ec ? fs::path() : (binary.parent_path() / BERTOLOGY_DEMO_DIR_FROM_BINARY).lexically_normal();
  for (const fs::path& candidate : {fs::path(BERTOLOGY_SOURCE_DEMO_DIR), beside_binary,
                                    fs::path(BERTOLOGY_INSTALLED_DEMO_DIR)})
    if (!candidate.empty() && fs::is_directory(candidate / "model")) return candidate;
  throw Error(concat("the demo folder was not found (looked in ", BERTOLOGY_SOURCE_DEMO_DIR, ", ",
                     beside_binary.string(), " and ", BERTOLOGY_INSTALLED_DEMO_DIR, "); set BERTOLOGY_DEMO_DIR"));
}

}  // namespace

int run_demo(const std::vector<std::string>& argv) {
  const Args args(argv, {"ablation", "quiet", "help"}, {"output-dir", "threads"});
  if (args.flag("help")) {
    std::cout << "usage: bertology demo [--output-dir DIR] [--ablation] [--threads N] [--quiet]\n"
                 "\n"
                 "Runs `bertology run --try-masking` with the demo model (a small BERT trained on\n"
                 "austen-order) on the austen-order dev split and writes DIR (bertology-demo):\n"
                 "report.html, the heatmaps as .svg, the .npy tables, results.json, pruned_model/.\n"
                 "An earlier output in DIR is replaced. --ablation also masks each head alone.\n";
    return 0;
  }
  const fs::path demo = demo_dir();
  std::vector<std::string> run_args = {"--model", (demo / "model").string(),
                                       "--task", "cola",
                                       "--data-dir", (demo / "data" / "austen-order").string(),
                                       "--output-dir", args.get("output-dir", "bertology-demo"),
                                       "--overwrite-output-dir", "--try-masking"};
  if (args.flag("ablation")) run_args.push_back("--ablation");
  if (args.flag("quiet")) run_args.push_back("--quiet");
  if (args.has("threads")) run_args.insert(run_args.end(), {"--threads", args.get("threads")});
  return run_run(run_args);
}

}  // namespace bertology::cli

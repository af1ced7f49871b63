// `bertology run`: the BERTology workflow of run_bertology.py on a model folder and a GLUE task
// (or a plain-text file for language models); see bertology/run.h for the steps.
#include <cstdio>
#include <iostream>
#include <limits>
#include <memory>
#include <unistd.h>

#include <bertology/bertology/run.h>
#include <bertology/tensor/parallel.h>

#include "args.h"
#include "commands.h"
#include "progress.h"

namespace bertology::cli {

int run_run(const std::vector<std::string>& argv) {
  Args args(argv,
            {"dont-normalize-importance-by-tokens", "dont-normalize-importance-by-layer",
             "dont-normalize-global-importance", "try-masking", "ablation", "quiet", "overwrite-output-dir", "help"},
            {"model", "task", "data-dir", "data-file", "output-dir", "batch-size", "max-seq-length", "data-subset",
             "granularity", "seed", "threads", "device", "masking-threshold", "masking-amount", "metric-name"});
  if (args.flag("help")) {
    std::cout
        << "usage: bertology run --model DIR --task TASK (--data-dir DIR | --data-file FILE) --output-dir DIR\n"
           "                     [options]\n"
           "\n"
           "Attention entropy and head importance |dloss/dmask| of every head on TASK's dev split (a GLUE\n"
           "task, or lm: plain text scored by the language-model loss), then with --try-masking the\n"
           "iterative masking of the least important heads down to the threshold and pruning of the\n"
           "final mask. Writes DIR: report.html, *.svg heatmaps, *.npy tables, results.json, and with\n"
           "--try-masking pruned_model/ (an HF folder; none when masking is skipped because the\n"
           "unmasked score is not positive).\n"
           "\n"
           "options:\n"
           "  --data-dir DIR          the GLUE task's folder; for lm, the folder holding dev.txt\n"
           "  --data-file FILE        lm: the text file\n"
           "  --batch-size N          examples per forward (8)\n"
           "  --max-seq-length N      truncation / language-model chunk length (128)\n"
           "  --data-subset N         only the first N examples\n"
           "  --granularity G         example (the paper), token (Michel's code) or batch\n"
           "                          (run_bertology.py): where |.| is taken (example)\n"
           "  --dont-normalize-importance-by-tokens\n"
           "                          skip dividing by the number of non-padding tokens\n"
           "  --dont-normalize-importance-by-layer\n"
           "                          skip dividing each layer by its L2 norm\n"
           "  --dont-normalize-global-importance\n"
           "                          skip the min-max scaling to [0, 1]\n"
           "  --ablation              also mask each head alone: true loss and metric change,\n"
           "                          and their Spearman correlation with the gradient importance\n"
           "  --try-masking           mask heads iteratively, then prune the final mask\n"
           "  --masking-threshold T   stop when the score falls below T x the original (0.9)\n"
           "  --masking-amount A      share of all heads masked per step (0.1)\n"
           "  --metric-name NAME      the metric that scores a mask (the task's; perplexity for lm)\n"
           "  --seed N                masked-LM token choice (42)\n"
           "  --threads N             compute threads (all cores)\n"
           "  --device D              cpu, or cuda in a build with -DBERTOLOGY_CUDA=ON (cpu)\n"
           "  --overwrite-output-dir  replace an earlier output folder\n"
           "  --quiet                 no tables or progress bars, one summary line\n";
    return 0;
  }
  RunOptions o;
  o.model_dir = args.required("model");
  o.task = args.required("task");
  o.data_dir = args.get("data-dir");
  o.data_file = args.get("data-file");
  o.output_dir = args.required("output-dir");
  o.overwrite_output_dir = args.flag("overwrite-output-dir");
  o.batch_size = args.get_int("batch-size", 8);
  o.max_seq_length = args.get_int("max-seq-length", 128);
  o.data_subset = args.get_int("data-subset", -1);
  o.granularity = parse_granularity(args.get("granularity", "example"));
  o.normalization.by_tokens = !args.flag("dont-normalize-importance-by-tokens");
  o.normalization.by_layer = !args.flag("dont-normalize-importance-by-layer");
  o.normalization.global = !args.flag("dont-normalize-global-importance");
  o.seed = static_cast<uint64_t>(args.get_int_in("seed", 42, 0, std::numeric_limits<long long>::max()));
  o.try_masking = args.flag("try-masking");
  o.ablation = args.flag("ablation");
  o.masking_threshold = args.get_double("masking-threshold", 0.9);
  o.masking_amount = args.get_double("masking-amount", 0.1);
  o.metric_name = args.get("metric-name");
  o.command_line = "bertology run";
  for (const std::string& a : argv) o.command_line += " " + a;
  o.device = parse_device(args.get("device", "cpu"));
  if (args.has("threads")) set_num_threads(static_cast<int>(args.get_int_in("threads", 1, 1, 1024)));

  const bool quiet = args.flag("quiet");
  const RunObserver observer = console_observer(quiet);
  RunSummary s = run_bertology(o, observer);
  if (quiet) std::printf("%s %.6g -> %.6g, outputs in %s\n", s.metric_name.c_str(), s.original_score,
                         s.final_score, s.output_dir.c_str());
  return 0;
}

}  // namespace bertology::cli

// `bertology run`: the BERTology workflow of run_bertology.py on a model folder and a GLUE task
// (or a plain-text file for language models); see bertology/run.h for the steps.
#include <cstdio>
#include <iostream>
#include <memory>

#include <bertology/bertology/run.h>
#include <bertology/tensor/parallel.h>

#include "args.h"
#include "commands.h"
#include "progress.h"

namespace bertology::cli {

int run_run(const std::vector<std::string>& argv) {
  Args args(argv,
            {"dont-normalize-importance-by-layer", "dont-normalize-global-importance", "try-masking", "quiet",
             "overwrite-output-dir"},
            {"model", "task", "data-dir", "data-file", "output-dir", "batch-size", "max-seq-length", "data-subset",
             "granularity", "seed", "threads", "masking-threshold", "masking-amount", "metric-name"});
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
  o.normalization.by_layer = !args.flag("dont-normalize-importance-by-layer");
  o.normalization.global = !args.flag("dont-normalize-global-importance");
  o.seed = static_cast<uint64_t>(args.get_int("seed", 42));
  o.try_masking = args.flag("try-masking");
  o.masking_threshold = args.get_double("masking-threshold", 0.9);
  o.masking_amount = args.get_double("masking-amount", 0.1);
  o.metric_name = args.get("metric-name");
  o.command_line = "bertology run";
  for (const std::string& a : argv) o.command_line += " " + a;
  if (args.has("threads")) set_num_threads(static_cast<int>(args.get_int("threads", 1)));

  const bool quiet = args.flag("quiet");
  const bool bars = ProgressBar::wanted(quiet);
  RunObserver observer;
  observer.log = [quiet](const std::string& line) {
    if (!quiet) std::cout << line << (line.empty() || line.back() != '\n' ? "\n" : "") << std::flush;
  };
  observer.progress = [bars](const std::string& label) {
    auto bar = std::make_shared<ProgressBar>(label, bars);
    return std::function<void(int64_t, int64_t)>([bar](int64_t done, int64_t total) { bar->update(done, total); });
  };
  RunSummary s = run_bertology(o, observer);
  if (quiet) std::printf("%s %.6g -> %.6g, outputs in %s\n", s.metric_name.c_str(), s.original_score,
                         s.final_score, s.output_dir.c_str());
  return 0;
}

}  // namespace bertology::cli

// A whole BERTology run (`bertology run`): entropy and importance of every head, optional
// iterative masking to a score threshold, pruning of the final mask with timings, and the
// output files (.npy, results.json, report.html and .svg heatmaps, pruned_model/). The C++
// run_bertology.py.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <bertology/bertology/head_stats.h>
#include <bertology/bertology/masking.h>

namespace bertology {

struct RunOptions {
  std::string model_dir;
  std::string task;        // a GLUE task name, or "lm" (plain text, language-model loss)
  std::string data_dir;    // GLUE: the task's folder (dev split is evaluated); lm: folder with dev.txt
  std::string data_file;   // lm: the text file (overrides data_dir)
  std::string output_dir;
  bool overwrite_output_dir = false;
  int64_t batch_size = 8;
  int64_t max_seq_length = 128;
  int64_t data_subset = -1;  // > 0: only the first N examples
  Granularity granularity = Granularity::Example;
  ImportanceNormalization normalization;
  uint64_t seed = 42;
  bool ablation = false;    // also mask each head alone and correlate with the gradient importance
  bool try_masking = false;
  double masking_threshold = 0.9;
  double masking_amount = 0.1;
  std::string metric_name;   // "" = the task's default (perplexity for lm)
  std::string command_line;  // recorded in results.json
  Device device = Device::cpu();  // where the model computes (cuda: a build with BERTOLOGY_CUDA)
};

// How a run talks to its caller: the library prints nothing itself.
struct RunObserver {
  std::function<void(const std::string& line)> log = [](const std::string&) {};
  // A progress callback for a pass over the data named `label` (done, total examples).
  std::function<std::function<void(int64_t, int64_t)>(const std::string& label)> progress =
      [](const std::string&) { return std::function<void(int64_t, int64_t)>(); };
  bool colour = false;  // log lines may hold ANSI colours (the caller's output is a terminal)
};

struct RunSummary {
  std::string metric_name;
  double original_score = 0;
  double final_score = 0;       // after masking (= original without --try-masking)
  double pruned_score = 0;      // with the heads pruned for real (when masking ran)
  int64_t heads_masked = 0;
  std::string output_dir;
};

// Throws Error (one line, naming what and where) for bad options or inputs; writes the output
// dir only when everything succeeded (built beside it, then renamed into place).
RunSummary run_bertology(const RunOptions& options, const RunObserver& observer = {});

// The layer × head table as run_bertology.py prints it: a header of head numbers, then one
// "layer i:" row per layer (1-based), values tab-separated.
std::string format_head_table(const Tensor& table, int precision = 5);
// Ranks 0 = most important, over all heads (as run_bertology.py's head_ranks). Ties go the way
// masking takes them: masking removes the lower flat index first, so among equal importances
// the higher index ranks as more important.
Tensor head_ranks(const Tensor& importance);

}  // namespace bertology

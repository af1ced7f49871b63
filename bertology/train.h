// Training a model on a task (`bertology train`): fine-tuning a pre-trained model or training one
// from `bertology init`'s weights, as HF's run_glue.py / Trainer does it: AdamW (no decay on
// biases and LayerNorm weights), linear warmup then linear decay, gradient-norm clipping,
// dropout, seeded shuffling; the dev split is scored after every epoch and the best epoch's
// weights are saved as an HF model folder with the tokenizer files beside them.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <bertology/bertology/run.h>

namespace bertology {

struct TrainOptions {
  std::string model_dir;     // starting weights (HF folder)
  std::string architecture;  // "" = config.json's; e.g. BertForSequenceClassification on an MLM body
  std::string task;          // a GLUE task name, or "lm" (train.txt / dev.txt)
  std::string data_dir;
  std::string output_dir;    // the best checkpoint; built beside it and renamed into place
  bool overwrite_output_dir = false;
  int64_t epochs = 3;
  int64_t batch_size = 32;
  int64_t max_seq_length = 128;
  int64_t train_subset = -1;  // > 0: only the first N training examples
  double learning_rate = 5e-5;
  double warmup_ratio = 0.1;  // share of all steps spent warming up
  double weight_decay = 0.01;
  double max_grad_norm = 1.0;
  double adam_epsilon = 1e-8;
  uint64_t seed = 42;         // shuffling, dropout and (lm) which tokens are masked
  std::string metric_name;    // "" = the task's default (perplexity for lm)
  std::string command_line;   // recorded in train_results.json
};

struct EpochResult {
  int64_t epoch = 0;         // 1-based
  double train_loss = 0;     // mean over the epoch's steps
  double dev_score = 0;
  double seconds = 0;        // training + evaluation
  bool best = false;         // the checkpoint saved so far comes from this epoch
};

struct TrainSummary {
  std::string metric_name;
  double initial_score = 0;  // dev score before training
  double best_score = 0;
  int64_t best_epoch = 0;    // 0 = training never beat the initial weights
  std::vector<EpochResult> epochs;
  std::string output_dir;
};

// Throws Error (one line) for bad options or inputs; the output folder appears only complete.
TrainSummary train_model(const TrainOptions& options, const RunObserver& observer = {});

}  // namespace bertology

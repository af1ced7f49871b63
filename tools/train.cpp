// `bertology train`: fine-tune or train a model on a GLUE task or plain text (see
// bertology/train.h), the best dev epoch saved as an HF model folder.
#include <iostream>
#include <memory>

#include <bertology/bertology/train.h>
#include <bertology/tensor/parallel.h>

#include "args.h"
#include "commands.h"
#include "progress.h"

namespace bertology::cli {

int run_train(const std::vector<std::string>& argv) {
  const Args args(argv, {"overwrite-output-dir", "quiet", "help"},
                  {"model", "architecture", "task", "data-dir", "output-dir", "epochs", "batch-size",
                   "max-seq-length", "train-subset", "learning-rate", "warmup-ratio", "weight-decay",
                   "max-grad-norm", "seed", "threads", "metric-name"});
  if (args.flag("help")) {
    std::cout << "usage: bertology train --model DIR --task TASK --data-dir DIR --output-dir DIR [options]\n"
                 "\n"
                 "Trains DIR's model on TASK (a GLUE task, or lm: DIR/train.txt and dev.txt) and saves the\n"
                 "epoch with the best dev score as an HF model folder with its tokenizer files.\n"
                 "\n"
                 "options:\n"
                 "  --architecture NAME     build this HF class instead of config.json's (e.g.\n"
                 "                          BertForSequenceClassification on a BertForMaskedLM folder)\n"
                 "  --epochs N              passes over the training data (3)\n"
                 "  --batch-size N          examples per step (32)\n"
                 "  --max-seq-length N      tokens per example, longer ones truncated (128)\n"
                 "  --train-subset N        only the first N training examples\n"
                 "  --learning-rate X       peak AdamW learning rate (5e-5)\n"
                 "  --warmup-ratio X        share of the steps spent warming up (0.1)\n"
                 "  --weight-decay X        AdamW decay, not on biases or LayerNorm (0.01)\n"
                 "  --max-grad-norm X       clip the gradient norm, 0 = off (1.0)\n"
                 "  --seed N                shuffling, dropout, masked-LM masks (42)\n"
                 "  --threads N             compute threads (all cores)\n"
                 "  --metric-name NAME      the dev metric that picks the best epoch (the task's)\n"
                 "  --overwrite-output-dir  replace an earlier output folder\n"
                 "  --quiet                 print only the final line\n";
    return 0;
  }
  TrainOptions o;
  o.model_dir = args.required("model");
  o.architecture = args.get("architecture");
  o.task = args.required("task");
  o.data_dir = args.required("data-dir");
  o.output_dir = args.required("output-dir");
  o.overwrite_output_dir = args.flag("overwrite-output-dir");
  o.epochs = args.get_int("epochs", o.epochs);
  o.batch_size = args.get_int("batch-size", o.batch_size);
  o.max_seq_length = args.get_int("max-seq-length", o.max_seq_length);
  o.train_subset = args.get_int("train-subset", o.train_subset);
  o.learning_rate = args.get_double("learning-rate", o.learning_rate);
  o.warmup_ratio = args.get_double("warmup-ratio", o.warmup_ratio);
  o.weight_decay = args.get_double("weight-decay", o.weight_decay);
  o.max_grad_norm = args.get_double("max-grad-norm", o.max_grad_norm);
  const long long seed = args.get_int("seed", 42);
  if (seed < 0) throw Error("--seed must not be negative");
  o.seed = static_cast<uint64_t>(seed);
  o.metric_name = args.get("metric-name");
  o.command_line = "bertology train";
  for (const std::string& a : argv) o.command_line += " " + a;
  if (args.has("threads")) set_num_threads(static_cast<int>(args.get_int_in("threads", 1, 1, 1024)));

  const bool quiet = args.flag("quiet");
  const RunObserver observer = console_observer(quiet);
  TrainSummary s = train_model(o, observer);
  if (quiet)
    std::cout << "best dev " << s.metric_name << " " << s.best_score << " at epoch " << s.best_epoch << ", model in "
              << s.output_dir << "\n";
  return 0;
}

}  // namespace bertology::cli

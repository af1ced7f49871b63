// The data of a task and how a model is scored on it, shared by `run` (dev split) and `train`
// (train and dev splits): a GLUE task read from its TSV folder, or "lm", a plain-text file scored
// by the model's language-model head (causal for GPT models, masked for BertForMaskedLM).
#pragma once
#include <cstdint>
#include <string>

#include <bertology/bertology/eval_data.h>
#include <bertology/bertology/glue.h>
#include <bertology/bertology/head_stats.h>

namespace bertology {

struct TaskDataOptions {
  std::string task;       // a GLUE task name, or "lm"
  std::string data_dir;   // GLUE: the task's folder; lm: folder with train.txt / dev.txt
  std::string data_file;  // lm only: the text file (overrides data_dir)
  GlueSplit split = GlueSplit::Dev;
  int64_t max_seq_length = 128;
  uint64_t seed = 42;     // masked LM: which tokens are masked
};

// Checks that the model has the head the task needs (a sequence classifier with the task's
// num_labels, or a language-model head for "lm") and encodes the split. Errors name the file or
// the model folder.
EvalData load_task_data(const TaskDataOptions& options, const PreTrainedModel& model, const Tokenizer& tokenizer);

// The metric a task is scored by when none is named: the GLUE task's default, perplexity for lm.
std::string default_metric(const std::string& task);
bool lower_is_better(const std::string& metric);  // perplexity
// Throws unless task_score can report `metric` for the data's task: perplexity for a language
// model (the only lm score; lower_is_better() goes by the name), else one of the GLUE task's
// metric names. run and train call it before any pass, so a misspelt --metric-name costs none.
void check_metric(const EvalData& data, const std::string& metric);

// The named metric of a pass's predictions (perplexity for language models).
double task_score(const EvalData& data, const Predictions& predictions, const std::string& metric);

}  // namespace bertology

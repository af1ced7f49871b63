// Loading a task's split for a model and scoring predictions with the task's metric.
#include <bertology/bertology/metrics.h>
#include <bertology/bertology/task_data.h>
#include <bertology/bertology/tsv.h>

#include <bertology/models/text_file.h>
#include <bertology/tensor/system_memory.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>

namespace fs = std::filesystem;

namespace bertology {
namespace {

// A language-modelling text file, whole. The text, its token ids and the encoded blocks take
// a few times the file's size.
std::string read_lm_text(const std::string& path) {
  require_memory_for_file(path, 4.0, "reading and encoding it");
  const std::string text = read_text_file(path);
  if (text.empty()) throw Error(concat(path, ": the text file is empty"));
  if (const int64_t bad = find_invalid_utf8(text); bad >= 0) {  // as the TSV reader says it: file, line, byte
    const int64_t line = 1 + std::count(text.begin(), text.begin() + bad, '\n');
    const size_t newline = bad == 0 ? std::string::npos : text.rfind('\n', bad - 1);
    const int64_t line_start = newline == std::string::npos ? 0 : static_cast<int64_t>(newline) + 1;
    throw Error(concat(path, ":", line, ": invalid UTF-8 at byte ", bad - line_start + 1, " of the line"));
  }
  return text;
}

}  // namespace

EvalData load_task_data(const TaskDataOptions& o, const PreTrainedModel& model, const Tokenizer& tokenizer) {
  const std::string cls = model.class_name();
  const std::string where = model.source().directory.empty() ? cls : model.source().directory;
  // Sequences longer than the model's positions cannot run: like HF's run_glue (min with
  // model_max_length), the longest sequence is the smaller of the two.
  const int64_t positions = model.config().max_position_embeddings;
  const int64_t max_seq_length = positions > 0 ? std::min(o.max_seq_length, positions) : o.max_seq_length;
  if (o.task == "lm") {
    TaskKind kind;
    if (cls == "GPT2LMHeadModel" || cls == "OpenAIGPTLMHeadModel") kind = TaskKind::CausalLM;
    else if (cls == "BertForMaskedLM") kind = TaskKind::MaskedLM;
    else throw Error(concat("--task lm needs a language-model head (GPT2LMHeadModel, OpenAIGPTLMHeadModel or ",
                            "BertForMaskedLM); ", where, " is a ", cls));
    if (o.data_file.empty() && o.data_dir.empty()) throw Error("--task lm needs --data-file or --data-dir");
    if (!o.data_file.empty() && !o.data_dir.empty())
      throw Error("--task lm reads --data-file or --data-dir, not both: give one");
    const std::string path =
        !o.data_file.empty() ? o.data_file : (fs::path(o.data_dir) / concat(glue_split_name(o.split), ".txt")).string();
    const std::string text = read_lm_text(path);
    try {
      return encode_lm_text(text, kind, tokenizer, max_seq_length, o.seed);
    } catch (const Error& e) {  // "the text has too few tokens ...": say which text
      throw Error(concat(path, ": ", e.what()));
    }
  }
  const GlueTask& task = glue_task(o.task);
  if (cls.find("ForSequenceClassification") == std::string::npos)
    throw Error(concat("task ", task.name, " needs a sequence classifier; ", where, " is a ", cls));
  if (model.config().num_labels != task.num_labels())
    throw Error(concat(where, ": the model has num_labels = ", model.config().num_labels, " but task ", task.name,
                       " has ", task.num_labels()));
  if (o.data_dir.empty()) throw Error(concat("task ", task.name, " needs --data-dir"));
  if (!o.data_file.empty())
    throw Error(concat("task ", task.name, " reads its split from --data-dir; --data-file is for --task lm"));
  EvalData data = encode_glue(task, read_glue_examples(task, o.data_dir, o.split), tokenizer, max_seq_length);
  // A GPT classifier reads each example's last token that is not config.pad_token_id: batches are
  // padded with that id, so that a shorter example is never read at a padding position.
  const std::optional<int64_t> pad = model.config().pad_token_id;
  if (pad && *pad >= 0 && *pad < model.config().vocab_size) data.pad_token_id = *pad;
  return data;
}

std::string default_metric(const std::string& task) {
  return task == "lm" ? "perplexity" : glue_task(task).default_metric;
}

bool lower_is_better(const std::string& metric) { return metric == "perplexity"; }

void check_metric(const EvalData& data, const std::string& metric) {
  if (data.kind == TaskKind::CausalLM || data.kind == TaskKind::MaskedLM) {
    if (metric != "perplexity") throw Error(concat("metric '", metric, "' is not reported for task lm (perplexity)"));
    return;
  }
  const std::vector<std::string>& names = glue_task(data.task_name).metric_names;
  if (std::find(names.begin(), names.end(), metric) != names.end()) return;
  std::string known;
  for (const std::string& name : names) known += (known.empty() ? "" : ", ") + name;
  throw Error(concat("metric '", metric, "' is not reported for task ", data.task_name, " (", known, ")"));
}

double task_score(const EvalData& data, const Predictions& p, const std::string& metric) {
  check_metric(data, metric);
  if (data.kind == TaskKind::CausalLM || data.kind == TaskKind::MaskedLM) {
    if (p.lm_tokens == 0) throw Error("no tokens were scored: the text is too short");
    return std::exp(p.lm_loss_sum / static_cast<double>(p.lm_tokens));
  }
  MetricMap m = data.kind == TaskKind::Regression ? glue_compute_metrics(data.task_name, p.scores, p.gold_scores)
                                                  : glue_compute_metrics(data.task_name, p.labels, p.gold_labels);
  auto it = m.find(metric);
  if (it == m.end())  // check_metric passed: the task's metric_names promise this key
    throw Error(concat("internal: glue_compute_metrics gave no '", metric, "' for task ", data.task_name));
  return it->second;
}

}  // namespace bertology

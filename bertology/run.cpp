// The steps of a BERTology run in order: load, measure, mask, prune, write. Each step is a
// call into head_stats / masking / the model; this file only sequences them and records results.
#include <bertology/autograd/autograd.h>
#include <bertology/bertology/metrics.h>
#include <bertology/bertology/npy.h>
#include <bertology/bertology/run.h>
#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <sstream>
#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace fs = std::filesystem;

namespace bertology {
namespace {

using Json = nlohmann::ordered_json;

Json table_json(const Tensor& t) {
  Json rows = Json::array();
  const int64_t cols = t.size(1);
  std::vector<double> v = t.to_vector<double>();
  for (int64_t r = 0; r < t.size(0); ++r)
    rows.push_back(std::vector<double>(v.begin() + r * cols, v.begin() + (r + 1) * cols));
  return rows;
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(concat(path, ": cannot open the text file"));
  std::ostringstream s;
  s << in.rdbuf();
  if (s.str().empty()) throw Error(concat(path, ": the text file is empty"));
  return s.str();
}

int64_t parameter_count(PreTrainedModel& model) {
  int64_t n = 0;
  for (auto& [name, p] : model.named_parameters()) n += p.numel();
  return n;
}

// The task metric (or perplexity) from a pass's predictions.
double score_of(const EvalData& data, const Predictions& p, const std::string& metric) {
  if (data.kind == TaskKind::CausalLM || data.kind == TaskKind::MaskedLM) {
    if (p.lm_tokens == 0) throw Error("no tokens were scored: the text is too short");
    return std::exp(p.lm_loss_sum / static_cast<double>(p.lm_tokens));
  }
  MetricMap m = data.kind == TaskKind::Regression ? glue_compute_metrics(data.task_name, p.scores, p.gold_scores)
                                                  : glue_compute_metrics(data.task_name, p.labels, p.gold_labels);
  auto it = m.find(metric);
  if (it == m.end()) {
    std::string known;
    for (auto& [k, v] : m) known += (known.empty() ? "" : ", ") + k;
    throw Error(concat("metric '", metric, "' is not reported for task ", data.task_name, " (", known, ")"));
  }
  return it->second;
}

EvalData load_eval_data(const RunOptions& o, PreTrainedModel& model, const Tokenizer& tokenizer) {
  const std::string cls = model.class_name();
  EvalData data;
  if (o.task == "lm") {
    TaskKind kind;
    if (cls == "GPT2LMHeadModel" || cls == "OpenAIGPTLMHeadModel") kind = TaskKind::CausalLM;
    else if (cls == "BertForMaskedLM") kind = TaskKind::MaskedLM;
    else throw Error(concat("--task lm needs a language-model head (GPT2LMHeadModel, OpenAIGPTLMHeadModel or ",
                            "BertForMaskedLM); ", o.model_dir, " is a ", cls));
    std::string path = !o.data_file.empty() ? o.data_file : (fs::path(o.data_dir) / "dev.txt").string();
    if (o.data_file.empty() && o.data_dir.empty()) throw Error("--task lm needs --data-file or --data-dir");
    data = encode_lm_text(read_text_file(path), kind, tokenizer, o.max_seq_length, o.seed);
  } else {
    const GlueTask& task = glue_task(o.task);
    if (cls.find("ForSequenceClassification") == std::string::npos)
      throw Error(concat("task ", task.name, " needs a sequence classifier; ", o.model_dir, " is a ", cls));
    if (model.config().num_labels != task.num_labels())
      throw Error(concat(o.model_dir, ": the model has num_labels = ", model.config().num_labels, " but task ",
                         task.name, " has ", task.num_labels()));
    if (o.data_dir.empty()) throw Error(concat("task ", task.name, " needs --data-dir"));
    std::vector<GlueExample> examples = read_glue_examples(task, o.data_dir, GlueSplit::Dev);
    data = encode_glue(task, examples, tokenizer, o.max_seq_length);
  }
  if (o.data_subset > 0 && static_cast<int64_t>(data.examples.size()) > o.data_subset)
    data.examples.resize(static_cast<size_t>(o.data_subset));
  return data;
}

// Removes a folder when the run did not finish, so no partial output is left behind.
struct ScratchDir {
  fs::path path;
  bool keep = false;
  ~ScratchDir() {
    std::error_code ec;
    if (!keep) fs::remove_all(path, ec);
  }
};

// Outputs are built in a hidden sibling folder ".NAME.partial-PID" and renamed into place at the
// end, so a run that fails or is killed never leaves a half-written output folder.
fs::path scratch_dir_for(const fs::path& output, pid_t pid) {
  return output.parent_path() / concat(".", output.filename().string(), ".partial-", pid);
}

// A run killed outright (SIGKILL) cannot clean up: the next run for the same output removes the
// scratch folders of processes that no longer exist.
void remove_stale_scratch_dirs(const fs::path& output) {
  const std::string prefix = concat(".", output.filename().string(), ".partial-");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

std::string format_seconds(double s) {
  std::ostringstream o;
  o << std::fixed << std::setprecision(2) << s << " s";
  return o.str();
}

}  // namespace

std::string format_head_table(const Tensor& table, int precision) {
  std::ostringstream out;
  const int64_t layers = table.size(0), heads = table.size(1);
  out << "lv, h >";
  for (int64_t h = 0; h < heads; ++h) out << "\t" << h + 1;
  out << "\n";
  std::vector<double> v = table.to_vector<double>();
  for (int64_t l = 0; l < layers; ++l) {
    out << "layer " << l + 1 << ":";
    for (int64_t h = 0; h < heads; ++h) {
      if (table.dtype() == DType::Int64) out << "\t" << static_cast<int64_t>(v[l * heads + h]);
      else out << "\t" << std::fixed << std::setprecision(precision) << v[l * heads + h];
    }
    out << "\n";
  }
  return out.str();
}

Tensor head_ranks(const Tensor& importance) {
  std::vector<double> v = importance.to_vector<double>();
  std::vector<int64_t> order(v.size()), ranks(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] > v[b]; });
  for (size_t r = 0; r < order.size(); ++r) ranks[order[r]] = static_cast<int64_t>(r);
  return Tensor::from_vector(ranks, importance.sizes());
}

RunSummary run_bertology(const RunOptions& o, const RunObserver& observer) {
  const auto started = std::chrono::steady_clock::now();
  auto log = observer.log;
  if (o.batch_size < 1) throw Error(concat("--batch-size must be at least 1, got ", o.batch_size));
  if (o.max_seq_length < 2) throw Error(concat("--max-seq-length must be at least 2, got ", o.max_seq_length));
  if (o.try_masking) {
    if (!(o.masking_threshold > 0 && o.masking_threshold < 1))
      throw Error(concat("--masking-threshold must be in (0, 1), got ", o.masking_threshold));
    if (!(o.masking_amount > 0 && o.masking_amount < 1))
      throw Error(concat("--masking-amount must be in (0, 1), got ", o.masking_amount));
  }
  if (o.output_dir.empty()) throw Error("--output-dir is required");
  fs::path output = fs::absolute(o.output_dir).lexically_normal();
  if (output.filename().empty()) output = output.parent_path();  // "out/" names the folder "out"
  if (fs::exists(output) && !o.overwrite_output_dir)
    throw Error(concat(o.output_dir, ": output dir exists (pass --overwrite-output-dir to replace it)"));
  if (fs::exists(output) && fs::equivalent(output, fs::absolute(o.model_dir)))
    throw Error(concat(o.output_dir, ": the output dir is the model dir; refusing to overwrite the input model"));

  // 1. Model, tokenizer, evaluation data.
  std::unique_ptr<PreTrainedModel> model = load_model(o.model_dir);
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(o.model_dir);
  EvalData data = load_eval_data(o, *model, *tokenizer);
  const std::string metric =
      !o.metric_name.empty() ? o.metric_name : (o.task == "lm" ? "perplexity" : glue_task(o.task).default_metric);
  const bool lower_is_better = metric == "perplexity";
  log(concat(model->class_name(), " (", model->num_layers(), " layers x ", model->num_heads(), " heads), task ",
             data.task_name, ", ", data.examples.size(), " examples, ", data.total_tokens(), " tokens"));

  // 2. Entropy and importance of every head in one pass.
  HeadStatsOptions pass;
  pass.granularity = o.granularity;
  pass.batch_size = o.batch_size;
  pass.progress = observer.progress("entropy + importance");
  HeadStats stats = compute_head_stats(*model, data, pass);
  ImportanceNormalization only_tokens{true, false, false}, tokens_and_layer{true, true, false};
  Tensor importance = normalize_importance(stats.importance_sum, stats.tokens, o.normalization);
  Tensor ranks = head_ranks(importance);
  const double original_score = score_of(data, stats.predictions, metric);
  log("Attention entropies\n" + format_head_table(stats.entropy));
  log("Head importance scores\n" + format_head_table(importance));
  log("Head ranked by importance scores\n" + format_head_table(ranks));
  log(concat("Score (", metric, ") of the unmasked model: ", original_score));

  Json results;
  results["command_line"] = o.command_line;
  results["versions"] = {{"bertology", BERTOLOGY_VERSION}, {"compiler", __VERSION__}};
  results["model"] = {{"dir", o.model_dir}, {"class", model->class_name()}, {"layers", model->num_layers()},
                      {"heads", model->num_heads()}};
  results["task"] = {{"name", data.task_name}, {"examples", data.examples.size()}, {"tokens", stats.tokens},
                     {"metric", metric}};
  results["options"] = {{"batch_size", o.batch_size}, {"max_seq_length", o.max_seq_length},
                        {"granularity", granularity_name(o.granularity)}, {"seed", o.seed},
                        {"normalize_by_layer", o.normalization.by_layer},
                        {"normalize_global", o.normalization.global}};
  results["attn_entropy"] = table_json(stats.entropy);
  results["head_importance"] = table_json(importance);
  results["head_importance_variants"] = {
      {"sum_abs_gradient", table_json(stats.importance_sum)},
      {"divided_by_tokens", table_json(normalize_importance(stats.importance_sum, stats.tokens, only_tokens))},
      {"layer_normalized", table_json(normalize_importance(stats.importance_sum, stats.tokens, tokens_and_layer))},
      {"fully_normalized", table_json(normalize_importance(stats.importance_sum, stats.tokens, {}))}};
  results["head_ranks"] = table_json(ranks);
  results["original_score"] = original_score;
  results["timings"]["statistics_pass_seconds"] = stats.seconds;

  // 3. Iterative masking, then pruning of the final mask.
  RunSummary summary{metric, original_score, original_score, 0, 0, output.string()};
  Tensor final_mask = Tensor::ones({model->num_layers(), model->num_heads()});
  remove_stale_scratch_dirs(output);
  const fs::path scratch_path = scratch_dir_for(output, ::getpid());
  fs::remove_all(scratch_path);
  fs::create_directories(scratch_path);
  ScratchDir scratch{scratch_path};
  if (o.try_masking) {
    MaskingOptions mo{o.masking_threshold, o.masking_amount, lower_is_better};
    int step_number = 0;
    auto evaluate = [&](const Tensor& mask) {
      HeadStatsOptions again = pass;
      again.compute_entropy = false;
      again.head_mask = mask;
      again.progress = observer.progress(concat("masking step ", step_number++));
      HeadStats s = compute_head_stats(*model, data, again);
      return MaskEvaluation{score_of(data, s.predictions, metric),
                            normalize_importance(s.importance_sum, s.tokens, o.normalization)};
    };
    Json trajectory = Json::array();
    MaskingResult masking = mask_heads_iteratively(evaluate, model->num_layers(), model->num_heads(), mo,
                                                   [&](const MaskingStep& step) {
                                                     log(concat("Masking: ", step.heads_masked, " heads masked, ",
                                                                step.heads_remaining, " remaining, score ",
                                                                step.score, step.meets_threshold ? "" : " (below the threshold)"));
                                                     log(format_head_table(step.mask, 0));
                                                     trajectory.push_back({{"heads_masked", step.heads_masked},
                                                                           {"heads_remaining", step.heads_remaining},
                                                                           {"score", step.score},
                                                                           {"meets_threshold", step.meets_threshold},
                                                                           {"mask", table_json(step.mask)}});
                                                   });
    final_mask = masking.final_mask;
    summary.final_score = masking.final_score;
    summary.heads_masked = final_mask.numel() - static_cast<int64_t>(sum(final_mask).item());
    results["masking"] = {{"threshold", o.masking_threshold}, {"amount", o.masking_amount},
                          {"final_score", masking.final_score}, {"heads_masked", summary.heads_masked},
                          {"trajectory", trajectory}};

    // Score and time the masked model, prune for real, score and time again.
    HeadStatsOptions eval_only = pass;
    eval_only.compute_entropy = eval_only.compute_importance = false;
    eval_only.head_mask = final_mask;
    eval_only.progress = observer.progress("evaluate masked");
    HeadStats masked_eval = compute_head_stats(*model, data, eval_only);
    const int64_t params_before = parameter_count(*model);
    std::map<int64_t, std::vector<int64_t>> to_prune;
    std::vector<float> m = final_mask.to_vector<float>();
    for (int64_t l = 0; l < model->num_layers(); ++l)
      for (int64_t h = 0; h < model->num_heads(); ++h)
        if (m[l * model->num_heads() + h] == 0) to_prune[l].push_back(h);
    model->prune_heads(to_prune);
    const int64_t params_after = parameter_count(*model);
    eval_only.head_mask = Tensor();
    eval_only.progress = observer.progress("evaluate pruned");
    HeadStats pruned_eval = compute_head_stats(*model, data, eval_only);
    const double masked_score = score_of(data, masked_eval.predictions, metric);
    summary.pruned_score = score_of(data, pruned_eval.predictions, metric);
    const double speedup = masked_eval.seconds / pruned_eval.seconds;
    log(concat("Pruning: parameters ", params_before, " -> ", params_after, " (",
               std::round(1000.0 * params_after / params_before) / 10.0, "% kept)"));
    log(concat("Pruning: score with masking ", masked_score, ", with pruning ", summary.pruned_score));
    log(concat("Pruning: evaluation time masked ", format_seconds(masked_eval.seconds), ", pruned ",
               format_seconds(pruned_eval.seconds), ", speed-up (masked time / pruned time) ",
               std::round(speedup * 100) / 100, "x"));
    Json pruned_json = Json::object();  // {"<layer>": [heads]}, as config.json's pruned_heads
    for (auto& [layer, heads] : to_prune) pruned_json[std::to_string(layer)] = heads;
    results["pruning"] = {{"heads_pruned", pruned_json},
                          {"parameters_before", params_before}, {"parameters_after", params_after},
                          {"score_masked", masked_score}, {"score_pruned", summary.pruned_score},
                          {"seconds_masked", masked_eval.seconds}, {"seconds_pruned", pruned_eval.seconds},
                          {"speedup_masked_over_pruned", speedup}};
    model->save_pretrained((scratch_path / "pruned_model").string());
  }

  // 4. Outputs, then the whole folder moves into place at once.
  save_npy((scratch_path / "attn_entropy.npy").string(), stats.entropy);
  save_npy((scratch_path / "head_importance.npy").string(), importance);
  save_npy((scratch_path / "head_mask.npy").string(), final_mask);
  results["head_mask"] = table_json(final_mask);
  results["timings"]["total_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  write_file_atomically((scratch_path / "results.json").string(), results.dump(2) + "\n");
  if (fs::exists(output)) fs::remove_all(output);
  fs::rename(scratch_path, output);
  scratch.keep = true;
  log(concat("Outputs written to ", output.string()));
  return summary;
}

}  // namespace bertology

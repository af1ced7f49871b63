// The steps of a BERTology run in order: load, measure, mask, prune, write. Each step is a
// call into head_stats / masking / the model; this file only sequences them and records results.
#include <bertology/autograd/autograd.h>
#include <bertology/bertology/metrics.h>
#include <bertology/bertology/npy.h>
#include <bertology/bertology/ablation.h>
#include <bertology/bertology/output_dir.h>
#include <bertology/bertology/report.h>
#include <bertology/bertology/run.h>
#include <bertology/bertology/task_data.h>
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

int64_t parameter_count(PreTrainedModel& model) {
  int64_t n = 0;
  for (auto& [name, p] : model.named_parameters()) n += p.numel();
  return n;
}

EvalData load_eval_data(const RunOptions& o, PreTrainedModel& model, const Tokenizer& tokenizer) {
  TaskDataOptions t{o.task, o.data_dir, o.data_file, GlueSplit::Dev, o.max_seq_length, o.seed};
  EvalData data = load_task_data(t, model, tokenizer);
  if (o.data_subset > 0 && static_cast<int64_t>(data.examples.size()) > o.data_subset)
    data.examples.resize(static_cast<size_t>(o.data_subset));
  return data;
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
  std::sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return v[a] > v[b] || (v[a] == v[b] && a > b); });
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
  // The output folder is checked now and built in a hidden scratch folder, renamed into place at
  // the end: a run that fails or is killed never leaves a half-written output folder.
  StagedOutputDir staged(o.output_dir, o.overwrite_output_dir, {o.model_dir, o.data_dir, o.data_file});
  const fs::path output = staged.output();

  // 1. Model, tokenizer, evaluation data.
  std::unique_ptr<PreTrainedModel> model = load_model(o.model_dir);
  model->to(o.device);
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(o.model_dir);
  EvalData data = load_eval_data(o, *model, *tokenizer);
  const std::string metric = !o.metric_name.empty() ? o.metric_name : default_metric(o.task);
  check_metric(data, metric);  // before the pass, not after it
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
  const double original_score = task_score(data, stats.predictions, metric);
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
                        {"normalize_by_tokens", o.normalization.by_tokens},
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

  // 2b. Ablation: each head masked alone, beside the gradient estimate of the same effect.
  Ablation ablation;
  if (o.ablation) {
    const auto ablation_started = std::chrono::steady_clock::now();
    ablation = ablate_heads(*model, data, {metric, o.batch_size, observer.progress("ablation (one head masked at a time)")});
    const double rho_loss = spearman_over_heads(importance, ablation.loss_change);
    const double rho_metric = spearman_over_heads(importance, ablation.metric_drop);
    log("Ablation: loss change when only this head is masked\n" + format_head_table(ablation.loss_change));
    log(concat("Ablation: ", metric, " drop when only this head is masked\n", format_head_table(ablation.metric_drop)));
    log(concat("Ablation: Spearman correlation of gradient importance with the loss change ", rho_loss,
               ", with the ", metric, " drop ", rho_metric));
    results["ablation"] = {{"base_loss", ablation.base_loss},
                           {"base_score", ablation.base_score},
                           {"loss_change", table_json(ablation.loss_change)},
                           {"metric_drop", table_json(ablation.metric_drop)},
                           {"spearman_loss", rho_loss},
                           {"spearman_metric", rho_metric}};
    results["timings"]["ablation_seconds"] =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ablation_started).count();
  }

  // 3. Iterative masking, then pruning of the final mask.
  RunSummary summary{metric, original_score, original_score, 0, 0, output.string()};
  // (L, H): 1 for the heads the model has, 0 for heads pruned before this run (a pruned_model/
  // run again): those are never masked, counted or pruned again.
  Tensor present = Tensor::zeros({model->num_layers(), model->num_heads()});
  for (int64_t l = 0; l < model->num_layers(); ++l)
    for (int64_t h : model->kept_heads(l)) present.data<float>()[l * model->num_heads() + h] = 1.0f;
  Tensor final_mask = present.clone();
  const fs::path scratch_path = staged.scratch();
  // The threshold is a fraction of the unmasked score: for a score of 0 (MCC of a model that
  // predicts one class), a negative one or NaN it could never stop the loop, so masking is skipped.
  const bool maskable = std::isfinite(original_score) && original_score > 0;
  if (o.try_masking && !maskable) {
    const std::string why = concat("the unmasked score is ", original_score,
                                   ", and a threshold relative to it needs a positive score");
    log("Masking skipped: " + why);
    results["masking"] = {{"skipped", why}};
  }
  if (o.try_masking && maskable) {
    MaskingOptions mo{o.masking_threshold, o.masking_amount, lower_is_better(metric), present};
    int step_number = 0;
    auto evaluate = [&](const Tensor& mask) {
      HeadStatsOptions again = pass;
      again.compute_entropy = false;
      again.head_mask = mask;
      again.progress = observer.progress(concat("masking step ", step_number++));
      HeadStats s = compute_head_stats(*model, data, again);
      return MaskEvaluation{task_score(data, s.predictions, metric),
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
    summary.heads_masked = static_cast<int64_t>(sum(present).item() - sum(final_mask).item());
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
    std::vector<float> m = final_mask.to_vector<float>(), p = present.to_vector<float>();
    for (int64_t l = 0; l < model->num_layers(); ++l)
      for (int64_t h = 0; h < model->num_heads(); ++h)
        if (m[l * model->num_heads() + h] == 0 && p[l * model->num_heads() + h] != 0) to_prune[l].push_back(h);
    model->prune_heads(to_prune);
    const int64_t params_after = parameter_count(*model);
    eval_only.head_mask = Tensor();
    eval_only.progress = observer.progress("evaluate pruned");
    HeadStats pruned_eval = compute_head_stats(*model, data, eval_only);
    const double masked_score = task_score(data, masked_eval.predictions, metric);
    summary.pruned_score = task_score(data, pruned_eval.predictions, metric);
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
    copy_tokenizer_files(o.model_dir, (scratch_path / "pruned_model").string());  // loads as it is
  }

  // 4. Outputs, then the whole folder moves into place at once.
  save_npy((scratch_path / "attn_entropy.npy").string(), stats.entropy);
  save_npy((scratch_path / "head_importance.npy").string(), importance);
  save_npy((scratch_path / "head_mask.npy").string(), final_mask);
  if (o.ablation) {
    save_npy((scratch_path / "ablation_loss_change.npy").string(), ablation.loss_change);
    save_npy((scratch_path / "ablation_metric_drop.npy").string(), ablation.metric_drop);
  }
  results["head_mask"] = table_json(final_mask);
  results["timings"]["total_seconds"] =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  write_file_atomically((scratch_path / "results.json").string(), results.dump(2) + "\n");
  write_run_report(scratch_path.string(), results);  // report.html and the heatmaps as .svg
  staged.commit();
  log(terminal_heatmap(head_table(results["head_importance"]), "Head importance", observer.colour));
  log(concat("Outputs written to ", output.string(), " (report: ", (output / "report.html").string(), ")"));
  return summary;
}

}  // namespace bertology

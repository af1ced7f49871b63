// One pass over the evaluation data that measures every head: attention entropy and Michel et
// al.'s importance |∂loss/∂ξ_h| (three granularities), plus the predictions the task metric needs.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <bertology/bertology/eval_data.h>
#include <bertology/models/model.h>

namespace bertology {

// How the absolute value is taken (SPEC section 3).
enum class Granularity {
  Example,  // I_h = Σ_x |∂L(x)/∂ξ_h|: the paper's definition, per-example masks, batch-size free
  Token,    // I_h = Σ_x Σ_t |⟨ctx_h(t), ∂L(x)/∂ctx_h(t)⟩|: Michel's released code
  Batch,    // I_h = Σ_batches |∂L(batch)/∂ξ_h|, L(batch) the model's mean loss: run_bertology.py
};
Granularity parse_granularity(const std::string& name);  // "example", "token", "batch"
const char* granularity_name(Granularity granularity);

struct HeadStatsOptions {
  bool compute_entropy = true;
  bool compute_importance = true;
  Granularity granularity = Granularity::Example;
  int64_t batch_size = 8;
  Tensor head_mask;  // (L, H) float32, 1 = keep; undefined = all ones (pruned heads are absent anyway)
  std::function<void(int64_t done, int64_t total)> progress;  // examples done so far
};

// What the model predicted, for the task metric.
struct Predictions {
  std::vector<int64_t> labels;       // Classification: argmax per example; gold in gold_labels
  std::vector<int64_t> gold_labels;
  std::vector<double> scores;        // Regression: prediction per example; gold in gold_scores
  std::vector<double> gold_scores;
  double lm_loss_sum = 0;            // LM: Σ token losses and how many tokens were scored
  int64_t lm_tokens = 0;
};

struct HeadStats {
  Tensor entropy;         // (L, H) float64: Σ over non-padding queries of -Σ_k p log p, / tokens
  Tensor importance_sum;  // (L, H) float64: Σ |g| as the granularity says, before normalisation
  Predictions predictions;
  int64_t tokens = 0;     // non-padding tokens seen
  double loss_sum = 0;    // Σ per-example loss × scored tokens (1 per example for a classifier)
  int64_t loss_count = 0; // Σ scored tokens: loss_sum / loss_count is the mean loss
  double seconds = 0;     // wall time of the pass
};

HeadStats compute_head_stats(PreTrainedModel& model, const EvalData& data, const HeadStatsOptions& options);

// The three normalisation steps of run_bertology.py, each switchable: divide by the number of
// tokens; divide each layer by its L2 norm over heads (+1e-20); min-max scale to [0, 1].
struct ImportanceNormalization {
  bool by_tokens = true;
  bool by_layer = true;
  bool global = true;
};
Tensor normalize_importance(const Tensor& importance_sum, int64_t tokens, const ImportanceNormalization& steps);

// Per-example losses from the logits, as each example's own loss: (B) float32.
Tensor per_example_loss(const ModelOutput& output, const ModelInputs& inputs, const EvalData& data, int64_t begin);

}  // namespace bertology

// Ablation importance: the true effect of masking each head alone (L × H evaluations of the
// data), set beside the gradient importance. Michel et al.'s importance is the first-order
// Taylor estimate of exactly this loss change; their Spearman correlation says how well the
// estimate ranks heads on a given model.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include <bertology/bertology/head_stats.h>

namespace bertology {

struct AblationOptions {
  std::string metric;  // the task metric's name (perplexity for language models)
  int64_t batch_size = 8;
  std::function<void(int64_t done, int64_t total)> progress;  // heads done so far
};

struct Ablation {
  double base_loss = 0;    // mean loss with every head
  double base_score = 0;   // metric with every head
  Tensor loss_change;      // (L, H) float64: mean loss with only this head masked − base_loss
  Tensor metric_drop;      // (L, H) float64: how much worse the metric gets (base − masked, or
                           // masked − base for perplexity): positive = the head helps
};

// Masks each head of the model in turn (a head already pruned counts as 0 change).
Ablation ablate_heads(PreTrainedModel& model, const EvalData& data, const AblationOptions& options);

// Spearman's rank correlation of two (L, H) tables over all heads (NaN when one is constant).
double spearman_over_heads(const Tensor& a, const Tensor& b);

}  // namespace bertology

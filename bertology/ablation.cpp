#include <bertology/bertology/ablation.h>
#include <bertology/bertology/metrics.h>
#include <bertology/bertology/task_data.h>

#include <algorithm>
#include <tuple>

namespace bertology {

Ablation ablate_heads(PreTrainedModel& model, const EvalData& data, const AblationOptions& options) {
  const int64_t layers = model.num_layers(), heads = model.num_heads();
  HeadStatsOptions eval_only;
  eval_only.compute_entropy = eval_only.compute_importance = false;
  eval_only.batch_size = options.batch_size;

  auto evaluate = [&](const Tensor& mask) {  // (L, H) -> mean loss, score
    eval_only.head_mask = mask;
    HeadStats s = compute_head_stats(model, data, eval_only);
    return std::make_pair(s.loss_sum / static_cast<double>(std::max<int64_t>(s.loss_count, 1)),
                          task_score(data, s.predictions, options.metric));
  };
  Ablation result;
  std::tie(result.base_loss, result.base_score) = evaluate(Tensor::ones({layers, heads}));
  const bool lower = lower_is_better(options.metric);
  std::vector<double> loss_change(layers * heads, 0.0), metric_drop(layers * heads, 0.0);
  for (int64_t l = 0; l < layers; ++l) {
    const std::vector<int64_t>& kept = model.kept_heads(l);
    for (int64_t h = 0; h < heads; ++h) {
      if (std::find(kept.begin(), kept.end(), h) != kept.end()) {
        Tensor mask = Tensor::ones({layers, heads});
        mask.data<float>()[l * heads + h] = 0.0f;
        auto [loss, score] = evaluate(mask);
        loss_change[l * heads + h] = loss - result.base_loss;
        metric_drop[l * heads + h] = lower ? score - result.base_score : result.base_score - score;
      }
      if (options.progress) options.progress(l * heads + h + 1, layers * heads);
    }
  }
  result.loss_change = Tensor::from_vector(loss_change, {layers, heads});
  result.metric_drop = Tensor::from_vector(metric_drop, {layers, heads});
  return result;
}

double spearman_over_heads(const Tensor& a, const Tensor& b) {
  return spearman(a.to_vector<double>(), b.to_vector<double>());
}

}  // namespace bertology

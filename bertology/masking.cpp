// The masking loop of SPEC section 5, scored through a caller-supplied evaluator.
#include <bertology/bertology/masking.h>
#include <bertology/tensor/error.h>

#include <algorithm>
#include <limits>
#include <numeric>

namespace bertology {

std::vector<int64_t> least_important_unmasked(const Tensor& importance, const Tensor& mask, int64_t count) {
  std::vector<double> imp = importance.to_vector<double>(), keep = mask.to_vector<double>();
  if (imp.size() != keep.size())
    throw Error(concat("masking: importance ", importance.shape_str(), " and mask ", mask.shape_str(), " differ"));
  for (size_t i = 0; i < imp.size(); ++i)
    if (keep[i] == 0) imp[i] = std::numeric_limits<double>::infinity();  // never re-selected
  std::vector<int64_t> order(imp.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return imp[a] < imp[b]; });
  std::vector<int64_t> chosen;
  for (int64_t i : order) {
    if (static_cast<int64_t>(chosen.size()) == count || keep[i] == 0) break;
    chosen.push_back(i);
  }
  return chosen;
}

MaskingResult mask_heads_iteratively(const MaskEvaluator& evaluate, int64_t layers, int64_t heads,
                                     const MaskingOptions& options,
                                     const std::function<void(const MaskingStep&)>& on_step) {
  if (!(options.threshold > 0 && options.threshold < 1))
    throw Error(concat("masking threshold must be in (0, 1), got ", options.threshold));
  if (!(options.amount > 0 && options.amount < 1))
    throw Error(concat("masking amount must be in (0, 1), got ", options.amount));
  Tensor mask = Tensor::ones({layers, heads});  // (L, H), 1 = keep
  if (options.heads_present.defined()) {
    if (options.heads_present.sizes() != mask.sizes())
      throw Error(concat("masking: heads_present ", options.heads_present.shape_str(), " is not (L, H) = [", layers,
                         ", ", heads, "]"));
    mask = options.heads_present.to(DType::Float32).clone();
  }
  int64_t total = 0;  // heads present: the pool masking draws from
  for (float m : mask.to_vector<float>()) total += m != 0;
  // max(1, int(L·H·amount)), as SPEC section 5 and run_bertology.py count: of all heads, pruned or not.
  const int64_t per_step =
      std::max<int64_t>(1, static_cast<int64_t>(static_cast<double>(layers * heads) * options.amount));

  MaskingResult result;
  MaskEvaluation current = evaluate(mask);
  result.original_score = current.score;
  result.final_mask = mask.clone();
  result.final_score = current.score;
  auto meets = [&](double score) {
    return options.lower_is_better ? score <= result.original_score / options.threshold
                                   : score >= result.original_score * options.threshold;
  };
  int64_t masked = 0;
  while (true) {
    // Stop when no head is left to mask; a last step takes what remains (fewer than per_step).
    if (masked == total) break;
    std::vector<int64_t> next = least_important_unmasked(current.importance, mask, per_step);
    Tensor candidate = mask.clone();
    float* m = candidate.data<float>();
    for (int64_t i : next) m[i] = 0.0f;
    masked += static_cast<int64_t>(next.size());
    current = evaluate(candidate);  // importance again, now under the new mask
    MaskingStep step{candidate, masked, total - masked, current.score, meets(current.score)};
    result.steps.push_back(step);
    if (on_step) on_step(step);
    if (!step.meets_threshold) break;
    mask = candidate;
    result.final_mask = candidate.clone();
    result.final_score = current.score;
  }
  return result;
}

}  // namespace bertology

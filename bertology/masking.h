// Iterative head masking (run_bertology.py's mask_heads, SPEC section 5): mask the least
// important heads still present, re-measure importance under the new mask, re-score, and stop
// when the score falls below the threshold; the answer is the last mask that met it.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

struct MaskingOptions {
  double threshold = 0.9;         // keep masking while score >= threshold × original
  double amount = 0.1;            // fraction of all L×H heads masked per step (at least one)
  bool lower_is_better = false;   // perplexity: keep masking while score <= original / threshold
  // (L, H): 1 for heads the model has, 0 for heads pruned before the run, which are never chosen
  // and never counted; the starting mask. Undefined: every head is present.
  Tensor heads_present;
};

// The model's score and head importance (L, H) under a mask (L, H) of 1 = keep, 0 = masked.
struct MaskEvaluation {
  double score = 0;
  Tensor importance;
};
using MaskEvaluator = std::function<MaskEvaluation(const Tensor& mask)>;

struct MaskingStep {
  Tensor mask;               // (L, H) after this step
  int64_t heads_masked = 0;  // in total, of the heads present
  int64_t heads_remaining = 0;
  double score = 0;
  bool meets_threshold = false;
};

struct MaskingResult {
  double original_score = 0;
  Tensor final_mask;                // (L, H): the last mask whose score met the threshold
  double final_score = 0;           // its score
  std::vector<MaskingStep> steps;   // every mask tried, in order (the last one may fail)
};

// Validates the options (threshold and amount in (0, 1)); `on_step` sees each step as it ends.
MaskingResult mask_heads_iteratively(const MaskEvaluator& evaluate, int64_t layers, int64_t heads,
                                     const MaskingOptions& options,
                                     const std::function<void(const MaskingStep&)>& on_step = {});

// The heads to mask next: the `count` smallest importances among heads with mask 1 (masked
// heads count as +inf, so they are never chosen again), ties broken by the lower flat index.
std::vector<int64_t> least_important_unmasked(const Tensor& importance, const Tensor& mask, int64_t count);

}  // namespace bertology

// The masking loop against SPEC section 5 with a scripted evaluator: which heads go at each
// step, the +inf exclusion of masked heads, the stop rule and "the last mask above the threshold".
#include <gtest/gtest.h>

#include <bertology/autograd/autograd.h>
#include <bertology/bertology/masking.h>
#include <bertology/bertology/run.h>

using namespace bertology;

namespace {

Tensor table(std::vector<float> v, int64_t layers, int64_t heads) { return Tensor::from_vector(v, {layers, heads}); }

std::vector<float> flat(const Tensor& t) { return t.to_vector<float>(); }

}  // namespace

TEST(Masking, LeastImportantUnmaskedSkipsMaskedHeadsAndBreaksTiesByIndex) {
  Tensor importance = table({0.5f, 0.1f, 0.1f, 0.0f}, 2, 2);
  Tensor mask = table({1, 1, 1, 0}, 2, 2);  // head 3 (importance 0) is already masked: +inf
  EXPECT_EQ(least_important_unmasked(importance, mask, 2), (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(least_important_unmasked(importance, mask, 5), (std::vector<int64_t>{1, 2, 0}));
}

TEST(Masking, ScriptedRunFollowsSpec) {
  // 2 layers x 3 heads; amount 0.2 -> max(1, int(6 * 0.2)) = 1 head per step.
  // The evaluator scripts the importance and the score of each mask it is given.
  std::vector<std::vector<float>> seen_masks;
  const std::vector<double> scores = {1.0, 0.95, 0.91, 0.85};  // original, then after each step
  const std::vector<std::vector<float>> importances = {
      {0.6f, 0.2f, 0.9f, 0.4f, 0.3f, 0.8f},  // unmasked: head 1 goes first
      {0.6f, 0.0f, 0.9f, 0.1f, 0.3f, 0.8f},  // head 1 masked (its 0.0 must be ignored): head 3 next
      {0.2f, 0.0f, 0.9f, 0.0f, 0.3f, 0.8f},  // then head 0
      {0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
  };
  MaskEvaluator evaluate = [&](const Tensor& mask) {
    size_t call = seen_masks.size();
    seen_masks.push_back(flat(mask));
    return MaskEvaluation{scores.at(call), table(importances.at(call), 2, 3)};
  };
  std::vector<MaskingStep> logged;
  MaskingResult r = mask_heads_iteratively(evaluate, 2, 3, {0.9, 0.2, false, {}},
                                           [&](const MaskingStep& s) { logged.push_back(s); });
  ASSERT_EQ(seen_masks.size(), 4u);
  EXPECT_EQ(seen_masks[0], (std::vector<float>{1, 1, 1, 1, 1, 1}));
  EXPECT_EQ(seen_masks[1], (std::vector<float>{1, 0, 1, 1, 1, 1}));
  EXPECT_EQ(seen_masks[2], (std::vector<float>{1, 0, 1, 0, 1, 1}));
  EXPECT_EQ(seen_masks[3], (std::vector<float>{0, 0, 1, 0, 1, 1}));  // 0.85 < 0.9: fails
  EXPECT_DOUBLE_EQ(r.original_score, 1.0);
  EXPECT_EQ(flat(r.final_mask), seen_masks[2]);  // the last mask that met the threshold
  EXPECT_DOUBLE_EQ(r.final_score, 0.91);
  ASSERT_EQ(logged.size(), 3u);
  EXPECT_EQ(logged[2].heads_masked, 3);
  EXPECT_EQ(logged[2].heads_remaining, 3);
  EXPECT_TRUE(logged[1].meets_threshold);
  EXPECT_FALSE(logged[2].meets_threshold);
}

// Ranks and masking agree on ties: the head masked first among equals ranks as least important.
TEST(Masking, RanksBreakTiesAsMaskingDoes) {
  Tensor importance = table({0.5f, 0.1f, 0.1f, 0.9f}, 2, 2);
  EXPECT_EQ(head_ranks(importance).to_vector<int64_t>(), (std::vector<int64_t>{1, 3, 2, 0}));
  EXPECT_EQ(least_important_unmasked(importance, Tensor::ones({2, 2}), 1), (std::vector<int64_t>{1}));
}

TEST(Masking, HeadsPrunedBeforeTheRunAreNeverChosenOrCounted) {
  // 2 x 3 heads, heads 0 and 4 already pruned (importance 0, the smallest): 4 heads present,
  // amount 0.25 -> max(1, int(6 * 0.25)) = 1 head per step (counted on all L x H heads).
  std::vector<std::vector<float>> seen;
  MaskEvaluator evaluate = [&](const Tensor& mask) {
    seen.push_back(flat(mask));
    return MaskEvaluation{seen.size() < 3 ? 1.0 : 0.5, table({0.0f, 0.3f, 0.2f, 0.9f, 0.0f, 0.5f}, 2, 3)};
  };
  MaskingOptions options{0.9, 0.25, false, table({0, 1, 1, 1, 0, 1}, 2, 3)};
  std::vector<MaskingStep> logged;
  MaskingResult r = mask_heads_iteratively(evaluate, 2, 3, options, [&](const MaskingStep& s) { logged.push_back(s); });
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0], (std::vector<float>{0, 1, 1, 1, 0, 1}));  // the starting mask
  EXPECT_EQ(seen[1], (std::vector<float>{0, 1, 0, 1, 0, 1}));  // head 2 (0.2), not the pruned ones
  EXPECT_EQ(seen[2], (std::vector<float>{0, 0, 0, 1, 0, 1}));  // then head 1 (0.3): score 0.5 fails
  EXPECT_EQ(flat(r.final_mask), seen[1]);
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_EQ(logged[0].heads_masked, 1);
  EXPECT_EQ(logged[0].heads_remaining, 3);
  EXPECT_THROW(mask_heads_iteratively(evaluate, 3, 2, options), Error);  // not (L, H)
}

TEST(Masking, GoesOnUntilNoHeadIsLeftWhileTheScoreHolds) {
  // The score never drops: masking goes on until every head is masked, the last step taking the
  // heads that remain when they are fewer than a step's share.
  int calls = 0;
  MaskEvaluator evaluate = [&](const Tensor&) {
    ++calls;
    return MaskEvaluation{1.0, Tensor::zeros({1, 5})};
  };
  MaskingResult r = mask_heads_iteratively(evaluate, 1, 5, {0.9, 0.4, false, {}});  // 2 heads a step
  EXPECT_EQ(calls, 4);  // original, then 5 -> 3 -> 1 -> 0 heads
  ASSERT_EQ(r.steps.size(), 3u);
  EXPECT_EQ(r.steps.back().heads_masked, 5);
  EXPECT_EQ(r.steps.back().heads_remaining, 0);
  EXPECT_EQ(flat(r.final_mask), (std::vector<float>{0, 0, 0, 0, 0}));
}

TEST(Masking, LowerIsBetterForPerplexity) {
  // Perplexity 10 -> 10.5 -> 12: threshold 0.9 allows up to 10 / 0.9 = 11.1.
  std::vector<double> ppl = {10.0, 10.5, 12.0};
  int call = 0;
  MaskEvaluator evaluate = [&](const Tensor&) {
    return MaskEvaluation{ppl.at(call++), table({0.1f, 0.2f, 0.3f, 0.4f}, 1, 4)};
  };
  MaskingResult r = mask_heads_iteratively(evaluate, 1, 4, {0.9, 0.25, true, {}});
  EXPECT_EQ(flat(r.final_mask), (std::vector<float>{0, 1, 1, 1}));
  EXPECT_DOUBLE_EQ(r.final_score, 10.5);
}

TEST(Masking, RejectsOptionsOutsideTheOpenUnitInterval) {
  MaskEvaluator never = [](const Tensor&) -> MaskEvaluation { throw Error("not called"); };
  for (double bad : {0.0, 1.0, -0.5, 1.5}) {
    try {
      mask_heads_iteratively(never, 1, 2, {bad, 0.1, false, {}});
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("masking threshold must be in (0, 1)"), std::string::npos);
    }
    try {
      mask_heads_iteratively(never, 1, 2, {0.9, bad, false, {}});
      FAIL();
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("masking amount must be in (0, 1)"), std::string::npos);
    }
  }
}

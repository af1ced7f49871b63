// Ablation importance: each entry is the change of the mean loss / metric when only that head is
// masked, computed here independently from the evaluation pass; pruned heads count 0; `run
// --ablation` writes the tables and their Spearman correlation with the gradient importance.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include <bertology/bertology/ablation.h>
#include <bertology/bertology/npy.h>
#include <bertology/bertology/run.h>
#include <bertology/bertology/task_data.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <nlohmann/json.hpp>

#include "bertology/tiny_models.h"

using namespace bertology;
using namespace bertology::tiny_models;

namespace {

// MNLI-format dev data for the tiny 3-label classifier.
std::string mnli_dir(const TempDir& dir) {
  fs::path data = fs::path(dir.path()) / "mnli";
  fs::create_directories(data);
  const char* labels[] = {"contradiction", "entailment", "neutral"};
  std::string tsv = "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n";
  for (int i = 0; i < 16; ++i)
    tsv += std::to_string(i) + "\t0\t0\tfiction\t-\t-\t-\t-\t" + sentence(i, 4 + i % 5) + "\t" + sentence(i + 3, 3) +
           "\t-\t" + labels[(i * 5) % 3] + "\n";
  write(data / "dev_matched.tsv", tsv);
  return data.string();
}

struct Scored {
  double loss, accuracy;
};

Scored evaluate(PreTrainedModel& model, const EvalData& data, const Tensor& mask) {
  HeadStatsOptions o;
  o.compute_entropy = o.compute_importance = false;
  o.head_mask = mask;
  o.batch_size = 4;  // as the ablation below: the same batches give the same sums
  HeadStats s = compute_head_stats(model, data, o);
  return {s.loss_sum / static_cast<double>(s.loss_count), task_score(data, s.predictions, "acc")};
}

}  // namespace

TEST(Ablation, EachEntryIsTheEffectOfMaskingThatHeadAlone) {
  TempDir dir;
  const std::string model_dir = model_with_tokenizer(dir, "bert_small");
  auto model = load_model(model_dir);
  auto tokenizer = load_tokenizer(model_dir);
  EvalData data = load_task_data({"mnli", mnli_dir(dir), "", GlueSplit::Dev, 32, 42}, *model, *tokenizer);
  model->prune_heads({{1, {2}}});  // a pruned head has nothing to ablate

  Ablation a = ablate_heads(*model, data, {"acc", 4, {}});
  const int64_t layers = model->num_layers(), heads = model->num_heads();
  ASSERT_EQ(a.loss_change.sizes(), (Shape{layers, heads}));
  const Tensor all = Tensor::ones({layers, heads});
  const Scored base = evaluate(*model, data, all);
  EXPECT_NEAR(a.base_loss, base.loss, 1e-12);
  EXPECT_EQ(a.base_score, base.accuracy);
  std::vector<double> loss_change = a.loss_change.to_vector<double>(), drop = a.metric_drop.to_vector<double>();
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t h = 0; h < heads; ++h) {
      if (l == 1 && h == 2) {
        EXPECT_EQ(loss_change[l * heads + h], 0.0);
        continue;
      }
      Tensor mask = all.clone();
      mask.data<float>()[l * heads + h] = 0;
      const Scored masked = evaluate(*model, data, mask);
      EXPECT_NEAR(loss_change[l * heads + h], masked.loss - base.loss, 1e-12) << l << "," << h;
      EXPECT_EQ(drop[l * heads + h], base.accuracy - masked.accuracy) << l << "," << h;
    }
  EXPECT_NE(sum(abs(a.loss_change)).item(), 0.0);
}

TEST(Ablation, SpearmanOverHeads) {
  Tensor a = Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2});
  Tensor b = Tensor::from_vector(std::vector<double>{10, 20, 30, 45}, {2, 2});
  Tensor c = Tensor::from_vector(std::vector<double>{4, 3, 2, 1}, {2, 2});
  EXPECT_DOUBLE_EQ(spearman_over_heads(a, b), 1.0);
  EXPECT_DOUBLE_EQ(spearman_over_heads(a, c), -1.0);
}

TEST(Ablation, RunWritesTheTablesAndTheCorrelation) {
  TempDir dir;
  RunOptions o;
  o.model_dir = model_with_tokenizer(dir, "bert_small");
  o.task = "mnli";
  o.data_dir = mnli_dir(dir);
  o.output_dir = dir.file("out");
  o.batch_size = 4;
  o.ablation = true;
  run_bertology(o);
  const fs::path out = o.output_dir;
  std::ifstream in(out / "results.json");
  nlohmann::json results = nlohmann::json::parse(in);
  ASSERT_TRUE(results.contains("ablation"));
  const nlohmann::json& ab = results["ablation"];
  EXPECT_TRUE(ab["spearman_loss"].is_number());
  EXPECT_TRUE(ab["spearman_metric"].is_number() || ab["spearman_metric"].is_null());
  Tensor loss_change = load_npy((out / "ablation_loss_change.npy").string());
  Tensor drop = load_npy((out / "ablation_metric_drop.npy").string());
  std::vector<double> v = loss_change.to_vector<double>();
  for (size_t k = 0; k < v.size(); ++k)
    EXPECT_DOUBLE_EQ(v[k], ab["loss_change"][k / 4][k % 4].get<double>());
  EXPECT_EQ(drop.sizes(), loss_change.sizes());
  Tensor importance = load_npy((out / "head_importance.npy").string());
  EXPECT_NEAR(ab["spearman_loss"].get<double>(), spearman_over_heads(importance, loss_change), 1e-12);
}

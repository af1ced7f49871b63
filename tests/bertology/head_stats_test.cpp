// Head importance and entropy against the fixtures: `example` granularity equals the sum of
// each example's own gradient (head_mask_grad_single.{b}) whatever the batch size; each
// normalisation step equals importance_per_example_*; `batch` equals importance_batch_raw;
// entropy equals attn_entropy.
#include <gtest/gtest.h>

#include <map>

#include <bertology/bertology/head_stats.h>
#include <bertology/models/load_model.h>

#include "models/model_test_util.h"

using namespace bertology;
using namespace bertology::model_testing;

namespace {

// The fixture's batch as EvalData: each row trimmed to its attention mask (padding is on the right).
EvalData fixture_data(const StateDict& expected, TaskKind kind) {
  EvalData data;
  data.kind = kind;
  data.task_name = kind == TaskKind::Classification ? "mnli" : (kind == TaskKind::Regression ? "sts-b" : "lm");
  const Tensor& ids = expected.at("input.input_ids");
  const Tensor& mask = expected.at("input.attention_mask");
  const int64_t b = ids.size(0), s = ids.size(1);
  std::vector<int64_t> all_ids = ids.to_vector<int64_t>(), all_mask = mask.to_vector<int64_t>();
  std::vector<int64_t> types = expected.count("input.token_type_ids")
                                   ? expected.at("input.token_type_ids").to_vector<int64_t>()
                                   : std::vector<int64_t>();
  std::vector<double> labels = expected.at("input.labels").to_vector<double>();
  for (int64_t i = 0; i < b; ++i) {
    EvalExample ex;
    for (int64_t t = 0; t < s && all_mask[i * s + t]; ++t) {
      ex.input_ids.push_back(all_ids[i * s + t]);
      if (!types.empty()) ex.token_type_ids.push_back(types[i * s + t]);
      if (kind == TaskKind::CausalLM || kind == TaskKind::MaskedLM)
        ex.token_labels.push_back(static_cast<int64_t>(labels[i * s + t]));
    }
    if (kind == TaskKind::Classification) ex.label = static_cast<int64_t>(labels[i]);
    if (kind == TaskKind::Regression) ex.score = labels[i];
    data.examples.push_back(ex);
  }
  return data;
}

struct Family {
  std::string name;
  TaskKind kind;
};

void PrintTo(const Family& f, std::ostream* out) { *out << f.name; }

class HeadStatsFixture : public ::testing::TestWithParam<Family> {};

TEST_P(HeadStatsFixture, ExampleImportanceIsBatchSizeFreeAndMatchesSingleExampleGradients) {
  const Family& f = GetParam();
  StateDict expected = expected_outputs(f.name);
  std::unique_ptr<PreTrainedModel> model = load_model(fixture(f.name + "/model"));
  EvalData data = fixture_data(expected, f.kind);
  const int64_t n = static_cast<int64_t>(data.examples.size());

  // Σ_b |head_mask_grad_single.b|: the paper's definition, from the reference.
  Tensor reference_sum;
  for (int64_t b = 0; b < n; ++b) {
    Tensor g = abs(expected.at("head_mask_grad_single." + std::to_string(b)));
    reference_sum = reference_sum.defined() ? reference_sum + g : g;
  }
  for (int64_t batch_size : {int64_t{1}, int64_t{2}, n}) {
    HeadStatsOptions options;
    options.batch_size = batch_size;
    HeadStats stats = compute_head_stats(*model, data, options);
    EXPECT_LT(relative_error(stats.importance_sum, reference_sum), 1e-4) << f.name << " batch size " << batch_size;
    EXPECT_LT(relative_error(normalize_importance(stats.importance_sum, stats.tokens, {true, false, false}),
                             expected.at("importance_per_example_raw")), 1e-4);
    EXPECT_LT(relative_error(normalize_importance(stats.importance_sum, stats.tokens, {true, true, false}),
                             expected.at("importance_per_example_layernorm")), 1e-4);
    EXPECT_LT(relative_error(normalize_importance(stats.importance_sum, stats.tokens, {}),
                             expected.at("importance_per_example_normalized")), 1e-4);
    EXPECT_LT(relative_error(stats.entropy, expected.at("attn_entropy")), 1e-5) << f.name;
  }
}

TEST_P(HeadStatsFixture, BatchGranularityMatchesTheModelLossGradient) {
  const Family& f = GetParam();
  StateDict expected = expected_outputs(f.name);
  std::unique_ptr<PreTrainedModel> model = load_model(fixture(f.name + "/model"));
  EvalData data = fixture_data(expected, f.kind);
  HeadStatsOptions options;
  options.granularity = Granularity::Batch;
  options.compute_entropy = false;
  options.batch_size = static_cast<int64_t>(data.examples.size());
  HeadStats stats = compute_head_stats(*model, data, options);
  EXPECT_LT(relative_error(normalize_importance(stats.importance_sum, stats.tokens, {true, false, false}),
                           expected.at("importance_batch_raw")), 1e-4);
}

TEST_P(HeadStatsFixture, TokenGranularityBoundsExampleGranularity) {
  // |Σ_t a_t| <= Σ_t |a_t|: token importance is at least example importance, head by head.
  const Family& f = GetParam();
  StateDict expected = expected_outputs(f.name);
  std::unique_ptr<PreTrainedModel> model = load_model(fixture(f.name + "/model"));
  EvalData data = fixture_data(expected, f.kind);
  HeadStatsOptions options;
  options.compute_entropy = false;
  HeadStats example = compute_head_stats(*model, data, options);
  options.granularity = Granularity::Token;
  HeadStats token = compute_head_stats(*model, data, options);
  std::vector<double> e = example.importance_sum.to_vector<double>(), t = token.importance_sum.to_vector<double>();
  for (size_t i = 0; i < e.size(); ++i) EXPECT_GE(t[i], e[i] * (1 - 1e-4)) << "head " << i;
}

TEST_P(HeadStatsFixture, TokenGranularityScoresMaskedHeads) {
  // A masked head's context is 0, but its P_h V_h is not: token importance still scores it, and
  // still bounds example importance (which ∂L/∂ξ_h gives for a masked head too).
  const Family& f = GetParam();
  StateDict expected = expected_outputs(f.name);
  std::unique_ptr<PreTrainedModel> model = load_model(fixture(f.name + "/model"));
  EvalData data = fixture_data(expected, f.kind);
  const int64_t layers = model->num_layers(), heads = model->num_heads();
  std::vector<float> keep(layers * heads, 1.0f);
  keep[0] = keep[layers * heads - 1] = 0.0f;  // the first head of the first layer, the last of the last
  HeadStatsOptions options;
  options.compute_entropy = false;
  options.head_mask = Tensor::from_vector(keep, {layers, heads});
  HeadStats example = compute_head_stats(*model, data, options);
  options.granularity = Granularity::Token;
  HeadStats token = compute_head_stats(*model, data, options);
  std::vector<double> e = example.importance_sum.to_vector<double>(), t = token.importance_sum.to_vector<double>();
  for (size_t i : {size_t{0}, e.size() - 1}) {
    EXPECT_GT(e[i], 0.0) << "head " << i;
    EXPECT_GE(t[i], e[i] * (1 - 1e-4)) << "head " << i;
  }
}

// A layer with every head pruned (its attention adds only the output bias) works at every
// granularity: its importance is 0, the other layers' are finite.
TEST(HeadStatsPruned, EveryGranularityOnAFullyPrunedLayer) {
  StateDict expected = expected_outputs("bert_small");
  std::unique_ptr<PreTrainedModel> model = load_model(fixture("bert_small/model"));
  const int64_t heads = model->num_heads();
  std::vector<int64_t> all(heads);
  for (int64_t h = 0; h < heads; ++h) all[h] = h;
  model->prune_heads({{1, all}});
  EvalData data = fixture_data(expected, TaskKind::Classification);
  for (Granularity g : {Granularity::Example, Granularity::Batch, Granularity::Token}) {
    HeadStatsOptions options;
    options.granularity = g;
    HeadStats stats = compute_head_stats(*model, data, options);
    const std::vector<double> imp = stats.importance_sum.to_vector<double>();
    for (int64_t h = 0; h < heads; ++h) EXPECT_EQ(imp[heads + h], 0.0) << "head " << h;
    double others = 0;
    for (int64_t h = 0; h < heads; ++h) others += imp[h];
    EXPECT_GT(others, 0.0);
    EXPECT_TRUE(std::isfinite(others));
  }
}

// Every head of every layer pruned (masking can go that far while the score holds): the pass
// still scores the model, at every granularity, and every importance and entropy is 0.
TEST(HeadStatsPruned, EveryHeadOfEveryLayerPruned) {
  StateDict expected = expected_outputs("bert_small");
  std::unique_ptr<PreTrainedModel> model = load_model(fixture("bert_small/model"));
  std::vector<int64_t> all(model->num_heads());
  for (int64_t h = 0; h < model->num_heads(); ++h) all[h] = h;
  std::map<int64_t, std::vector<int64_t>> every;
  for (int64_t l = 0; l < model->num_layers(); ++l) every[l] = all;
  model->prune_heads(every);
  EvalData data = fixture_data(expected, TaskKind::Classification);
  for (Granularity g : {Granularity::Example, Granularity::Batch, Granularity::Token}) {
    HeadStatsOptions options;
    options.granularity = g;
    HeadStats stats = compute_head_stats(*model, data, options);
    for (double v : stats.importance_sum.to_vector<double>()) EXPECT_EQ(v, 0.0);
    for (double v : stats.entropy.to_vector<double>()) EXPECT_EQ(v, 0.0);
    EXPECT_EQ(stats.predictions.labels.size(), data.examples.size());
  }
}

// A masked-LM batch in which no token is masked scores nothing: it adds no importance instead of
// a 0/0 gradient.
TEST(HeadStatsPruned, BatchWithNoScoredTokenAddsNothing) {
  StateDict expected = expected_outputs("bert_mlm");
  std::unique_ptr<PreTrainedModel> model = load_model(fixture("bert_mlm/model"));
  EvalData data = fixture_data(expected, TaskKind::MaskedLM);
  EvalData unscored = data;
  for (EvalExample& ex : unscored.examples) std::fill(ex.token_labels.begin(), ex.token_labels.end(), -100);
  data.examples.insert(data.examples.begin(), unscored.examples.begin(), unscored.examples.end());
  HeadStatsOptions options;
  options.granularity = Granularity::Batch;
  options.compute_entropy = false;
  options.batch_size = static_cast<int64_t>(unscored.examples.size());  // the first batch scores nothing
  HeadStats with = compute_head_stats(*model, data, options);
  HeadStatsOptions only_scored = options;
  HeadStats without = compute_head_stats(*model, fixture_data(expected, TaskKind::MaskedLM), only_scored);
  EXPECT_EQ(with.importance_sum.to_vector<double>(), without.importance_sum.to_vector<double>());
}

INSTANTIATE_TEST_SUITE_P(Fixtures, HeadStatsFixture,
                         ::testing::Values(Family{"bert_small", TaskKind::Classification},
                                           Family{"bert_regression", TaskKind::Regression},
                                           Family{"bert_mlm", TaskKind::MaskedLM},
                                           Family{"gpt2_lm", TaskKind::CausalLM},
                                           Family{"openai_gpt_lm", TaskKind::CausalLM}),
                         [](const auto& info) { return info.param.name; });

}  // namespace

TEST(HeadStatsGuards, NonFiniteWeightsAndLossesAreReportedWithWhere) {
  // A checkpoint holding a NaN is refused at load, naming the tensor.
  TempDir dir;
  std::filesystem::copy(fixture("bert_small/model"), dir.file("m"), std::filesystem::copy_options::recursive);
  StateDict weights = read_safetensors(dir.file("m/model.safetensors")).tensors;
  Tensor& w = weights.at("bert.encoder.layer.1.attention.self.query.weight");
  w = w.clone();
  w.data<float>()[5] = std::nanf("");
  write_safetensors(dir.file("m/model.safetensors"), weights, {});
  std::string message = error_of([&] { load_model(dir.file("m")); });
  EXPECT_NE(message.find("tensor 'bert.encoder.layer.1.attention.self.query.weight' holds a non-finite value"),
            std::string::npos) << message;

  // Weights that overflow make the loss infinite: the statistics pass stops and says which example.
  std::unique_ptr<PreTrainedModel> model = load_model(fixture("bert_small/model"));
  model->parameter("classifier.weight").detach().fill_(3e38);
  StateDict expected = expected_outputs("bert_small");
  EvalData data = fixture_data(expected, TaskKind::Classification);
  message = error_of([&] { compute_head_stats(*model, data, HeadStatsOptions{}); });
  EXPECT_NE(message.find("is not finite"), std::string::npos) << message;
}

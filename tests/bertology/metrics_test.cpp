// GLUE metrics against values worked out by hand and by their textbook formulas: accuracy, F1,
// Matthews correlation (binary and multiclass), Pearson, Spearman with ties, degenerate inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include <bertology/bertology/glue.h>
#include <bertology/bertology/metrics.h>
#include <bertology/tensor/error.h>

using namespace bertology;

using Classes = std::vector<int64_t>;
using Scores = std::vector<double>;

TEST(Metrics, Accuracy) {
  EXPECT_DOUBLE_EQ(accuracy({1, 0, 1, 1}, {1, 1, 1, 0}), 0.5);
  EXPECT_DOUBLE_EQ(accuracy({2, 0, 1}, {2, 0, 1}), 1.0);
  EXPECT_DOUBLE_EQ(accuracy({0}, {1}), 0.0);
}

TEST(Metrics, F1OfThePositiveClass) {
  // tp = 2 (positions 0, 4), fp = 1 (1), fn = 1 (3): F1 = 2*2 / (2*2 + 1 + 1) = 2/3.
  EXPECT_DOUBLE_EQ(f1_binary({1, 1, 0, 0, 1}, {1, 0, 0, 1, 1}), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(f1_binary({1, 1}, {1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(f1_binary({0, 0, 1}, {1, 1, 0}), 0.0);  // no true positive
  EXPECT_DOUBLE_EQ(f1_binary({0, 0}, {0, 0}), 0.0);        // no positive at all: sklearn gives 0
  EXPECT_THROW(f1_binary({0, 2}, {0, 1}), Error);
}

TEST(Metrics, MatthewsCorrelationBinary) {
  // tp = 2, tn = 1, fp = 1, fn = 1: (tp*tn - fp*fn) / sqrt((tp+fp)(tp+fn)(tn+fp)(tn+fn))
  //   = (2 - 1) / sqrt(3 * 3 * 2 * 2) = 1/6.
  const Classes predictions = {1, 1, 0, 0, 1}, labels = {1, 0, 0, 1, 1};
  EXPECT_NEAR(matthews_corrcoef(predictions, labels), 1.0 / 6.0, 1e-15);
  EXPECT_DOUBLE_EQ(matthews_corrcoef({0, 1, 1, 0}, {0, 1, 1, 0}), 1.0);
  EXPECT_DOUBLE_EQ(matthews_corrcoef({1, 0, 0, 1}, {0, 1, 1, 0}), -1.0);
  // Degenerate: one class predicted (or present) everywhere -> denominator 0 -> 0, as sklearn.
  EXPECT_DOUBLE_EQ(matthews_corrcoef({1, 1, 1, 1}, {0, 1, 1, 0}), 0.0);
  EXPECT_DOUBLE_EQ(matthews_corrcoef({0, 1, 1, 0}, {1, 1, 1, 1}), 0.0);
  EXPECT_DOUBLE_EQ(matthews_corrcoef({1, 1}, {1, 1}), 0.0);
}

TEST(Metrics, MatthewsCorrelationMulticlass) {
  // labels 0 1 2 0 1 2, predictions 0 2 1 0 0 2: correct c = 3, samples s = 6,
  // true counts t = (2, 2, 2), predicted counts p = (3, 1, 2):
  //   (c*s - t.p) / sqrt((s^2 - p.p)(s^2 - t.t)) = (18 - 12) / sqrt((36 - 14)(36 - 12)).
  EXPECT_NEAR(matthews_corrcoef({0, 2, 1, 0, 0, 2}, {0, 1, 2, 0, 1, 2}),
              6.0 / std::sqrt(22.0 * 24.0), 1e-15);
}

TEST(Metrics, Pearson) {
  // x - 3 = (-2, -1, 0, 1, 2), y - 4 = (-2, 0, 1, 0, 1): sxy = 6, sxx = 10, syy = 6.
  EXPECT_NEAR(pearson({1, 2, 3, 4, 5}, {2, 4, 5, 4, 5}), 6.0 / std::sqrt(60.0), 1e-15);
  EXPECT_DOUBLE_EQ(pearson({1, 2, 3}, {10, 20, 30}), 1.0);
  EXPECT_DOUBLE_EQ(pearson({1, 2, 3}, {3, 2, 1}), -1.0);
  // Large offsets: centring first keeps the answer exact where sums of squares would not.
  EXPECT_NEAR(pearson({1e9 + 1, 1e9 + 2, 1e9 + 3}, {1, 2, 3}), 1.0, 1e-12);
  EXPECT_TRUE(std::isnan(pearson({2, 2, 2}, {1, 2, 3})));  // constant input: scipy gives nan
  EXPECT_TRUE(std::isnan(pearson({1}, {1})));
}

TEST(Metrics, AverageRanksAndSpearmanWithTies) {
  EXPECT_EQ(average_ranks({3, 1, 4, 1, 5}), (Scores{3, 1.5, 4, 1.5, 5}));
  EXPECT_EQ(average_ranks({7, 7, 7}), (Scores{2, 2, 2}));
  EXPECT_EQ(average_ranks({0.5}), (Scores{1}));
  // ranks x = (1, 2.5, 2.5, 4), y = (1, 3, 2, 4); centred: (-1.5, 0, 0, 1.5), (-1.5, .5, -.5, 1.5)
  // sxy = 4.5, sxx = 4.5, syy = 5 -> rho = 4.5 / sqrt(22.5).
  EXPECT_NEAR(spearman({1, 2, 2, 3}, {1, 3, 2, 4}), 4.5 / std::sqrt(22.5), 1e-15);
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {1, 8, 27, 64}), 1.0);  // monotone, not linear
  EXPECT_DOUBLE_EQ(spearman({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  EXPECT_TRUE(std::isnan(spearman({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(spearman({1, NAN, 2}, {1, 2, 3})));
}

TEST(Metrics, GlueComputeMetricsKeysPerTask) {
  const Classes predictions = {1, 1, 0, 0, 1}, labels = {1, 0, 0, 1, 1};
  EXPECT_EQ(glue_compute_metrics("cola", predictions, labels),
            (MetricMap{{"mcc", matthews_corrcoef(predictions, labels)}}));
  for (const char* task : {"sst-2", "sst2", "mnli", "mnli-mm", "qnli", "rte", "wnli"})
    EXPECT_EQ(glue_compute_metrics(task, predictions, labels), (MetricMap{{"acc", 0.6}})) << task;
  for (const char* task : {"mrpc", "qqp"}) {
    const MetricMap m = glue_compute_metrics(task, predictions, labels);
    ASSERT_EQ(m.size(), 3u);
    EXPECT_DOUBLE_EQ(m.at("acc"), 0.6);
    EXPECT_DOUBLE_EQ(m.at("f1"), 2.0 / 3.0);
    EXPECT_DOUBLE_EQ(m.at("acc_and_f1"), (0.6 + 2.0 / 3.0) / 2);
  }
  const MetricMap stsb = glue_compute_metrics("sts-b", Scores{1, 2, 2, 3}, Scores{1, 3, 2, 4});
  ASSERT_EQ(stsb.size(), 3u);
  const double r = pearson({1, 2, 2, 3}, {1, 3, 2, 4});
  EXPECT_DOUBLE_EQ(stsb.at("pearson"), r);
  EXPECT_DOUBLE_EQ(stsb.at("spearmanr"), 4.5 / std::sqrt(22.5));
  EXPECT_DOUBLE_EQ(stsb.at("corr"), (r + 4.5 / std::sqrt(22.5)) / 2);
}

TEST(Metrics, BadInputThrows) {
  EXPECT_THROW(accuracy({1, 0}, {1}), Error);
  EXPECT_THROW(accuracy({}, {}), Error);
  EXPECT_THROW(matthews_corrcoef({}, {}), Error);
  EXPECT_THROW(pearson({1, 2}, {1, 2, 3}), Error);
  EXPECT_THROW(spearman({}, {}), Error);
  EXPECT_THROW(glue_compute_metrics("squad", Classes{1}, Classes{1}), Error);
  EXPECT_THROW(glue_compute_metrics("sts-b", Classes{1, 0}, Classes{1, 0}), Error);
  EXPECT_THROW(glue_compute_metrics("mrpc", Scores{1, 0}, Scores{1, 0}), Error);
  try {
    accuracy({1, 0}, {1});
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), "accuracy: 2 predictions but 1 labels");
  }
}

// check_metric refuses a --metric-name before any pass by the task's metric_names: they must be
// exactly the keys glue_compute_metrics returns, for every task.
TEST(Metrics, EveryTasksMetricNamesAreTheKeysItsMetricsReturn) {
  for (const std::string& name : glue_task_names()) {
    const GlueTask& task = glue_task(name);
    const MetricMap m = task.output_mode == OutputMode::Regression
                            ? glue_compute_metrics(name, std::vector<double>{0.5, 1.0, 2.0}, {0.0, 1.5, 2.5})
                            : glue_compute_metrics(name, std::vector<int64_t>{0, 1, 1}, {0, 1, 0});
    std::vector<std::string> keys;
    for (const auto& [key, value] : m) keys.push_back(key);
    std::vector<std::string> names = task.metric_names;
    std::sort(names.begin(), names.end());
    EXPECT_EQ(keys, names) << name;
    EXPECT_NE(std::find(names.begin(), names.end(), task.default_metric), names.end()) << name;
  }
}

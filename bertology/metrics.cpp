// Evaluation metrics for the GLUE tasks, computed in double precision with the conventions of
// sklearn (F1, MCC) and scipy (Pearson, Spearman) that HF's glue_compute_metrics relies on.
#include <bertology/bertology/metrics.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include <bertology/bertology/glue.h>
#include <bertology/tensor/error.h>

namespace bertology {

namespace {

template <class T>
void check_same_nonempty(const char* metric, const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size())
    throw Error(concat(metric, ": ", a.size(), " predictions but ", b.size(), " labels"));
  if (a.empty()) throw Error(concat(metric, ": no predictions"));
}

double mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_same_nonempty("accuracy", predictions, labels);
  int64_t correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) correct += predictions[i] == labels[i];
  return static_cast<double>(correct) / static_cast<double>(labels.size());
}

double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels) {
  check_same_nonempty("f1", predictions, labels);
  int64_t true_positives = 0, false_positives = 0, false_negatives = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const int64_t p = predictions[i], y = labels[i];
    if ((p != 0 && p != 1) || (y != 0 && y != 1))
      throw Error(concat("f1: binary F1 needs classes 0 and 1, found prediction ", p,
                         " and label ", y, " at position ", i));
    true_positives += p == 1 && y == 1;
    false_positives += p == 1 && y == 0;
    false_negatives += p == 0 && y == 1;
  }
  const int64_t denominator = 2 * true_positives + false_positives + false_negatives;
  if (denominator == 0) return 0.0;  // no positive anywhere: sklearn's zero_division value
  return 2.0 * static_cast<double>(true_positives) / static_cast<double>(denominator);
}

double matthews_corrcoef(const std::vector<int64_t>& predictions,
                         const std::vector<int64_t>& labels) {
  check_same_nonempty("mcc", predictions, labels);
  // Multiclass form (Gorodkin 2004), which reduces to (tp*tn - fp*fn)/sqrt(...) for two classes:
  //   (c*s - sum_k t_k p_k) / sqrt((s^2 - sum_k p_k^2) (s^2 - sum_k t_k^2))
  // with t_k / p_k the true / predicted count of class k, c the correct count, s the total.
  std::map<int64_t, double> true_count, predicted_count;
  double correct = 0;
  for (size_t i = 0; i < labels.size(); ++i) {
    true_count[labels[i]] += 1;
    predicted_count[predictions[i]] += 1;
    correct += predictions[i] == labels[i];
  }
  const double total = static_cast<double>(labels.size());
  double true_dot_predicted = 0, true_squared = 0, predicted_squared = 0;
  for (const auto& [k, t] : true_count) {
    true_squared += t * t;
    auto p = predicted_count.find(k);
    if (p != predicted_count.end()) true_dot_predicted += t * p->second;
  }
  for (const auto& kp : predicted_count) predicted_squared += kp.second * kp.second;
  const double covariance = correct * total - true_dot_predicted;
  const double variance_predicted = total * total - predicted_squared;
  const double variance_true = total * total - true_squared;
  if (variance_predicted * variance_true == 0) return 0.0;
  return covariance / std::sqrt(variance_predicted * variance_true);
}

double pearson(const std::vector<double>& x, const std::vector<double>& y) {
  check_same_nonempty("pearson", x, y);
  const double mean_x = mean(x), mean_y = mean(y);  // centre first: two passes are accurate
  double sxy = 0, sxx = 0, syy = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double dx = x[i] - mean_x, dy = y[i] - mean_y;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx == 0 || syy == 0) return std::numeric_limits<double>::quiet_NaN();
  const double r = sxy / std::sqrt(sxx * syy);
  return std::clamp(r, -1.0, 1.0);  // rounding can step just outside
}

std::vector<double> average_ranks(const std::vector<double>& values) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return values[a] < values[b]; });
  std::vector<double> ranks(values.size());
  size_t start = 0;
  while (start < order.size()) {
    size_t end = start + 1;  // [start, end) is a run of equal values
    while (end < order.size() && values[order[end]] == values[order[start]]) ++end;
    const double average = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2.0;
    for (size_t k = start; k < end; ++k) ranks[order[k]] = average;
    start = end;
  }
  return ranks;
}

double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  check_same_nonempty("spearman", x, y);
  auto has_nan = [](const std::vector<double>& v) {
    return std::any_of(v.begin(), v.end(), [](double a) { return std::isnan(a); });
  };
  if (has_nan(x) || has_nan(y)) return std::numeric_limits<double>::quiet_NaN();  // cannot rank
  return pearson(average_ranks(x), average_ranks(y));
}

MetricMap glue_compute_metrics(const std::string& task_name,
                               const std::vector<int64_t>& predicted_classes,
                               const std::vector<int64_t>& labels) {
  const GlueTask& task = glue_task(task_name);
  if (task.output_mode != OutputMode::Classification)
    throw Error(concat("glue_compute_metrics: task '", task.name,
                       "' is a regression task: pass scores, not class indices"));
  if (task.name == "cola") return {{"mcc", matthews_corrcoef(predicted_classes, labels)}};
  const double acc = accuracy(predicted_classes, labels);
  if (task.name == "mrpc" || task.name == "qqp") {
    const double f1 = f1_binary(predicted_classes, labels);
    return {{"acc", acc}, {"f1", f1}, {"acc_and_f1", (acc + f1) / 2}};
  }
  return {{"acc", acc}};
}

MetricMap glue_compute_metrics(const std::string& task_name,
                               const std::vector<double>& predicted_scores,
                               const std::vector<double>& scores) {
  const GlueTask& task = glue_task(task_name);
  if (task.output_mode != OutputMode::Regression)
    throw Error(concat("glue_compute_metrics: task '", task.name,
                       "' is a classification task: pass class indices, not scores"));
  const double r = pearson(predicted_scores, scores);
  const double rho = spearman(predicted_scores, scores);
  return {{"pearson", r}, {"spearmanr", rho}, {"corr", (r + rho) / 2}};
}

}  // namespace bertology

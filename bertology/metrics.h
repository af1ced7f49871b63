// Evaluation metrics for the GLUE tasks (accuracy, F1, Matthews correlation, Pearson, Spearman)
// and glue_compute_metrics, which returns for a task exactly the keys HF's function returns.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace bertology {

using MetricMap = std::map<std::string, double>;

// Every function throws Error when predictions and labels differ in length or are empty.

// Fraction of positions where prediction == label.
double accuracy(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
// Binary F1 of the positive class 1 (sklearn's f1_score): 2tp / (2tp + fp + fn), 0 when there
// are no positives at all. Values other than 0 and 1 throw.
double f1_binary(const std::vector<int64_t>& predictions, const std::vector<int64_t>& labels);
// Matthews correlation coefficient for any number of classes (sklearn's matthews_corrcoef);
// 0 when its denominator is 0 (all labels or all predictions one class).
double matthews_corrcoef(const std::vector<int64_t>& predictions,
                         const std::vector<int64_t>& labels);
// Pearson's r; NaN when either input is constant (as scipy's pearsonr).
double pearson(const std::vector<double>& x, const std::vector<double>& y);
// Spearman's rho: Pearson's r of the ranks, tied values sharing their average rank; NaN when
// either input is constant (as scipy's spearmanr).
double spearman(const std::vector<double>& x, const std::vector<double>& y);
// 1-based ranks with ties given their average rank (scipy's rankdata, method "average").
std::vector<double> average_ranks(const std::vector<double>& values);

// HF's glue_compute_metrics. Classification tasks take class indices:
//   cola -> mcc; sst-2, mnli, mnli-mm, qnli, rte, wnli -> acc; mrpc, qqp -> acc, f1, acc_and_f1.
// Regression (sts-b) takes scores: pearson, spearmanr, corr (their mean).
// Throws Error for an unknown task or a task of the other output mode.
MetricMap glue_compute_metrics(const std::string& task_name,
                               const std::vector<int64_t>& predicted_classes,
                               const std::vector<int64_t>& labels);
MetricMap glue_compute_metrics(const std::string& task_name,
                               const std::vector<double>& predicted_scores,
                               const std::vector<double>& scores);

}  // namespace bertology

// Task-head losses (classification, regression, multi-label, causal LM, masked LM) and the
// last-non-pad-token pooling of GPT's sequence classifiers.
#include <bertology/models/heads.h>

#include <bertology/autograd/functions.h>

namespace bertology {
namespace {

void check_labels(const Tensor& labels, const Shape& expected, const char* what) {
  if (labels.sizes() != expected)
    throw Error(concat(what, ": labels of shape ", labels.shape_str(), ", expected ", shape_str(expected)));
}

}  // namespace

Tensor sequence_classification_loss(const Tensor& logits, const Tensor& labels, const ModelConfig& config) {
  const int64_t B = logits.size(0), C = logits.size(1);
  std::string problem = config.problem_type;
  if (problem.empty())
    problem = C == 1                           ? "regression"
              : labels.dtype() == DType::Int64 ? "single_label_classification"
                                               : "multi_label_classification";
  if (problem == "regression") {  // MSE, e.g. STS-B
    if (labels.numel() != logits.numel())
      throw Error(
          concat("regression: labels of shape ", labels.shape_str(), " for logits ", logits.shape_str()));
    Tensor target = labels.to(logits.dtype()).reshape(logits.sizes());
    return C == 1 ? mse_loss(logits.reshape({B}), target.reshape({B})) : mse_loss(logits, target);
  }
  if (problem == "single_label_classification") {
    check_labels(labels, {B}, "classification");
    if (labels.dtype() != DType::Int64)
      throw Error(
          concat("classification: labels must be int64 class numbers, got ", dtype_name(labels.dtype())));
    const std::vector<int64_t> values = labels.to_vector<int64_t>();
    for (int64_t v : values)
      if (v != -100 && (v < 0 || v >= C))
        throw Error(concat("classification: label ", v, " is not a class in [0, ", C, ")"));
    return cross_entropy(logits, labels);
  }
  // multi_label_classification: mean of max(x, 0) - x·y + log(1 + e^{-|x|}) (stable BCE with logits)
  check_labels(labels, logits.sizes(), "multi-label classification");
  Tensor y = labels.to(logits.dtype());
  return mean(relu(logits) - logits * y + log(1.0 + exp(-abs(logits))));
}

Tensor causal_lm_loss(const Tensor& logits, const Tensor& labels) {
  const int64_t B = logits.size(0), S = logits.size(1);
  check_labels(labels, {B, S}, "language modelling");
  if (labels.dtype() != DType::Int64) throw Error("language modelling: labels must be int64 token ids");
  Tensor predictions = logits.narrow(1, 0, S - 1);  // positions 0 .. S-2
  Tensor targets = labels.narrow(1, 1, S - 1);      // tokens 1 .. S-1
  return cross_entropy(predictions, targets, -100);
}

Tensor masked_lm_loss(const Tensor& logits, const Tensor& labels) {
  check_labels(labels, {logits.size(0), logits.size(1)}, "masked language modelling");
  if (labels.dtype() != DType::Int64)
    throw Error("masked language modelling: labels must be int64 token ids");
  return cross_entropy(logits, labels, -100);
}

Tensor last_token_states(const Tensor& hidden, const Tensor& input_ids, std::optional<int64_t> pad_token_id) {
  const int64_t B = hidden.size(0), S = hidden.size(1), E = hidden.size(2);
  if (!pad_token_id && B > 1)
    throw Error(
        "sequence classification: cannot handle batch sizes > 1 if no padding token is defined "
        "(set pad_token_id in config.json)");
  const std::vector<int64_t> ids = input_ids.to_vector<int64_t>();
  std::vector<int64_t> rows(B);  // flat row b·S + t of each example's last non-pad token
  for (int64_t b = 0; b < B; ++b) {
    int64_t last = pad_token_id ? 0 : S - 1;
    if (pad_token_id)
      for (int64_t t = 0; t < S; ++t)
        if (ids[b * S + t] != *pad_token_id) last = t;
    rows[b] = b * S + last;
  }
  return index_select(hidden.reshape({B * S, E}), 0, Tensor::from_vector(rows, {B}).to(hidden.device()));  // (B, E)
}

}  // namespace bertology

// The losses of the task heads, as HF computes them, and GPT's sequence pooling (the last
// non-padding token).
#pragma once
#include <optional>

#include <bertology/models/config.h>
#include <bertology/tensor/tensor.h>

namespace bertology {

// logits (B, C); labels (B) classes or (B) / (B, C) targets. The problem type is the config's, or
// HF's guess: C = 1 -> regression (MSE), int labels -> single-label cross-entropy, else
// multi-label binary cross-entropy.
Tensor sequence_classification_loss(const Tensor& logits, const Tensor& labels, const ModelConfig& config);
// Next-token loss: logits (B, S, V) at position t predict labels (B, S) at t+1; -100 ignored; mean.
Tensor causal_lm_loss(const Tensor& logits, const Tensor& labels);
// Masked-LM loss: cross-entropy at the labelled positions of labels (B, S) (others -100); mean.
Tensor masked_lm_loss(const Tensor& logits, const Tensor& labels);

// hidden (B, S, E) -> (B, E) at each row's last token that is not pad_token_id (HF's GPT
// sequence classifiers); without a pad token only a batch of one is allowed (its last token).
Tensor last_token_states(const Tensor& hidden, const Tensor& input_ids, std::optional<int64_t> pad_token_id);

}  // namespace bertology

// The evaluation data of a BERTology run: encoded examples (a GLUE task or a language-model text)
// and the batches the model sees, padded to the longest example of each batch.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <bertology/bertology/glue.h>
#include <bertology/models/model.h>
#include <bertology/models/tokenizer/tokenizer.h>

namespace bertology {

// What the examples are scored on.
enum class TaskKind {
  Classification,  // GLUE classification: labels are class indices
  Regression,      // STS-B: labels are scores
  CausalLM,        // GPT / GPT-2 on plain text: predict token t+1 from position t
  MaskedLM,        // BERT on plain text: predict the masked tokens
};

struct EvalExample {
  std::vector<int64_t> input_ids;       // (S_i)
  std::vector<int64_t> token_type_ids;  // (S_i), empty for GPT models
  int64_t label = -1;                   // Classification: class index
  double score = 0;                     // Regression: target
  std::vector<int64_t> token_labels;    // LM: (S_i), -100 = not scored
};

struct EvalData {
  TaskKind kind = TaskKind::Classification;
  std::string task_name;  // GLUE name, or "lm"
  std::vector<EvalExample> examples;
  int64_t pad_token_id = 0;
  int64_t total_tokens() const;  // non-padding tokens over all examples
};

// GLUE examples encoded with the tokenizer ([CLS] a [SEP] b [SEP], longest-first truncation).
EvalData encode_glue(const GlueTask& task, const std::vector<GlueExample>& examples, const Tokenizer& tokenizer,
                     int64_t max_seq_length);

// A plain-text file cut into consecutive chunks of max_seq_length tokens. MaskedLM chooses 15% of
// the non-special tokens of each chunk (seeded) and replaces every one by [MASK] (BERT's
// pre-training chose 15% too, but kept or swapped a fifth of them); CausalLM scores every next token.
EvalData encode_lm_text(const std::string& text, TaskKind kind, const Tokenizer& tokenizer, int64_t max_seq_length,
                        uint64_t seed);

// Examples [begin, end) as model inputs, padded on the right to the longest: input_ids (B, S),
// attention_mask (B, S), token_type_ids (B, S) when the examples have them.
ModelInputs make_batch(const EvalData& data, int64_t begin, int64_t end);

}  // namespace bertology

// Encoding GLUE examples and LM text into EvalData, and padding slices of it into batches.
#include <bertology/bertology/eval_data.h>

#include <algorithm>

namespace bertology {

int64_t EvalData::total_tokens() const {
  int64_t n = 0;
  for (const EvalExample& e : examples) n += static_cast<int64_t>(e.input_ids.size());
  return n;
}

EvalData encode_glue(const GlueTask& task, const std::vector<GlueExample>& examples, const Tokenizer& tokenizer,
                     int64_t max_seq_length) {
  if (examples.empty()) throw Error(concat("task ", task.name, ": no examples to evaluate"));
  EvalData data;
  data.kind = task.output_mode == OutputMode::Regression ? TaskKind::Regression : TaskKind::Classification;
  data.task_name = task.name;
  data.pad_token_id = tokenizer.pad_token_id();
  EncodeOptions options;
  options.max_length = static_cast<size_t>(max_seq_length);
  const bool pairs = examples.front().text_b.has_value();
  std::vector<Encoding> encodings;
  if (pairs) {
    std::vector<std::pair<std::string, std::string>> texts;
    for (const GlueExample& e : examples) texts.emplace_back(e.text_a, e.text_b.value_or(""));
    encodings = tokenizer.encode_pair_batch(texts, options);
  } else {
    std::vector<std::string> texts;
    for (const GlueExample& e : examples) texts.push_back(e.text_a);
    encodings = tokenizer.encode_batch(texts, options);
  }
  for (size_t i = 0; i < examples.size(); ++i) {
    EvalExample ex;
    ex.input_ids = std::move(encodings[i].ids);
    if (tokenizer.type() == "bert") ex.token_type_ids = std::move(encodings[i].token_type_ids);
    if (!examples[i].label)
      throw Error(concat("task ", task.name, ": example ", examples[i].guid, " has no label (a test file?)"));
    ex.label = examples[i].label_index;
    ex.score = examples[i].score;
    if (ex.input_ids.empty()) ex.input_ids.push_back(data.pad_token_id);  // an empty text still needs a token
    data.examples.push_back(std::move(ex));
  }
  return data;
}

EvalData encode_lm_text(const std::string& text, TaskKind kind, const Tokenizer& tokenizer, int64_t max_seq_length,
                        uint64_t seed) {
  if (kind != TaskKind::CausalLM && kind != TaskKind::MaskedLM)
    throw Error("encode_lm_text: kind must be CausalLM or MaskedLM");
  if (max_seq_length < 2) throw Error(concat("--max-seq-length must be at least 2, got ", max_seq_length));
  EvalData data;
  data.kind = kind;
  data.task_name = "lm";
  data.pad_token_id = tokenizer.pad_token_id();
  std::vector<int64_t> ids = tokenizer.encode_ids(text);
  const bool masked = kind == TaskKind::MaskedLM;
  // BERT chunks carry [CLS] ... [SEP] like its pre-training inputs.
  const int64_t body = masked ? max_seq_length - 2 : max_seq_length;
  const int64_t cls = tokenizer.token_to_id("[CLS]"), sep = tokenizer.token_to_id("[SEP]"),
                mask = tokenizer.token_to_id("[MASK]");
  if (masked && (cls < 0 || sep < 0 || mask < 0))
    throw Error("masked-LM mode needs [CLS], [SEP] and [MASK] in the tokenizer's vocabulary");
  Generator gen(seed);
  for (size_t start = 0; start < ids.size(); start += static_cast<size_t>(body)) {
    size_t end = std::min(ids.size(), start + static_cast<size_t>(body));
    EvalExample ex;
    if (masked) ex.input_ids.push_back(cls);
    ex.input_ids.insert(ex.input_ids.end(), ids.begin() + start, ids.begin() + end);
    if (masked) ex.input_ids.push_back(sep);
    if (masked) {
      ex.token_type_ids.assign(ex.input_ids.size(), 0);
      ex.token_labels.assign(ex.input_ids.size(), -100);
      for (size_t t = 1; t + 1 < ex.input_ids.size(); ++t)
        if (gen.uniform() < 0.15) {
          ex.token_labels[t] = ex.input_ids[t];
          ex.input_ids[t] = mask;
        }
    } else {
      ex.token_labels = ex.input_ids;
    }
    if (ex.input_ids.size() < 2) continue;  // nothing to predict
    data.examples.push_back(std::move(ex));
  }
  if (data.examples.empty()) throw Error("the text has too few tokens for a language-model evaluation");
  return data;
}

ModelInputs make_batch(const EvalData& data, int64_t begin, int64_t end) {
  if (begin < 0 || end > static_cast<int64_t>(data.examples.size()) || begin >= end)
    throw Error(concat("make_batch: range [", begin, ", ", end, ") outside ", data.examples.size(), " examples"));
  const int64_t b = end - begin;
  int64_t s = 0;
  for (int64_t i = begin; i < end; ++i) s = std::max<int64_t>(s, data.examples[i].input_ids.size());
  const bool types = !data.examples[begin].token_type_ids.empty();
  std::vector<int64_t> ids(b * s, data.pad_token_id), mask(b * s, 0), type_ids(b * s, 0);
  for (int64_t i = 0; i < b; ++i) {
    const EvalExample& e = data.examples[begin + i];
    for (size_t t = 0; t < e.input_ids.size(); ++t) {
      ids[i * s + t] = e.input_ids[t];
      mask[i * s + t] = 1;
      if (types) type_ids[i * s + t] = e.token_type_ids[t];
    }
  }
  ModelInputs in;
  in.input_ids = Tensor::from_vector(ids, {b, s});
  in.attention_mask = Tensor::from_vector(mask, {b, s});
  if (types) in.token_type_ids = Tensor::from_vector(type_ids, {b, s});
  return in;
}

}  // namespace bertology

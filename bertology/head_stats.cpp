// The statistics pass: forward with a differentiable head mask ξ, each example's own loss,
// ∂loss/∂ξ by one backward that computes nothing but the mask's gradient, then |·| summed.
#include <bertology/autograd/autograd.h>
#include <bertology/bertology/head_stats.h>
#include <bertology/tensor/kernels/kernels.h>

#include <chrono>
#include <cmath>

namespace bertology {
namespace {

// -Σ_k p log p per query row of every head, zero on padding queries, summed over the batch and
// the queries: attentions[l] (B, H', S, S) -> (H') added into entropy row l at the kept heads.
void add_entropy(const std::vector<Tensor>& attentions, const Tensor& attention_mask,
                 const PreTrainedModel& model, std::vector<double>& entropy) {
  const int64_t heads = model.num_heads();
  std::vector<double> query_mask = attention_mask.to_vector<double>();  // (B, S)
  for (size_t l = 0; l < attentions.size(); ++l) {
    const Tensor p = attentions[l].detach().to(Device::cpu()).contiguous().to(DType::Float64);
    const int64_t b = p.size(0), h = p.size(1), s = p.size(2);
    const double* pp = p.data<double>();
    const std::vector<int64_t>& kept = model.kept_heads(static_cast<int64_t>(l));
    for (int64_t bi = 0; bi < b; ++bi)
      for (int64_t hi = 0; hi < h; ++hi)
        for (int64_t q = 0; q < s; ++q) {
          if (query_mask[bi * s + q] == 0) continue;
          const double* row = pp + ((bi * h + hi) * s + q) * s;
          double e = 0;
          for (int64_t k = 0; k < s; ++k)
            if (row[k] > 0) e -= row[k] * std::log(row[k]);
          entropy[l * heads + kept[hi]] += e;
        }
  }
}

// Token granularity: Σ_t |⟨P_h V_h(t), ∂L/∂context_h(t)⟩| per example and head, summed. The
// head outputs P_h V_h (B, H', S, D) are kept before ξ_h, so a masked head (ξ_h = 0) is scored
// too; the gradient is the retained context's, ∂L/∂(ξ_h P_h V_h).
void add_token_importance(const ModelOutput& out, const PreTrainedModel& model, std::vector<double>& importance) {
  const int64_t heads = model.num_heads();
  for (size_t l = 0; l < out.contexts.size(); ++l) {
    if (out.contexts[l].size(1) == 0) continue;  // every head of this layer pruned
    Tensor ctx = out.head_outputs[l].to(Device::cpu()).contiguous().to(DType::Float64);
    Tensor dctx = out.contexts[l].grad().to(Device::cpu()).contiguous().to(DType::Float64);
    if (kernels::first_non_finite(dctx) >= 0)
      throw Error(concat("the gradient of layer ", l, "'s head outputs is not finite: check the model's weights"));
    const int64_t b = ctx.size(0), h = ctx.size(1), s = ctx.size(2), d = ctx.size(3);
    const double *c = ctx.data<double>(), *g = dctx.data<double>();
    const std::vector<int64_t>& kept = model.kept_heads(static_cast<int64_t>(l));
    for (int64_t hi = 0; hi < h; ++hi) {
      double total = 0;
      for (int64_t bi = 0; bi < b; ++bi)
        for (int64_t t = 0; t < s; ++t) {
          const int64_t at = ((bi * h + hi) * s + t) * d;
          double dot = 0;
          for (int64_t k = 0; k < d; ++k) dot += c[at + k] * g[at + k];
          total += std::abs(dot);
        }
      importance[l * heads + kept[hi]] += total;
    }
  }
}

void collect_predictions(const ModelOutput& out, const ModelInputs& in, const EvalData& data, int64_t begin,
                         Predictions& pred) {
  const int64_t b = in.input_ids.size(0);
  switch (data.kind) {
    case TaskKind::Classification: {
      std::vector<int64_t> best = argmax(out.logits, -1).to_vector<int64_t>();
      for (int64_t i = 0; i < b; ++i) {
        pred.labels.push_back(best[i]);
        pred.gold_labels.push_back(data.examples[begin + i].label);
      }
      break;
    }
    case TaskKind::Regression: {
      std::vector<double> v = out.logits.to_vector<double>();
      for (int64_t i = 0; i < b; ++i) {
        pred.scores.push_back(v[i]);
        pred.gold_scores.push_back(data.examples[begin + i].score);
      }
      break;
    }
    case TaskKind::CausalLM:
    case TaskKind::MaskedLM: break;  // per_example_loss accumulates the LM totals
  }
}

// Tokens the loss of example i scores: 1 for a classifier; labelled (next) tokens for an LM.
int64_t scored_tokens(const EvalData& data, int64_t i) {
  if (data.kind != TaskKind::CausalLM && data.kind != TaskKind::MaskedLM) return 1;
  const std::vector<int64_t>& tl = data.examples[i].token_labels;
  int64_t count = 0;
  for (size_t j = (data.kind == TaskKind::CausalLM ? 1 : 0); j < tl.size(); ++j) count += tl[j] != -100;
  return count;
}

}  // namespace

Granularity parse_granularity(const std::string& name) {
  if (name == "example") return Granularity::Example;
  if (name == "token") return Granularity::Token;
  if (name == "batch") return Granularity::Batch;
  throw Error(concat("unknown granularity '", name, "' (expected example, token or batch)"));
}

const char* granularity_name(Granularity g) {
  switch (g) {
    case Granularity::Example: return "example";
    case Granularity::Token: return "token";
    case Granularity::Batch: return "batch";
  }
  return "?";
}

Tensor per_example_loss(const ModelOutput& out, const ModelInputs& in, const EvalData& data, int64_t begin) {
  const int64_t b = in.input_ids.size(0), s = in.input_ids.size(1);
  switch (data.kind) {
    case TaskKind::Classification: {
      std::vector<int64_t> gold;
      for (int64_t i = 0; i < b; ++i) gold.push_back(data.examples[begin + i].label);
      return cross_entropy(out.logits, Tensor::from_vector(gold, {b}).to(out.logits.device()), -100, Reduction::None);  // (B)
    }
    case TaskKind::Regression: {
      std::vector<float> gold;
      for (int64_t i = 0; i < b; ++i) gold.push_back(static_cast<float>(data.examples[begin + i].score));
      return pow(out.logits.reshape({b}) - Tensor::from_vector(gold, {b}).to(out.logits.device()), 2.0);  // (B)
    }
    case TaskKind::CausalLM:
    case TaskKind::MaskedLM: {
      // labels (B, S) with -100 on padding and unscored tokens; causal LM shifts by one.
      const bool causal = data.kind == TaskKind::CausalLM;
      const int64_t t = causal ? s - 1 : s;
      std::vector<int64_t> labels(b * t, -100);
      std::vector<float> inv_count(b, 0.0f);
      for (int64_t i = 0; i < b; ++i) {
        const std::vector<int64_t>& tl = data.examples[begin + i].token_labels;
        int64_t count = 0;
        for (int64_t j = 0; j < t; ++j) {
          size_t src = static_cast<size_t>(causal ? j + 1 : j);
          if (src < tl.size() && tl[src] != -100) {
            labels[i * t + j] = tl[src];
            ++count;
          }
        }
        inv_count[i] = count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
      }
      Tensor logits = causal ? out.logits.narrow(1, 0, t) : out.logits;  // (B, T, V)
      const Device device = logits.device();
      Tensor token_loss = cross_entropy(logits, Tensor::from_vector(labels, {b, t}).to(device), -100, Reduction::None);
      return sum(token_loss, {1}) * Tensor::from_vector(inv_count, {b}).to(device);  // each example's mean
    }
  }
  throw Error("per_example_loss: unknown task kind");
}

HeadStats compute_head_stats(PreTrainedModel& model, const EvalData& data, const HeadStatsOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  const int64_t layers = model.num_layers(), heads = model.num_heads();
  const int64_t n = static_cast<int64_t>(data.examples.size());
  if (n == 0) throw Error("head statistics: the evaluation set is empty");
  if (options.batch_size < 1) throw Error(concat("batch size must be at least 1, got ", options.batch_size));
  Tensor mask_lh = options.head_mask.defined() ? options.head_mask.to(DType::Float32).contiguous()
                                               : Tensor::ones({layers, heads});  // (L, H)
  if (mask_lh.sizes() != Shape{layers, heads})
    throw Error(concat("head mask must be (L, H) = ", shape_str({layers, heads}), ", got ", mask_lh.shape_str()));

  model.requires_grad_(false);  // only ξ's gradient is wanted: no weight-gradient products
  model.eval();
  std::vector<double> entropy(layers * heads, 0.0), importance(layers * heads, 0.0);
  HeadStats stats;
  for (int64_t begin = 0; begin < n; begin += options.batch_size) {
    const int64_t end = std::min(n, begin + options.batch_size), b = end - begin;
    ModelInputs in = make_batch(data, begin, end);
    stats.tokens += static_cast<int64_t>(sum(in.attention_mask.to(DType::Float64)).item());
    // ξ: (B, L, H) per example for `example` granularity, otherwise the batch's (L, H).
    const bool per_example = options.granularity == Granularity::Example;
    Tensor xi = per_example ? mask_lh.unsqueeze(0).expand({b, layers, heads}).contiguous() : mask_lh.clone();
    if (options.compute_importance) xi.requires_grad_();
    in.head_mask = xi;
    ForwardOptions fo;
    fo.output_attentions = options.compute_entropy;
    fo.attentions_without_grad = true;  // entropy only reads them
    fo.output_contexts = options.compute_importance && options.granularity == Granularity::Token;
    ModelOutput out;
    Tensor losses;
    {
      std::unique_ptr<NoGradGuard> no_grad;
      if (!options.compute_importance) no_grad = std::make_unique<NoGradGuard>();
      out = model.forward(in, fo);
      losses = per_example_loss(out, in, data, begin);  // (B): each example's own loss
    }
    // A NaN or Inf loss would silently poison every importance score: stop and say where.
    if (int64_t bad = kernels::first_non_finite(losses); bad >= 0)
      throw Error(concat("the loss of example ", begin + bad, " is not finite (", losses.to_vector<double>()[bad],
                         "): check the model's weights and the inputs"));
    // Scored tokens per example: 1 for a classifier, the labelled tokens of a language model.
    const bool language_model = data.kind == TaskKind::CausalLM || data.kind == TaskKind::MaskedLM;
    std::vector<float> counts(b, 1.0f);
    const std::vector<double> per = losses.to_vector<double>();
    for (int64_t i = 0; i < b; ++i) {
      if (language_model) counts[i] = static_cast<float>(scored_tokens(data, begin + i));
      const double weighted = per[i] * counts[i];  // Σ token losses of the example
      stats.loss_sum += weighted;
      stats.loss_count += static_cast<int64_t>(counts[i]);
      if (language_model) {  // for perplexity
        stats.predictions.lm_loss_sum += weighted;
        stats.predictions.lm_tokens += static_cast<int64_t>(counts[i]);
      }
    }
    collect_predictions(out, in, data, begin, stats.predictions);
    if (options.compute_entropy) add_entropy(out.attentions, in.attention_mask, model, entropy);

    double scored = 0;  // tokens (examples for a classifier) the batch's loss averages over
    for (float c : counts) scored += c;
    // A language-model batch may score no token at all (masked LM: none masked): no loss, no gradient.
    const bool nothing_scored = scored == 0;
    // A model with every head pruned has no ξ in its graph: every importance stays 0.
    const bool no_head_left = !losses.requires_grad();
    if (options.compute_importance && !nothing_scored && !no_head_left) {
      // example: Σ_b L_b, so ∂/∂ξ_b is example b's own gradient. batch: the model's own loss,
      // the mean over the batch's scored tokens (over its examples for a classifier).
      Tensor weights = Tensor::from_vector(counts, {b}).to(losses.device());
      Tensor loss = options.granularity == Granularity::Batch ? sum(losses * weights) / scored : sum(losses);
      if (options.granularity == Granularity::Token) {
        for (const Tensor& c : out.contexts)
          if (c.size(1) > 0) c.retain_grad();  // a fully pruned layer's (B, 0, S, D) has no history
        loss.backward(Tensor(), {xi});
        add_token_importance(out, model, importance);
      } else {
        Tensor g = grad(loss, {xi})[0];                                        // (B, L, H) or (L, H)
        if (int64_t bad = kernels::first_non_finite(g); bad >= 0)
          throw Error(concat("the head-mask gradient is not finite at layer ", (bad / heads) % layers, ", head ",
                             bad % heads, " (batch starting at example ", begin, ")"));
        std::vector<double> abs_g = abs(g).to_vector<double>();
        for (size_t k = 0; k < abs_g.size(); ++k) importance[k % (layers * heads)] += abs_g[k];
      }
    }
    if (options.progress) options.progress(end, n);
  }
  model.requires_grad_(true);
  stats.entropy = Tensor::from_vector(entropy, {layers, heads}) / static_cast<double>(stats.tokens);
  stats.importance_sum = Tensor::from_vector(importance, {layers, heads});
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

Tensor normalize_importance(const Tensor& importance_sum, int64_t tokens, const ImportanceNormalization& steps) {
  Tensor x = importance_sum.to(DType::Float64);
  if (steps.by_tokens) x = x / static_cast<double>(std::max<int64_t>(tokens, 1));
  if (steps.by_layer) x = x / (sqrt(sum(x * x, {1}, true)) + 1e-20);
  if (steps.global) {
    const double lo = -max(-x).item(), hi = max(x).item();
    if (hi > lo) x = (x - lo) / (hi - lo);  // all equal: nothing to scale
  }
  return x;
}

}  // namespace bertology

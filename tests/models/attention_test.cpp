// The fused attention kernel against the op-by-op path it replaces (models/attention.cpp): same
// context, probabilities and gradients of q, k, v and ξ, for each architecture's masks, packed
// and separate projections, one ξ for the batch or one per example.
#include <gtest/gtest.h>

#include <bertology/autograd/autograd.h>
#include <bertology/models/attention.h>
#include <bertology/tensor/kernels/kernels.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

using namespace bertology;

namespace {

constexpr int64_t B = 2, S = 5, H = 3, D = 4, E = H * D;

// max |a − b| over max |b|.
double max_relative_difference(const Tensor& a, const Tensor& b) {
  const std::vector<double> x = a.to_vector<double>(), y = b.to_vector<double>();
  EXPECT_EQ(x.size(), y.size());
  double worst = 0, scale = 1e-300;
  for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
    worst = std::max(worst, std::abs(x[i] - y[i]));
    scale = std::max(scale, std::abs(y[i]));
  }
  return worst / scale;
}

enum class Masks { BertPadding, Gpt2CausalAndPadding, OpenAiGptFuture };

AttentionSetup setup_for(Masks masks, DType dtype) {
  AttentionSetup setup;
  Tensor keys = key_padding_mask(Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 1, 0, 0}, {B, S}),
                                 dtype);  // (B, 1, 1, S): example 1 ends in two padding tokens
  switch (masks) {
    case Masks::BertPadding: setup.additive_mask = keys; break;
    case Masks::Gpt2CausalAndPadding: setup.additive_mask = causal_additive_mask(S, dtype) + keys; break;
    case Masks::OpenAiGptFuture:
      setup.future = future_positions(S);
      setup.additive_mask = keys;
      break;
  }
  return setup;
}

struct AttentionRun {
  Tensor output, probs;
  std::vector<Tensor> grads;  // of the projections, then of ξ
};

// One forward and backward of attend(); `fused` picks the path (per-head contexts force op by op).
AttentionRun run(Masks masks, bool packed, const Tensor& xi, bool fused) {
  Generator gen(5);
  Tensor qkv = Tensor::uniform({B, S, 3 * E}, -1, 1, gen, DType::Float64).requires_grad_();
  Tensor q = Tensor::uniform({B, S, E}, -1, 1, gen, DType::Float64).requires_grad_();
  Tensor k = Tensor::uniform({B, S, E}, -1, 1, gen, DType::Float64).requires_grad_();
  Tensor v = Tensor::uniform({B, S, E}, -1, 1, gen, DType::Float64).requires_grad_();
  Tensor weights = Tensor::uniform({B, S, E}, -1, 1, gen, DType::Float64);  // loss = Σ output · weights
  Tensor mask = xi.detach().requires_grad_();

  AttentionSetup setup = setup_for(masks, DType::Float64);
  setup.keep_probs = true;
  setup.probs_need_grad = !fused;
  setup.keep_contexts = !fused;
  Projections x = packed ? Projections{Tensor(), Tensor(), Tensor(), qkv} : Projections{q, k, v, Tensor()};
  AttentionResult a = attend(x, H, 1.0 / std::sqrt(static_cast<double>(D)), mask, setup);
  EXPECT_EQ(a.output.grad_fn_name() == "attention", fused) << a.output.grad_fn_name();
  std::vector<Tensor> wrt = packed ? std::vector<Tensor>{qkv, mask} : std::vector<Tensor>{q, k, v, mask};
  AttentionRun r{a.output.detach(), a.probs.detach(), grad(sum(a.output * weights), wrt)};
  return r;
}

struct Case {
  Masks masks;
  bool packed;
  bool per_example_mask;
};

class FusedAttention : public ::testing::TestWithParam<Case> {};

TEST_P(FusedAttention, MatchesTheOpByOpPath) {
  const Case c = GetParam();
  // ξ with values other than 1, and one head switched off.
  Tensor xi = c.per_example_mask ? Tensor::from_vector(std::vector<double>{1.0, 0.0, 0.5, 2.0, 1.0, 0.25}, {B, H, 1, 1})
                                 : Tensor::from_vector(std::vector<double>{1.0, 0.0, 0.5}, {1, H, 1, 1});
  AttentionRun fused = run(c.masks, c.packed, xi, true), reference = run(c.masks, c.packed, xi, false);
  EXPECT_LT(max_relative_difference(fused.output, reference.output), 1e-13);
  EXPECT_LT(max_relative_difference(fused.probs, reference.probs), 1e-13);
  ASSERT_EQ(fused.grads.size(), reference.grads.size());
  for (size_t i = 0; i < fused.grads.size(); ++i) {
    EXPECT_EQ(fused.grads[i].sizes(), reference.grads[i].sizes()) << "gradient " << i;
    EXPECT_LT(max_relative_difference(fused.grads[i], reference.grads[i]), 1e-13) << "gradient " << i;
  }
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  static const std::vector<std::string> masks{"BertPadding", "Gpt2Causal", "OpenAiGptFuture"};
  return masks[static_cast<int>(info.param.masks)] + (info.param.packed ? "_Packed" : "_Separate") +
         (info.param.per_example_mask ? "_MaskPerExample" : "_MaskPerBatch");
}

INSTANTIATE_TEST_SUITE_P(Masks, FusedAttention,
                         ::testing::Values(Case{Masks::BertPadding, false, false}, Case{Masks::BertPadding, false, true},
                                           Case{Masks::Gpt2CausalAndPadding, true, false},
                                           Case{Masks::Gpt2CausalAndPadding, true, true},
                                           Case{Masks::OpenAiGptFuture, true, false}),
                         case_name);

// The forward is the op-by-op path's arithmetic step by step (q scaled by the same kernel, the
// same products, the same softmax row), so in float32 the context and the probabilities are the
// same bits, for every architecture's masks, with ξ other than 1 and a head switched off.
TEST(FusedAttention, Float32ForwardIsTheOpByOpPathToTheBit) {
  for (Masks masks : {Masks::BertPadding, Masks::Gpt2CausalAndPadding, Masks::OpenAiGptFuture})
    for (bool packed : {false, true}) {
      Generator gen(13);
      const Tensor qkv = Tensor::uniform({B, S, 3 * E}, -3, 3, gen);
      const Tensor q = qkv.narrow(2, 0, E).contiguous(), k = qkv.narrow(2, E, E).contiguous(),
                   v = qkv.narrow(2, 2 * E, E).contiguous();
      const Tensor xi = Tensor::from_vector(std::vector<float>{1.0f, 0.0f, 0.75f}, {1, H, 1, 1});
      const Projections x = packed ? Projections{Tensor(), Tensor(), Tensor(), qkv} : Projections{q, k, v, Tensor()};
      std::vector<Tensor> outputs, probs;
      for (bool fused : {true, false}) {
        AttentionSetup setup = setup_for(masks, DType::Float32);
        setup.keep_probs = true;
        setup.keep_contexts = !fused;  // per-head contexts force the op-by-op path
        NoGradGuard values_only;
        const AttentionResult a = attend(x, H, 1.0 / std::sqrt(static_cast<double>(D)), xi, setup);
        outputs.push_back(a.output.contiguous());
        probs.push_back(a.probs.contiguous());
      }
      const std::string where = std::string(packed ? "packed" : "separate") + " q|k|v, masks " +
                                std::to_string(static_cast<int>(masks));
      EXPECT_EQ(outputs[0].to_vector<float>(), outputs[1].to_vector<float>()) << where;
      EXPECT_EQ(probs[0].to_vector<float>(), probs[1].to_vector<float>()) << where;
    }
}

// Float32 repeats bit for bit (the per-head ∂ξ shares are summed in a fixed order).
TEST(FusedAttention, Float32IsBitwiseRepeatable) {
  auto once = [] {
    Generator gen(11);
    Tensor qkv = Tensor::uniform({B, S, 3 * E}, -1, 1, gen).requires_grad_();
    Tensor xi = Tensor::ones({1, H, 1, 1}).requires_grad_();
    AttentionSetup setup = setup_for(Masks::Gpt2CausalAndPadding, DType::Float32);
    AttentionResult a = attend(Projections{Tensor(), Tensor(), Tensor(), qkv}, H, 0.5, xi, setup);
    std::vector<Tensor> g = grad(sum(a.output * a.output), {qkv, xi});
    std::vector<float> bits = a.output.detach().to_vector<float>();
    for (const Tensor& t : g)
      for (float f : t.to_vector<float>()) bits.push_back(f);
    return bits;
  };
  const std::vector<float> first = once();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(once(), first);
}

}  // namespace

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Bad arguments to the fused op get one clear line, not a crash.
TEST(FusedAttention, RejectsBadArguments) {
  Tensor q = Tensor::zeros({B, S, E}), k = Tensor::zeros({B, S, E}), v = Tensor::zeros({B, S, E});
  auto has = [](const std::string& message, const char* part) { return message.find(part) != std::string::npos; };
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, 0, 1.0, Tensor(), Tensor(), Tensor()); }), "at least one head"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, 5, 1.0, Tensor(), Tensor(), Tensor()); }), "not a multiple of 5"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, Tensor::zeros({B, S + 1, E})}, H, 1.0, Tensor(), Tensor(), Tensor()); }),
                  "must be (B, S, H·D)"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k}, H, 1.0, Tensor(), Tensor(), Tensor()); }), "{q, k, v}"));
  EXPECT_TRUE(has(error_of([&] { attention({Tensor::zeros({B, S, E + 1})}, H, 1.0, Tensor(), Tensor(), Tensor()); }),
                  "packed q|k|v"));
  const Tensor mask64 = Tensor::zeros({B, 1, 1, S}, DType::Float64);
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor(), mask64, Tensor()); }), "additive mask is float64"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor(), Tensor::zeros({B, 1, 2, S}), Tensor()); }),
                  "does not broadcast"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor::ones({3, H, 1, 1}), Tensor(), Tensor()); }),
                  "head mask"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor(), Tensor(), future_positions(S + 1)); }),
                  "future must be Bool"));
  // ξ is checked by shape, not only by count: (H, B) and a (1, H, 2, 1) hold B·H values too.
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor::ones({H, B}), Tensor(), Tensor()); }),
                  "head mask"));
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor::ones({1, H, 2, 1}), Tensor(), Tensor()); }),
                  "head mask"));
  const Tensor none = Tensor::zeros({B, S, 0});
  EXPECT_TRUE(has(error_of([&] { attention({none, none, none}, 1, 1.0, Tensor(), Tensor(), Tensor()); }),
                  "head size 0"));
  // A mask that wants a gradient would silently get none from the fused op: refused.
  const Tensor learnable = Tensor::zeros({1, H, S, S}).requires_grad_();
  EXPECT_TRUE(has(error_of([&] { attention({q, k, v}, H, 1.0, Tensor(), learnable, Tensor()); }),
                  "treats masks as constants"));
  // The backward kernel checks what it is handed before reading it.
  Tensor probs;
  kernels::attention_forward(q, k, v, H, 1.0, Tensor(), Tensor(), Tensor(), probs);
  Tensor dq = Tensor::zeros({B, S, E}), dxi;
  kernels::AttentionGradOutputs wants_dq;
  wants_dq.dq = &dq;
  EXPECT_TRUE(has(error_of([&] {
                    kernels::attention_backward(Tensor::zeros({B, S - 1, E}), q, k, v, H, 1.0, Tensor(), Tensor(),
                                                probs, wants_dq);
                  }),
                  "output's gradient"));
  EXPECT_TRUE(has(error_of([&] {
                    kernels::attention_backward(Tensor::zeros({B, S, E}), q, k, v, H, 1.0, Tensor(), Tensor(),
                                                probs.narrow(3, 0, S - 1), wants_dq);
                  }),
                  "probabilities"));
  kernels::AttentionGradOutputs wants_dxi;
  wants_dxi.dhead_mask = &dxi;
  EXPECT_TRUE(has(error_of([&] {
                    kernels::attention_backward(Tensor::zeros({B, S, E}), q, k, v, H, 1.0, Tensor(), Tensor(), probs,
                                                wants_dxi);
                  }),
                  "no head mask"));
}

// The fused path against the op-by-op path when only some inputs want a gradient (in the importance
// pass only ξ does in the first layer), at other sizes (one example, one token) and in float32.
struct PartialCase {
  std::string name;
  int64_t batch, seq;
  DType dtype;
  std::vector<bool> wants;  // q, k, v, ξ
};

std::vector<Tensor> fused_or_not(const PartialCase& c, bool fused, Tensor* output) {
  Generator gen(9);
  std::vector<Tensor> in;  // q, k, v (B, S, E), ξ (B, H, 1, 1)
  for (int i = 0; i < 3; ++i) in.push_back(Tensor::uniform({c.batch, c.seq, E}, -1, 1, gen, c.dtype));
  in.push_back(Tensor::uniform({c.batch, H, 1, 1}, 0, 2, gen, c.dtype));
  const Tensor weights = Tensor::uniform({c.batch, c.seq, E}, -1, 1, gen, c.dtype);  // loss = Σ output · weights
  std::vector<Tensor> wrt;
  for (size_t i = 0; i < in.size(); ++i)
    if (c.wants[i]) wrt.push_back(in[i].requires_grad_());
  AttentionSetup setup;
  setup.additive_mask = causal_additive_mask(c.seq, c.dtype);
  setup.keep_contexts = !fused;  // per-head contexts force the op-by-op path
  AttentionResult a = attend(Projections{in[0], in[1], in[2], Tensor()}, H, 0.5, in[3], setup);
  EXPECT_EQ(a.output.grad_fn_name() == "attention", fused) << a.output.grad_fn_name();
  *output = a.output.detach();
  return grad(sum(a.output * weights), wrt);
}

class FusedAttentionPartial : public ::testing::TestWithParam<PartialCase> {};

TEST_P(FusedAttentionPartial, MatchesTheOpByOpPath) {
  const PartialCase c = GetParam();
  const double tolerance = c.dtype == DType::Float64 ? 1e-13 : 1e-5;
  Tensor fused_out, reference_out;
  const std::vector<Tensor> fused = fused_or_not(c, true, &fused_out);
  const std::vector<Tensor> reference = fused_or_not(c, false, &reference_out);
  EXPECT_LT(max_relative_difference(fused_out, reference_out), tolerance);
  ASSERT_EQ(fused.size(), reference.size());
  for (size_t i = 0; i < fused.size(); ++i) {
    EXPECT_EQ(fused[i].sizes(), reference[i].sizes()) << "gradient " << i;
    EXPECT_LT(max_relative_difference(fused[i], reference[i]), tolerance) << "gradient " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Wants, FusedAttentionPartial,
    ::testing::Values(PartialCase{"OnlyHeadMask", B, S, DType::Float64, {false, false, false, true}},
                      PartialCase{"OnlyValues", B, S, DType::Float64, {false, false, true, false}},
                      PartialCase{"QueriesAndKeys", B, S, DType::Float64, {true, true, false, false}},
                      PartialCase{"OneExampleOneToken", 1, 1, DType::Float64, {true, true, true, true}},
                      PartialCase{"Float32", B, S, DType::Float32, {true, true, true, true}}),
    [](const ::testing::TestParamInfo<PartialCase>& info) { return info.param.name; });

// An empty sequence gives empty outputs and a zero ∂ξ, not a BLAS error.
TEST(FusedAttention, EmptySequence) {
  Tensor q = Tensor::zeros({B, 0, E}).requires_grad_(), xi = Tensor::ones({1, H, 1, 1}).requires_grad_();
  Tensor probs;
  Tensor out = attention({q, q, q}, H, 1.0, xi, Tensor(), Tensor(), &probs);
  EXPECT_EQ(out.sizes(), (Shape{B, 0, E}));
  EXPECT_EQ(probs.sizes(), (Shape{B, H, 0, 0}));
  std::vector<Tensor> g = grad(sum(out), {xi});
  EXPECT_EQ(g[0].to_vector<float>(), std::vector<float>(H, 0.0f));
}

}  // namespace

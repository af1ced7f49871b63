// Model behaviour beyond the fixtures' eval-mode float32 runs: train mode (dropout), float64
// compute, GPT's last-non-pad-token classifier, the multi-label loss, and parameter handling.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/models/heads.h>
#include <bertology/models/load_model.h>
#include <bertology/tensor/kernels/kernels.h>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

TEST(ModelModes, EvalByDefaultTrainModeDropsOut) {
  auto model = load_model(fixture("bert_small/model"));
  const StateDict expected = expected_outputs("bert_small");
  const ModelInputs inputs = fixture_inputs(expected);
  EXPECT_FALSE(model->is_training());
  model->train();
  model->generator().seed(1);
  const Tensor first = model->forward(inputs).logits;
  model->generator().seed(1);
  const Tensor again = model->forward(inputs).logits;
  EXPECT_EQ(first.to_vector<float>(), again.to_vector<float>());  // seeded: reproducible
  EXPECT_GT(relative_error(first, expected.at("logits")), 1e-3);  // and different from eval
  model->eval();
  EXPECT_LT(relative_error(model->forward(inputs).logits, expected.at("logits")), 1e-5);
}

// Every op also runs in float64: the model then matches the float64 reference far more closely.
TEST(ModelModes, Float64Compute) {
  for (const char* family : {"bert_small", "gpt2_lm", "openai_gpt_lm"}) {
    auto model = load_model(fixture(std::string(family) + "/model"));
    model->to(DType::Float64);
    EXPECT_EQ(model->dtype(), DType::Float64);
    const StateDict expected = expected_outputs(family);
    ModelInputs in = fixture_inputs(expected);
    in.head_mask = Tensor::ones({model->num_layers(), model->num_heads()}, DType::Float64).requires_grad_();
    ModelOutput out = model->forward(in);
    EXPECT_EQ(out.logits.dtype(), DType::Float64);
    EXPECT_LT(relative_error(out.logits, expected.at("logits")), 1e-10) << family;
    // GPT losses in the reference were computed in float32 (HF upcasts logits to float32).
    EXPECT_LT(relative_error(out.loss, expected.at("loss")), 1e-6) << family;
    EXPECT_LT(relative_error(grad(out.loss, {in.head_mask})[0], expected.at("head_mask_grad")), 1e-6)
        << family;
  }
}

// A head mask of shape (H) is the same mask in every layer: its gradient sums the layers'.
TEST(ModelModes, OneMaskForEveryLayer) {
  auto model = load_model(fixture("gpt2_lm/model"));
  model->requires_grad_(false);
  const StateDict expected = expected_outputs("gpt2_lm");
  ModelInputs in = fixture_inputs(expected);
  in.head_mask = Tensor::ones({4}).requires_grad_();
  const Tensor g = grad(model->forward(in).loss, {in.head_mask})[0];
  EXPECT_LT(relative_error(g, sum(expected.at("head_mask_grad"), {0})), 1e-4);
}

// GPT-2's classifier reads the last token that is not pad_token_id (129 in gpt2_lm).
TEST(GPTSequenceClassification, ScoresTheLastNonPadToken) {
  LoadOptions options;
  options.architecture = "GPT2ForSequenceClassification";
  options.init_missing_head = true;
  options.num_labels = 3;
  auto model = load_model(fixture("gpt2_lm/model"), options);
  EXPECT_EQ(model->source().initialized_keys, std::vector<std::string>{"score.weight"});
  const StateDict expected = expected_outputs("gpt2_lm");
  ModelInputs in = fixture_inputs(expected);
  in.labels = Tensor::from_vector(std::vector<int64_t>{2, 0}, {2});
  ModelOutput out = model->forward(in);
  ASSERT_EQ(out.logits.sizes(), (Shape{2, 3}));
  const Tensor hidden = expected.at("hidden.3");          // (B, S, E), after ln_f
  const Tensor score = model->parameter("score.weight");  // (C, E)
  const int64_t last[] = {8, 5};                          // row 1 is padded from position 6
  for (int64_t b = 0; b < 2; ++b) {
    Tensor h = hidden.select(0, b).select(0, last[b]).to(DType::Float32);  // (E)
    EXPECT_LT(relative_error(out.logits.select(0, b), matmul(score, h)), 1e-5) << b;
  }
  EXPECT_LT(relative_error(out.loss, cross_entropy(out.logits, in.labels)), 1e-6);
}

TEST(Losses, MultiLabelIsBinaryCrossEntropyWithLogits) {
  ModelConfig config =
      parse_config(R"({"model_type": "bert", "problem_type": "multi_label_classification"})");
  const Tensor logits = Tensor::from_vector(std::vector<float>{2.0f, -1.0f, 0.5f, 30.0f}, {2, 2});
  const Tensor labels = Tensor::from_vector(std::vector<float>{1.0f, 0.0f, 0.0f, 1.0f}, {2, 2});
  const double x[] = {2.0, -1.0, 0.5, 30.0}, y[] = {1, 0, 0, 1};
  double expected = 0;
  for (int i = 0; i < 4; ++i) {
    const double p = 1.0 / (1.0 + std::exp(-x[i]));
    expected -= (y[i] * std::log(p) + (1 - y[i]) * std::log(1 - p)) / 4.0;
  }
  EXPECT_NEAR(sequence_classification_loss(logits, labels, config).item(), expected, 1e-6);
  // Without a problem type HF guesses from the labels: int64 -> single-label cross-entropy.
  config.problem_type = "";
  const Tensor classes = Tensor::from_vector(std::vector<int64_t>{0, 1}, {2});
  EXPECT_NEAR(sequence_classification_loss(logits, classes, config).item(),
              cross_entropy(logits, classes).item(), 1e-7);
}

TEST(Parameters, NamedOnceAsLeavesThatRequireGrad) {
  auto model = load_model(fixture("bert_mlm/model"));
  auto params = model->named_parameters();
  const StateDict file = read_safetensors(fixture("bert_mlm/model/model.safetensors")).tensors;
  EXPECT_EQ(params.size(), file.size());  // the tied decoder is the word embedding, listed once
  for (auto& [name, p] : params) {
    EXPECT_TRUE(file.count(name)) << name;
    EXPECT_TRUE(p.is_leaf() && p.requires_grad()) << name;
  }
  model->requires_grad_(false);
  for (auto& [name, p] : model->named_parameters()) EXPECT_FALSE(p.requires_grad()) << name;
  EXPECT_NE(error_of([&] { model->parameter("cls.predictions.decoder.weight"); }).find("no parameter"),
            std::string::npos);
}

// Asking only for the head mask's gradient runs no weight-gradient product: the pass costs
// about a forward's worth of GEMMs, not twice that.
TEST(Parameters, HeadMaskGradientSkipsWeightGradients) {
  auto model = load_model(fixture("bert_small/model"));
  const ModelInputs base = fixture_inputs(expected_outputs("bert_small"));
  auto gemms_of_backward = [&](bool weights) {
    ModelInputs in = base;
    in.head_mask = Tensor::ones({3, 4}).requires_grad_();
    ModelOutput out = model->forward(in);
    std::vector<Tensor> wanted{in.head_mask};
    if (weights)
      for (auto& [name, p] : model->named_parameters()) wanted.push_back(p);
    const int64_t before = kernels::gemm_calls();
    grad(out.loss, wanted);
    return kernels::gemm_calls() - before;
  };
  const int64_t mask_only = gemms_of_backward(false), everything = gemms_of_backward(true);
  EXPECT_GE(everything - mask_only, 20);  // one dW product per weight matrix (3 × 6 + pooler + classifier)
}

}  // namespace
}  // namespace bertology

namespace bertology {
namespace {

using namespace model_testing;

// The masked-LM head run only at labelled positions gives the fixture's loss and the same
// gradients as the head over every position.
TEST(ModelModes, MaskedLmLogitsOnlyWhereLabelled) {
  const StateDict expected = expected_outputs("bert_mlm");
  const ModelInputs inputs = fixture_inputs(expected);
  ASSERT_TRUE(inputs.labels.defined());
  auto full = load_model(fixture("bert_mlm/model"));
  auto sparse = load_model(fixture("bert_mlm/model"));
  ForwardOptions only_labelled;
  only_labelled.logits_only_where_labelled = true;
  ModelOutput a = full->forward(inputs), b = sparse->forward(inputs, only_labelled);
  int64_t labelled = 0;
  for (int64_t label : inputs.labels.to_vector<int64_t>()) labelled += label != -100;
  EXPECT_EQ(b.logits.sizes(), (Shape{labelled, full->config().vocab_size}));
  EXPECT_LT(relative_error(b.loss, expected.at("loss")), 1e-5);
  EXPECT_NEAR(a.loss.item(), b.loss.item(), 1e-6);
  a.loss.backward();
  b.loss.backward();
  auto pa = full->named_parameters(), pb = sparse->named_parameters();
  for (size_t i = 0; i < pa.size(); ++i) {
    ASSERT_EQ(pa[i].second.grad().defined(), pb[i].second.grad().defined()) << pa[i].first;
    if (!pa[i].second.grad().defined()) continue;
    // Absolute scale: some gradients are zero up to rounding (a key bias cannot change softmax).
    const Tensor& ga = pa[i].second.grad();
    const double diff = max(abs(pb[i].second.grad() - ga)).item(), scale = max(abs(ga)).item();
    EXPECT_LT(diff, 1e-5 * (1e-2 + scale)) << pa[i].first;
  }
}

}  // namespace
}  // namespace bertology

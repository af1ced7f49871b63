// Every fixture model and checkpoint variant against HF transformers' float64 reference:
// hidden states, attentions, logits, loss, every parameter gradient and the head-mask gradients.
#include <bertology/autograd/graph.h>
#include <bertology/models/load_model.h>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

struct Variant {
  const char* family;    // fixture folder
  const char* folder;    // checkpoint variant
  double forward_tol;    // relative, hidden states / attentions / logits / loss
  double grad_tol;       // relative, gradients (parameter and head mask)
};

std::ostream& operator<<(std::ostream& out, const Variant& v) { return out << v.family << "/" << v.folder; }

// float32 checkpoints reproduce the float64 reference to float32 rounding; half-precision
// checkpoints carry their weights' rounding (F16: 11 significant bits, BF16: 8).
const Variant kVariants[] = {
    {"bert_small", "model", 1e-5, 1e-4},
    {"bert_small", "model_sharded", 1e-5, 1e-4},
    {"bert_small", "model_bin", 1e-5, 1e-4},
    {"bert_small", "model_bin_legacy", 1e-5, 1e-4},
    {"bert_small", "model_fp16", 3e-3, 1e-2},
    {"bert_small", "model_bf16", 3e-2, 8e-2},
    {"bert_mlm", "model", 1e-5, 1e-4},
    {"bert_regression", "model", 1e-5, 1e-4},
    {"gpt2_lm", "model", 1e-5, 1e-4},
    {"gpt2_lm", "model_sharded", 1e-5, 1e-4},
    {"gpt2_lm", "model_bin", 1e-5, 1e-4},
    {"gpt2_lm", "model_fp16", 3e-3, 1e-2},
    {"gpt2_lm", "model_bf16", 3e-2, 8e-2},
    {"openai_gpt_lm", "model", 1e-5, 1e-4},
    {"openai_gpt_lm", "model_sharded", 1e-5, 1e-4},
    {"openai_gpt_lm", "model_bin", 1e-5, 1e-4},
    {"openai_gpt_lm", "model_fp16", 3e-3, 1e-2},
    {"openai_gpt_lm", "model_bf16", 3e-2, 8e-2},
};

class Parity : public ::testing::TestWithParam<Variant> {
 protected:
  void SetUp() override {
    model_ = load_model(fixture(std::string(GetParam().family) + "/" + GetParam().folder));
    model_->to(test_device());
    expected_ = expected_outputs(GetParam().family);
    inputs_ = fixture_inputs(expected_);
  }
  const Tensor& ref(const std::string& key) const {
    auto it = expected_.find(key);
    if (it == expected_.end()) throw Error(concat("expected.safetensors has no '", key, "'"));
    return it->second;
  }
  // ∂loss/∂ξ at ξ = `mask` (requires grad), the weights' gradients not computed.
  Tensor head_mask_gradient(const ModelInputs& in, const Tensor& mask, Tensor* loss = nullptr) {
    ModelInputs with_mask = in;
    with_mask.head_mask = mask;
    ModelOutput out = model_->forward(with_mask);
    if (loss) *loss = out.loss;
    return grad(out.loss, {mask})[0];
  }
  Tensor ones_mask(const Shape& shape) { return Tensor::ones(shape).requires_grad_(); }

  std::unique_ptr<PreTrainedModel> model_;
  StateDict expected_;
  ModelInputs inputs_;
};

TEST_P(Parity, HiddenStatesAttentionsLogitsAndLoss) {
  const double tol = GetParam().forward_tol;
  ForwardOptions options;
  options.output_hidden_states = options.output_attentions = true;
  ModelOutput out = model_->forward(inputs_, options);
  const int64_t L = model_->num_layers();
  ASSERT_EQ(static_cast<int64_t>(out.hidden_states.size()), L + 1);
  ASSERT_EQ(static_cast<int64_t>(out.attentions.size()), L);
  for (int64_t i = 0; i <= L; ++i) {
    EXPECT_EQ(out.hidden_states[i].sizes(), ref(concat("hidden.", i)).sizes());
    EXPECT_LT(relative_error(out.hidden_states[i], ref(concat("hidden.", i))), tol) << "hidden." << i;
  }
  for (int64_t i = 0; i < L; ++i) {
    EXPECT_EQ(out.attentions[i].sizes(), ref(concat("attn.", i)).sizes());
    EXPECT_LT(relative_error(out.attentions[i], ref(concat("attn.", i))), tol) << "attn." << i;
  }
  EXPECT_EQ(out.logits.sizes(), ref("logits").sizes());
  EXPECT_LT(relative_error(out.logits, ref("logits")), tol);
  EXPECT_LT(relative_error(out.loss, ref("loss")), tol);
  // The same with an all-ones head mask.
  ModelInputs with_ones = inputs_;
  with_ones.head_mask = Tensor::ones({L, model_->num_heads()});
  EXPECT_LT(relative_error(model_->forward(with_ones).logits, ref("logits_ones_mask")), tol);
}

TEST_P(Parity, EveryParameterGradient) {
  ModelOutput out = model_->forward(inputs_);
  out.loss.backward();
  std::set<std::string> expected_names;
  double largest = 0;  // the largest reference gradient norm, the scale for the exact zeros
  for (const auto& [key, tensor] : expected_)
    if (key.rfind("grad.", 0) == 0) {
      expected_names.insert(key.substr(5));
      largest = std::max(largest, norm(tensor));
    }
  std::set<std::string> ours;
  for (auto& [name, p] : model_->named_parameters()) {
    ours.insert(name);
    ASSERT_TRUE(p.grad().defined()) << name;
    const Tensor& r = ref("grad." + name);
    EXPECT_EQ(p.grad().sizes(), r.sizes()) << name;
    if (norm(r) < 1e-12 * largest)  // exactly zero in exact arithmetic (BERT's key bias): absolute bound
      EXPECT_LT(norm(p.grad()), 1e-6 * largest) << "grad." << name;
    else
      EXPECT_LT(relative_error(p.grad(), r), GetParam().grad_tol) << "grad." << name;
  }
  EXPECT_EQ(ours, expected_names);  // tied weights once, nothing missing, nothing extra
}

TEST_P(Parity, HeadMaskGradients) {
  const double tol = GetParam().grad_tol;
  const int64_t B = inputs_.input_ids.size(0), L = model_->num_layers(), H = model_->num_heads();
  model_->requires_grad_(false);  // importance passes ask for the mask's gradient only

  EXPECT_LT(relative_error(head_mask_gradient(inputs_, ones_mask({L, H})), ref("head_mask_grad")), tol);

  // One mask per example: one backward gives every example's gradient of the batch-mean loss.
  Tensor per_example = head_mask_gradient(inputs_, ones_mask({B, L, H}));
  EXPECT_EQ(per_example.sizes(), (Shape{B, L, H}));
  EXPECT_LT(relative_error(per_example, ref("head_mask_grad_per_example")), tol);

  for (int64_t b = 0; b < B; ++b) {  // each example alone, its own loss
    Tensor loss;
    Tensor g = head_mask_gradient(single_example(inputs_, b), ones_mask({L, H}), &loss);
    EXPECT_LT(relative_error(g, ref(concat("head_mask_grad_single.", b))), tol) << "example " << b;
    EXPECT_LT(relative_error(loss, ref(concat("loss_single.", b))), GetParam().forward_tol)
        << "example " << b;
  }

  // At the partial mask (zeros = the heads model_pruned removed).
  Tensor mask = ref("mask").to(DType::Float32).detach().requires_grad_();
  ModelInputs masked = inputs_;
  masked.head_mask = mask;
  ForwardOptions options;
  options.output_hidden_states = true;
  ModelOutput out = model_->forward(masked, options);
  EXPECT_LT(relative_error(out.logits, ref("logits_masked")), GetParam().forward_tol);
  EXPECT_LT(relative_error(out.loss, ref("loss_masked")), GetParam().forward_tol);
  for (int64_t i = 0; i <= L; ++i)
    EXPECT_LT(relative_error(out.hidden_states[i], ref(concat("hidden_masked.", i))), GetParam().forward_tol)
        << "hidden_masked." << i;
  EXPECT_LT(relative_error(grad(out.loss, {mask})[0], ref("head_mask_grad_masked")), tol);
}

// SPEC section 2: the per-head contexts and their gradients are reachable, and
// ∂loss/∂ξ_h = Σ_{b,t} ⟨ctx_h(t), ∂loss/∂ctx_h(t)⟩.
TEST_P(Parity, ContextGradientsGiveHeadMaskGradient) {
  const int64_t L = model_->num_layers(), H = model_->num_heads();
  model_->requires_grad_(false);
  ModelInputs in = inputs_;
  in.head_mask = ones_mask({L, H});
  ForwardOptions options;
  options.output_contexts = true;
  ModelOutput out = model_->forward(in, options);
  ASSERT_EQ(static_cast<int64_t>(out.contexts.size()), L);
  for (const Tensor& ctx : out.contexts) {
    EXPECT_EQ(ctx.sizes(),
              (Shape{in.input_ids.size(0), H, in.input_ids.size(1), model_->config().head_size()}));
    ctx.retain_grad();
  }
  out.loss.backward({}, {in.head_mask});
  std::vector<double> from_contexts;
  for (const Tensor& ctx : out.contexts) {
    ASSERT_TRUE(ctx.grad().defined());
    Tensor per_head = sum(ctx.detach() * ctx.grad(), {0, 2, 3});  // (H)
    for (double v : per_head.to_vector<double>()) from_contexts.push_back(v);
  }
  EXPECT_LT(relative_error(Tensor::from_vector(from_contexts, {L, H}), ref("head_mask_grad")),
            GetParam().grad_tol);
  EXPECT_LT(relative_error(in.head_mask.grad(), ref("head_mask_grad")), GetParam().grad_tol);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, Parity, ::testing::ValuesIn(kVariants), [](const auto& info) {
  return std::string(info.param.family) + "_" + info.param.folder;
});

// BertModel's pooler, and a base model loaded from a head model's checkpoint (prefix "bert.").
TEST(BertPooler, MatchesReferenceFromHeadCheckpoint) {
  const StateDict pooler = read_safetensors(fixture("bert_small/expected_pooler.safetensors"), false).tensors;
  const StateDict expected = expected_outputs("bert_small");
  LoadOptions options;
  options.architecture = "BertModel";
  auto model = load_model(fixture("bert_small/model"), options);
  EXPECT_EQ(model->class_name(), "BertModel");
  ModelOutput out = model->forward(fixture_inputs(expected));
  EXPECT_LT(relative_error(out.pooler_output, pooler.at("pooler_output")), 1e-5);
  EXPECT_LT(relative_error(out.last_hidden_state, expected.at("hidden.3")), 1e-5);
  EXPECT_EQ(model->source().unexpected_keys,
            (std::vector<std::string>{"classifier.bias", "classifier.weight"}));
}

}  // namespace
}  // namespace bertology

// Head pruning with HF semantics: pruned checkpoints equal the masked model, pruning then saving
// reproduces the fixtures' model_pruned, every head of a layer, the same layer twice, and
// save_pretrained's guarantees (dtype kept, tied weights once, never over the source folder).
#include <bertology/autograd/graph.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/load_model.h>

#include <filesystem>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

const char* const kFamilies[] = {"bert_small", "bert_mlm", "bert_regression", "gpt2_lm", "openai_gpt_lm"};

// Logits of `model` with head mask `mask` (L, H).
Tensor masked_logits(PreTrainedModel& model, const ModelInputs& inputs, const Tensor& mask) {
  ModelInputs in = inputs;
  in.head_mask = mask;
  NoGradGuard no_grad;
  return model.forward(in).logits;
}

// An (L, H) mask of ones with zeros at `heads`.
Tensor mask_without(const PreTrainedModel& model, const std::map<int64_t, std::vector<int64_t>>& heads) {
  Tensor mask = Tensor::ones({model.num_layers(), model.num_heads()});
  for (const auto& [layer, list] : heads)
    for (int64_t h : list) mask.data<float>()[layer * model.num_heads() + h] = 0.0f;
  return mask;
}

class PrunedFixture : public ::testing::TestWithParam<const char*> {};

// model_pruned (sliced weights, pruned_heads in config.json) computes what the full model does
// with those heads masked, and its head-mask gradient at the remaining heads is the same too.
TEST_P(PrunedFixture, PrunedCheckpointEqualsMaskedModel) {
  const std::string family = GetParam();
  auto model = load_model(fixture(family + "/model_pruned"));
  const StateDict expected = expected_outputs(family);
  const ModelInputs inputs = fixture_inputs(expected);
  for (const auto& [layer, heads] : meta_pruned_heads(family)) {
    EXPECT_EQ(model->config().pruned_heads.at(layer), std::set<int64_t>(heads.begin(), heads.end()));
    for (int64_t h : heads)
      EXPECT_EQ(std::count(model->kept_heads(layer).begin(), model->kept_heads(layer).end(), h), 0);
  }
  ForwardOptions options;
  options.output_hidden_states = true;
  model->requires_grad_(false);
  ModelInputs in = inputs;
  in.head_mask = Tensor::ones({model->num_layers(), model->num_heads()}).requires_grad_();
  ModelOutput out = model->forward(in, options);
  EXPECT_LT(relative_error(out.logits, expected.at("logits_masked")), 1e-5);
  EXPECT_LT(relative_error(out.loss, expected.at("loss_masked")), 1e-5);
  for (size_t i = 0; i < out.hidden_states.size(); ++i)
    EXPECT_LT(relative_error(out.hidden_states[i], expected.at(concat("hidden_masked.", i))), 1e-5) << i;
  // A pruned head has no gradient; every remaining head has the masked model's.
  const Tensor g = grad(out.loss, {in.head_mask})[0];
  const Tensor masked_grad = expected.at("head_mask_grad_masked");
  const Tensor mask = expected.at("mask");
  std::vector<double> ours, ref;
  for (int64_t l = 0; l < model->num_layers(); ++l)
    for (int64_t h = 0; h < model->num_heads(); ++h) {
      if (mask.at({l, h}) == 0.0) {
        EXPECT_EQ(g.at({l, h}), 0.0) << "pruned head " << l << ":" << h;
        continue;
      }
      ours.push_back(g.at({l, h}));
      ref.push_back(masked_grad.at({l, h}));
    }
  const int64_t n = static_cast<int64_t>(ours.size());
  EXPECT_LT(relative_error(Tensor::from_vector(ours, {n}), Tensor::from_vector(ref, {n})), 1e-4);
}

// Pruning in the library and saving writes exactly the fixture's model_pruned tensors (on the
// GPU machine the model is pruned on the GPU and saved from there).
TEST_P(PrunedFixture, PruneThenSaveReproducesFixture) {
  const std::string family = GetParam();
  auto model = load_model(fixture(family + "/model"));
  model->to(test_device());
  model->prune_heads(meta_pruned_heads(family));
  TempDir dir;
  const std::string saved = dir.file("pruned");
  model->save_pretrained(saved);

  const SafetensorsFile ours = read_safetensors(saved + "/model.safetensors", false);
  const SafetensorsFile ref = read_safetensors(fixture(family + "/model_pruned/model.safetensors"), false);
  ASSERT_EQ(ours.tensors.size(), ref.tensors.size());
  for (const auto& [name, tensor] : ref.tensors) {
    ASSERT_TRUE(ours.tensors.count(name)) << name;
    const Tensor& mine = ours.tensors.at(name);
    EXPECT_EQ(ours.dtypes.at(name), ref.dtypes.at(name)) << name;
    EXPECT_EQ(mine.sizes(), tensor.sizes()) << name;
    EXPECT_EQ(mine.to_vector<float>(), tensor.to_vector<float>()) << name;  // bit-for-bit
  }
  const ModelConfig config = load_config(saved + "/config.json");
  EXPECT_EQ(config.pruned_heads, load_config(fixture(family + "/model_pruned/config.json")).pruned_heads);
  EXPECT_EQ(config.architectures, std::vector<std::string>{model->class_name()});

  // And the saved folder loads back with the pruned shapes and the same outputs.
  auto reloaded = load_model(saved);
  const ModelInputs inputs = fixture_inputs(expected_outputs(family));
  EXPECT_LT(relative_error(reloaded->forward(inputs).logits, expected_outputs(family).at("logits_masked")),
            1e-5);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, PrunedFixture, ::testing::ValuesIn(kFamilies));

class PruneFamily : public ::testing::TestWithParam<const char*> {};

// Every head of a layer: the attention block then adds only its output bias (HF divides by zero).
TEST_P(PruneFamily, EveryHeadOfALayer) {
  const std::string family = GetParam();
  auto model = load_model(fixture(family + "/model"));
  const ModelInputs inputs = fixture_inputs(expected_outputs(family));
  const std::map<int64_t, std::vector<int64_t>> heads = {{1, {0, 1, 2, 3}}};
  const Tensor reference = masked_logits(*model, inputs, mask_without(*model, heads));
  model->prune_heads(heads);
  EXPECT_TRUE(model->kept_heads(1).empty());
  ForwardOptions options;
  options.output_attentions = options.output_contexts = true;
  ModelOutput out = model->forward(inputs, options);
  EXPECT_LT(relative_error(out.logits, reference), 1e-5);
  EXPECT_EQ(out.attentions[1].size(1), 0);
  EXPECT_EQ(out.contexts[1].size(1), 0);
  // The gradient still reaches everything below the empty layer.
  out.loss.backward();
  EXPECT_TRUE(model->named_parameters().front().second.grad().defined());
}

// Pruning the same layer twice uses original head numbers and skips heads already gone; the
// result equals pruning once.
TEST_P(PruneFamily, SameLayerTwice) {
  const std::string family = GetParam();
  auto twice = load_model(fixture(family + "/model"));
  auto once = load_model(fixture(family + "/model"));
  const ModelInputs inputs = fixture_inputs(expected_outputs(family));
  const Tensor reference = masked_logits(*once, inputs, mask_without(*once, {{0, {1, 3}}}));
  twice->prune_heads({{0, {1}}});
  twice->prune_heads({{0, {1, 3}}});  // head 1 is already gone
  once->prune_heads({{0, {3, 1}}});
  EXPECT_EQ(twice->kept_heads(0), (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(twice->config().pruned_heads.at(0), (std::set<int64_t>{1, 3}));
  auto a = twice->named_parameters(), b = once->named_parameters();
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].first, b[i].first);
    EXPECT_EQ(a[i].second.to_vector<float>(), b[i].second.to_vector<float>()) << a[i].first;
  }
  EXPECT_LT(relative_error(twice->forward(inputs).logits, reference), 1e-5);
  // Pruning heads that are all gone changes nothing.
  twice->prune_heads({{0, {1, 3}}});
  EXPECT_EQ(twice->kept_heads(0), (std::vector<int64_t>{0, 2}));
}

// The head mask keeps original head numbers on a pruned model: a pruned head's entry is ignored.
TEST_P(PruneFamily, HeadMaskUsesOriginalNumbers) {
  const std::string family = GetParam();
  auto model = load_model(fixture(family + "/model"));
  const ModelInputs inputs = fixture_inputs(expected_outputs(family));
  const Tensor reference = masked_logits(*model, inputs, mask_without(*model, {{0, {1, 2}}}));
  model->prune_heads({{0, {1}}});
  EXPECT_LT(relative_error(masked_logits(*model, inputs, mask_without(*model, {{0, {2}}})), reference), 1e-5);
  EXPECT_LT(relative_error(masked_logits(*model, inputs, mask_without(*model, {{0, {1, 2}}})), reference),
            1e-5);
}

INSTANTIATE_TEST_SUITE_P(Families, PruneFamily, ::testing::Values("bert_small", "gpt2_lm", "openai_gpt_lm"));

TEST(PruneHeads, RejectsLayersAndHeadsOutOfRange) {
  auto model = load_model(fixture("bert_small/model"));
  EXPECT_NE(error_of([&] {
              model->prune_heads({{3, {0}}});
            }).find("cannot prune layer 3: the model has 3 layers (0 to 2)"),
            std::string::npos);
  EXPECT_NE(error_of([&] {
              model->prune_heads({{0, {4}}});
            }).find("cannot prune head 4 of layer 0: the model has 4 heads a layer (0 to 3)"),
            std::string::npos);
}

TEST(SavePretrained, KeepsTheCheckpointDtype) {
  auto model = load_model(fixture("bert_small/model_fp16"));
  EXPECT_EQ(model->source().dtype, "F16");
  TempDir dir;
  model->save_pretrained(dir.file("out"));
  const SafetensorsFile saved = read_safetensors(dir.file("out/model.safetensors"), false);
  for (const auto& [name, dtype] : saved.dtypes) EXPECT_EQ(dtype, "F16") << name;
  // Same values as the fixture's F16 file.
  const SafetensorsFile ref = read_safetensors(fixture("bert_small/model_fp16/model.safetensors"), false);
  for (const auto& [name, tensor] : ref.tensors)
    EXPECT_EQ(saved.tensors.at(name).to_vector<float>(), tensor.to_vector<float>()) << name;
}

TEST(SavePretrained, StoresTiedWeightsOnce) {
  TempDir dir;
  for (const char* family : {"bert_mlm", "gpt2_lm", "openai_gpt_lm"}) {
    auto model = load_model(fixture(std::string(family) + "/model"));
    const std::string out = dir.file(family);
    model->save_pretrained(out);
    const SafetensorsFile saved = read_safetensors(out + "/model.safetensors");
    EXPECT_EQ(saved.tensors.count("cls.predictions.decoder.weight"), 0u) << family;
    EXPECT_EQ(saved.tensors.count("lm_head.weight"), 0u) << family;
    const SafetensorsFile ref = read_safetensors(fixture(std::string(family) + "/model/model.safetensors"));
    EXPECT_EQ(saved.tensors.size(), ref.tensors.size()) << family;
    EXPECT_EQ(saved.metadata.at("format"), "pt");
  }
}

TEST(SavePretrained, RefusesTheFolderItWasLoadedFrom) {
  TempDir dir;
  std::filesystem::copy(fixture("bert_small/model"), dir.file("model"));
  auto model = load_model(dir.file("model"));
  const std::string message = error_of([&] { model->save_pretrained(dir.file("model")); });
  EXPECT_NE(message.find("loaded from"), std::string::npos) << message;
  EXPECT_NE(error_of([&] { model->save_pretrained(dir.file("model") + "/"); }).find("loaded from"),
            std::string::npos);
  // Nothing was left behind next to it.
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) entries += entry.exists();
  EXPECT_EQ(entries, 1);
}

TEST(SavePretrained, KeepsUnknownConfigFields) {
  TempDir dir;
  auto model = load_model(fixture("gpt2_lm/model"));
  model->prune_heads({{2, {3}}});
  model->save_pretrained(dir.file("out"));
  std::ifstream in(dir.file("out/config.json"));
  const nlohmann::json saved = nlohmann::json::parse(in);
  EXPECT_EQ(saved["summary_type"], "cls_index");  // a field this library does not use
  EXPECT_EQ(saved["pruned_heads"]["2"], nlohmann::json::array({3}));
  EXPECT_EQ(saved["n_embd"], 32);
}

}  // namespace
}  // namespace bertology

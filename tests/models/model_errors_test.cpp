// Bad input to the models gives one clear Error naming what is wrong: ids outside the
// vocabulary, sequences too long, head masks of the wrong shape, missing or misshapen weights,
// unsupported model types and architectures.
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/load_model.h>

#include <filesystem>
#include <fstream>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

void expect_error(const std::string& message, const std::string& part) {
  EXPECT_NE(message.find(part), std::string::npos)
      << "message: " << message << "\nexpected to contain: " << part;
}

// A copy of a fixture's model folder with config.json edited and/or tensors removed.
std::string edited_model(const TempDir& dir, const std::string& family,
                         const std::function<void(nlohmann::json&)>& edit_config,
                         const std::function<void(StateDict&)>& edit_tensors = nullptr) {
  const std::string out = dir.file(family);
  std::filesystem::create_directory(out);
  std::ifstream in(fixture(family + "/model/config.json"));
  nlohmann::json config = nlohmann::json::parse(in);
  edit_config(config);
  std::ofstream(out + "/config.json") << config.dump(2);
  StateDict tensors = read_safetensors(fixture(family + "/model/model.safetensors")).tensors;
  if (edit_tensors) edit_tensors(tensors);
  write_safetensors(out + "/model.safetensors", tensors);
  return out;
}

class ModelErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = load_model(fixture("bert_small/model"));
    inputs_ = fixture_inputs(expected_outputs("bert_small"));
  }
  std::string forward_error(const ModelInputs& in) {
    return error_of([&] { model_->forward(in); });
  }
  std::unique_ptr<PreTrainedModel> model_;
  ModelInputs inputs_;
};

TEST_F(ModelErrors, InputIdOutsideVocabulary) {
  ModelInputs in = inputs_;
  in.input_ids = inputs_.input_ids.clone();
  in.input_ids.data<int64_t>()[5] = 120;  // vocab_size is 120
  expect_error(forward_error(in), "input id 120 at position [0, 5] is outside [0, 120) (vocab_size 120)");
  in.input_ids.data<int64_t>()[5] = -1;
  expect_error(forward_error(in), "input id -1");
}

TEST_F(ModelErrors, SequenceLongerThanPositions) {
  ModelInputs in;
  in.input_ids = Tensor::ones({1, 41}, DType::Int64);  // max_position_embeddings is 40
  expect_error(forward_error(in), "sequence length 41 exceeds max_position_embeddings 40");
}

TEST_F(ModelErrors, HeadMaskOfWrongShape) {
  ModelInputs in = inputs_;
  in.head_mask = Tensor::ones({3, 5});
  expect_error(forward_error(in),
               "head mask of shape [3, 5] does not fit this model: expected (H) = [4], (L, H) = [3, 4]"
               " or (B, L, H) = [2, 3, 4]");
  in.head_mask = Tensor::ones({3, 3, 4});
  expect_error(forward_error(in), "head mask of shape [3, 3, 4]");
  in.head_mask = Tensor::ones({4}, DType::Int64);
  expect_error(forward_error(in), "head mask must be a float tensor");
}

TEST_F(ModelErrors, OtherInputShapes) {
  ModelInputs in = inputs_;
  in.attention_mask = Tensor::ones({2, 8});
  expect_error(forward_error(in), "attention_mask has shape [2, 8], expected (B, S) = [2, 9]");
  in = inputs_;
  in.token_type_ids = Tensor::full({2, 9}, 2, DType::Int64);
  expect_error(forward_error(in), "token type id 2 at position [0, 0] is outside [0, 2) (type_vocab_size 2)");
  in = inputs_;
  in.input_ids = Tensor::ones({9}, DType::Int64);
  expect_error(forward_error(in), "input_ids must be a non-empty int64 (B, S) tensor, got int64 [9]");
  in = inputs_;
  in.labels = Tensor::from_vector(std::vector<int64_t>{0, 3}, {2});
  expect_error(forward_error(in), "label 3 is not a class in [0, 3)");
}

TEST(LoadErrors, MissingWeightNamesTheTensor) {
  TempDir dir;
  const std::string model = edited_model(
      dir, "bert_small", [](nlohmann::json&) {}, [](StateDict& t) { t.erase("bert.pooler.dense.weight"); });
  const std::string message = error_of([&] { load_model(model); });
  expect_error(
      message,
      "no tensor 'bert.pooler.dense.weight' (BertForSequenceClassification needs it, shape [32, 32])");
  expect_error(message, "model.safetensors");
}

TEST(LoadErrors, WeightShapeDisagreesWithConfig) {
  TempDir dir;
  const std::string model =
      edited_model(dir, "bert_small", [](nlohmann::json& c) { c["intermediate_size"] = 40; });
  expect_error(
      error_of([&] { load_model(model); }),
      "tensor 'bert.encoder.layer.0.intermediate.dense.weight' has shape [48, 32] but config.json implies "
      "[40, 32]");
  // pruned_heads in config.json without pruned weights: the attention shapes disagree.
  const std::string pruned = edited_model(dir, "gpt2_lm", [](nlohmann::json& c) {
    c["pruned_heads"] = {{"1", {0}}};
  });
  expect_error(
      error_of([&] { load_model(pruned); }),
      "tensor 'transformer.h.1.attn.c_attn.weight' has shape [32, 96] but config.json implies [32, 72]");
}

TEST(LoadErrors, UnsupportedModelTypeAndArchitecture) {
  TempDir dir;
  const std::string xlnet =
      edited_model(dir, "bert_small", [](nlohmann::json& c) { c["model_type"] = "xlnet"; });
  expect_error(error_of([&] { load_model(xlnet); }), "unsupported model_type 'xlnet'");
  LoadOptions options;
  options.architecture = "BertForQuestionAnswering";
  expect_error(error_of([&] { load_model(fixture("bert_small/model"), options); }),
               "unsupported architecture 'BertForQuestionAnswering'");
  options.architecture = "GPT2LMHeadModel";
  expect_error(error_of([&] { load_model(fixture("bert_small/model"), options); }),
               "GPT2LMHeadModel needs model_type 'gpt2', not 'bert'");
  expect_error(error_of([&] { load_model(dir.file("nowhere")); }), "not found");
}

// A pre-trained body without a task head loads only when asked to initialise the head.
TEST(LoadErrors, MissingHeadOnlyWithInitMissingHead) {
  TempDir dir;
  const std::string body = edited_model(
      dir, "bert_small", [](nlohmann::json&) {},
      [](StateDict& t) {
        t.erase("classifier.weight");
        t.erase("classifier.bias");
      });
  expect_error(error_of([&] { load_model(body); }), "no tensor 'classifier.weight'");
  LoadOptions options;
  options.init_missing_head = true;
  options.num_labels = 5;
  auto model = load_model(body, options);
  EXPECT_EQ(model->config().num_labels, 5);
  EXPECT_EQ(model->source().initialized_keys,
            (std::vector<std::string>{"classifier.weight", "classifier.bias"}));
  EXPECT_EQ(model->parameter("classifier.weight").sizes(), (Shape{5, 32}));
}

TEST(GPTSequenceClassification, NeedsAPadTokenForBatches) {
  // openai_gpt_lm has no pad_token_id: a classifier built from it takes one example at a time.
  LoadOptions options;
  options.architecture = "OpenAIGPTForSequenceClassification";
  options.init_missing_head = true;
  auto model = load_model(fixture("openai_gpt_lm/model"), options);
  ModelInputs in;
  in.input_ids = Tensor::ones({2, 4}, DType::Int64);
  expect_error(error_of([&] { model->forward(in); }), "no padding token is defined");
  in.input_ids = Tensor::ones({1, 4}, DType::Int64);
  EXPECT_EQ(model->forward(in).logits.sizes(), (Shape{1, 2}));
}

}  // namespace
}  // namespace bertology

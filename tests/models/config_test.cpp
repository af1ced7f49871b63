// config.json parsing for the three families (their own field names and HF's defaults), the
// errors it reports, and writing it back with unknown fields kept and pruned_heads updated.
#include <bertology/models/config.h>

#include <nlohmann/json.hpp>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

TEST(Config, BertFields) {
  const ModelConfig c = load_config(fixture("bert_small/model/config.json"));
  EXPECT_EQ(c.family, ModelFamily::Bert);
  EXPECT_EQ(c.architecture(), "BertForSequenceClassification");
  EXPECT_EQ(c.vocab_size, 120);
  EXPECT_EQ(c.hidden_size, 32);
  EXPECT_EQ(c.num_layers, 3);
  EXPECT_EQ(c.num_heads, 4);
  EXPECT_EQ(c.head_size(), 8);
  EXPECT_EQ(c.intermediate_size, 48);
  EXPECT_EQ(c.max_position_embeddings, 40);
  EXPECT_EQ(c.type_vocab_size, 2);
  EXPECT_EQ(c.activation, Activation::GeluErf);
  EXPECT_DOUBLE_EQ(c.layer_norm_eps, 1e-12);
  EXPECT_EQ(c.pad_token_id, std::optional<int64_t>(0));
  EXPECT_EQ(c.num_labels, 3);
  EXPECT_EQ(c.id2label.at(2), "LABEL_2");
  EXPECT_EQ(c.label2id.at("LABEL_1"), 1);
  EXPECT_DOUBLE_EQ(c.classifier_dropout, 0.1);  // null = hidden_dropout_prob
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_TRUE(c.pruned_heads.empty());
  EXPECT_EQ(c.torch_dtype, "float32");
}

TEST(Config, GPTFamiliesUseTheirOwnNames) {
  const ModelConfig gpt2 = load_config(fixture("gpt2_lm/model/config.json"));
  EXPECT_EQ(gpt2.family, ModelFamily::GPT2);
  EXPECT_EQ(gpt2.hidden_size, 32);         // n_embd
  EXPECT_EQ(gpt2.num_layers, 3);           // n_layer
  EXPECT_EQ(gpt2.intermediate_size, 128);  // n_inner null = 4·n_embd
  EXPECT_EQ(gpt2.max_position_embeddings, 40);
  EXPECT_EQ(gpt2.activation, Activation::GeluTanh);  // gelu_new
  EXPECT_DOUBLE_EQ(gpt2.layer_norm_eps, 1e-5);
  EXPECT_EQ(gpt2.pad_token_id, std::optional<int64_t>(129));

  const ModelConfig gpt = load_config(fixture("openai_gpt_lm/model/config.json"));
  EXPECT_EQ(gpt.family, ModelFamily::OpenAIGPT);
  EXPECT_EQ(gpt.activation, Activation::GeluTanh);  // afn "gelu" is the tanh form for OpenAI GPT
  EXPECT_FALSE(gpt.pad_token_id.has_value());       // null
  EXPECT_EQ(gpt.architecture(), "OpenAIGPTLMHeadModel");
}

TEST(Config, DefaultsAndPrunedHeads) {
  const ModelConfig c = parse_config(R"({"model_type": "gpt2", "pruned_heads": {"0": [1, 3], "11": [0]},
                                         "num_labels": 4, "problem_type": "regression"})");
  EXPECT_EQ(c.hidden_size, 768);
  EXPECT_EQ(c.num_layers, 12);
  EXPECT_EQ(c.vocab_size, 50257);
  EXPECT_EQ(c.max_position_embeddings, 1024);
  EXPECT_EQ(c.architecture(), "GPT2Model");
  EXPECT_EQ(c.num_labels, 4);
  EXPECT_EQ(c.problem_type, "regression");
  EXPECT_EQ(c.pruned_heads.at(0), (std::set<int64_t>{1, 3}));
  EXPECT_EQ(c.pruned_heads.at(11), (std::set<int64_t>{0}));
  const ModelConfig pruned = load_config(fixture("bert_small/model_pruned/config.json"));
  EXPECT_EQ(pruned.pruned_heads.at(2), (std::set<int64_t>{0, 1, 2, 3}));
}

TEST(Config, Errors) {
  auto error = [](const std::string& text) { return error_of([&] { parse_config(text, "cfg.json"); }); };
  EXPECT_NE(error(R"({"model_type": "t5"})").find("cfg.json: unsupported model_type 't5'"),
            std::string::npos);
  EXPECT_NE(error(R"({"hidden_size": 8})").find("no \"model_type\""), std::string::npos);
  EXPECT_NE(error("{not json").find("cfg.json: not valid JSON"), std::string::npos);
  // A number too large for a double (found by the config fuzzer): an Error, not a crash.
  EXPECT_NE(error(R"({"model_type": "bert", "hidden_size": 1e999})").find("cfg.json: not valid JSON"),
            std::string::npos);
  EXPECT_NE(
      error(R"({"model_type": "bert", "hidden_size": "big"})").find("\"hidden_size\" must be an integer"),
      std::string::npos);
  EXPECT_NE(error(R"({"model_type": "bert", "hidden_size": 30, "num_attention_heads": 4})")
                .find("hidden size 30 is not a multiple of the number of heads 4"),
            std::string::npos);
  EXPECT_NE(error(R"({"model_type": "bert", "pruned_heads": {"12": [0]}})").find("pruned_heads layer '12'"),
            std::string::npos);
  EXPECT_NE(error(R"({"model_type": "bert", "pruned_heads": {"0": [12]}})").find("not a head in [0, 12)"),
            std::string::npos);
  EXPECT_NE(error(R"({"model_type": "bert", "hidden_act": "mish"})").find("unsupported activation 'mish'"),
            std::string::npos);
  // Fields that change the computation in ways not built here are refused, not ignored.
  EXPECT_NE(error(R"({"model_type": "bert", "is_decoder": true})").find("cfg.json: \"is_decoder\": true"),
            std::string::npos);
  EXPECT_NE(error(R"({"model_type": "bert", "position_embedding_type": "relative_key"})")
                .find("\"position_embedding_type\": \"relative_key\" is not supported"),
            std::string::npos);
  EXPECT_NE(error(R"({"model_type": "gpt2", "add_cross_attention": true})").find("\"add_cross_attention\": true"),
            std::string::npos);
  EXPECT_NO_THROW(parse_config(R"({"model_type": "bert", "position_embedding_type": "absolute", "is_decoder": false,
                                   "some_field_of_another_tool": 3})"));
}

TEST(Config, FoldersAndDevicesAreNotConfigFiles) {
  TempDir dir;
  EXPECT_EQ(error_of([&] { load_config(dir.path()); }), dir.path() + ": is a folder, expected a file");
  EXPECT_EQ(error_of([&] { load_config("/dev/zero"); }), "/dev/zero: not a regular file");
}

TEST(Config, WritesBackUnknownFieldsInOrder) {
  ModelConfig c = parse_config(R"({"zeta": 1, "model_type": "bert", "alpha": {"x": [1, 2]}})");
  c.pruned_heads[3] = {2, 0};
  const nlohmann::ordered_json saved = nlohmann::ordered_json::parse(c.to_json());
  EXPECT_EQ(saved.begin().key(), "zeta");
  EXPECT_EQ(saved["alpha"]["x"], nlohmann::ordered_json::array({1, 2}));
  EXPECT_EQ(saved["pruned_heads"]["3"], nlohmann::ordered_json::array({0, 2}));
  EXPECT_EQ(saved["architectures"], nlohmann::ordered_json::array({"BertModel"}));
  const ModelConfig again = parse_config(c.to_json());
  EXPECT_EQ(again.pruned_heads, c.pruned_heads);
}

}  // namespace
}  // namespace bertology

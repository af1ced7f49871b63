// load_tokenizer picks the tokenizer from a model folder's files and configs without being
// told which one it is, and reads do_lower_case (default true).
#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <bertology/tensor/error.h>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::tokenizer_data;

TEST(LoadTokenizer, ChoosesByFiles) {
  EXPECT_EQ(load_tokenizer(tokenizer_data("bert_uncased"))->type(), "bert");
  // No config: merges without "</w>" are GPT-2's, with it OpenAI GPT's.
  EXPECT_EQ(load_tokenizer(tokenizer_data("gpt2"))->type(), "gpt2");
  EXPECT_EQ(load_tokenizer(tokenizer_data("openai_gpt"))->type(), "openai-gpt");
}

TEST(LoadTokenizer, ChoosesByConfigs) {
  testing::TempDir gpt2;
  gpt2.copy_from_data("gpt2/vocab.json", "vocab.json");
  gpt2.copy_from_data("gpt2/merges.txt", "merges.txt");
  gpt2.write("config.json", R"({"model_type": "gpt2", "n_layer": 3})");
  EXPECT_EQ(load_tokenizer(gpt2.path())->type(), "gpt2");

  testing::TempDir gpt;
  gpt.copy_from_data("openai_gpt/vocab.json", "vocab.json");
  gpt.copy_from_data("openai_gpt/merges.txt", "merges.txt");
  gpt.write("tokenizer_config.json", R"({"tokenizer_class": "OpenAIGPTTokenizerFast"})");
  EXPECT_EQ(load_tokenizer(gpt.path())->type(), "openai-gpt");
  // tokenizer_config.json wins over config.json, as in AutoTokenizer.
  gpt.write("config.json", R"({"model_type": "gpt2"})");
  EXPECT_EQ(load_tokenizer(gpt.path())->type(), "openai-gpt");
}

TEST(LoadTokenizer, ReadsDoLowerCase) {
  testing::TempDir dir;
  dir.copy_from_data("bert_uncased/vocab.txt", "vocab.txt");
  const auto default_case = load_tokenizer(dir.path());  // no tokenizer_config.json
  EXPECT_TRUE(dynamic_cast<const BertTokenizer&>(*default_case).options().lowercase);
  EXPECT_EQ(default_case->tokenize("HELLO WORLD"), (std::vector<std::string>{"[UNK]", "world"}));

  dir.write("tokenizer_config.json", R"({"do_lower_case": false, "model_max_length": 512})");
  const auto cased = load_tokenizer(dir.path());
  const auto& options = dynamic_cast<const BertTokenizer&>(*cased).options();
  EXPECT_FALSE(options.lowercase);
  EXPECT_FALSE(options.strip_accents);  // follows lower-casing unless set
  EXPECT_EQ(cased->tokenize("HELLO WORLD"), (std::vector<std::string>{"[UNK]", "[UNK]"}));

  dir.write("tokenizer_config.json", R"({"do_lower_case": true, "strip_accents": false})");
  const auto keep_accents_tokenizer = load_tokenizer(dir.path());
  const auto& keep_accents = dynamic_cast<const BertTokenizer&>(*keep_accents_tokenizer);
  EXPECT_TRUE(keep_accents.options().lowercase);
  EXPECT_FALSE(keep_accents.options().strip_accents);
}

TEST(LoadTokenizer, ClearErrors) {
  testing::TempDir dir;
  EXPECT_THROW(load_tokenizer(dir.file("absent")), Error);
  try {
    load_tokenizer(dir.path());
    FAIL() << "an empty folder must not load";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.txt"), std::string::npos) << e.what();
  }
  dir.copy_from_data("bert_uncased/vocab.txt", "vocab.txt");
  dir.write("tokenizer_config.json", "{not json");
  try {
    load_tokenizer(dir.path());
    FAIL() << "a malformed tokenizer_config.json must not load";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tokenizer_config.json"), std::string::npos) << e.what();
  }
  dir.write("tokenizer_config.json", R"({"do_lower_case": "yes"})");
  EXPECT_THROW(load_tokenizer(dir.path()), Error);
  dir.write("tokenizer_config.json", R"({"tokenizer_class": "GPT2Tokenizer"})");
  EXPECT_THROW(load_tokenizer(dir.path()), Error);  // says GPT-2 but has only vocab.txt
}

}  // namespace
}  // namespace bertology

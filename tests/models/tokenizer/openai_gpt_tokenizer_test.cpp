// OpenAI GPT BPE (with the small openai-gpt-format vocabulary of the fixtures) against
// HuggingFace's OpenAIGPTTokenizer: every row of tok_openai_gpt.jsonl.
#include <bertology/models/tokenizer/openai_gpt_tokenizer.h>

#include <iostream>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::as_vector;
using testing::read_jsonl;
using testing::tokenizer_data;

TEST(OpenAIGptTokenizer, GoldenRows) {
  const auto tokenizer = OpenAIGptTokenizer::from_files(tokenizer_data("openai_gpt/vocab.json"),
                                                        tokenizer_data("openai_gpt/merges.txt"));
  const auto rows = read_jsonl(tokenizer_data("golden/tok_openai_gpt.jsonl"));
  std::size_t checked = 0;
  for (const auto& row : rows) {
    const std::string text = row["text"];
    EXPECT_EQ(tokenizer->encode_ids(text), as_vector<int64_t>(row["ids"]))
        << "row " << row["id"] << ": " << text;
    EXPECT_EQ(tokenizer->tokenize(text), as_vector<std::string>(row["tokens"])) << "row " << row["id"];
    ++checked;
  }
  std::cout << "[ golden   ] tok_openai_gpt.jsonl: " << checked << " rows checked\n";
  EXPECT_EQ(checked, 312u);
}

TEST(OpenAIGptTokenizer, DecodeReplacesEndOfWord) {
  const auto tokenizer = OpenAIGptTokenizer::from_files(tokenizer_data("openai_gpt/vocab.json"),
                                                        tokenizer_data("openai_gpt/merges.txt"));
  EXPECT_EQ(tokenizer->decode(tokenizer->encode_ids("Hello, world!")), "hello , world !");
}

}  // namespace
}  // namespace bertology

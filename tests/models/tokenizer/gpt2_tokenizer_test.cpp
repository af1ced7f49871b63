// GPT-2 byte-level BPE against HuggingFace: every row of tok_gpt2.jsonl gives the same ids and
// tokens, and decoding the ids gives back the text.
#include <bertology/models/tokenizer/byte_level.h>
#include <bertology/models/tokenizer/gpt2_tokenizer.h>

#include <iostream>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::as_vector;
using testing::read_jsonl;
using testing::tokenizer_data;

std::unique_ptr<Gpt2Tokenizer> gpt2() {
  return Gpt2Tokenizer::from_files(tokenizer_data("gpt2/vocab.json"),
                                   tokenizer_data("gpt2/merges.txt"));
}

TEST(Gpt2Tokenizer, GoldenRowsAndDecodeRoundTrip) {
  const auto tokenizer = gpt2();
  const auto rows = read_jsonl(tokenizer_data("golden/tok_gpt2.jsonl"));
  std::size_t checked = 0;
  for (const auto& row : rows) {
    const std::string text = row["text"];
    const auto ids = tokenizer->encode_ids(text);
    EXPECT_EQ(ids, as_vector<int64_t>(row["ids"])) << "row " << row["id"] << ": " << text;
    EXPECT_EQ(tokenizer->tokenize(text), as_vector<std::string>(row["tokens"])) << "row " << row["id"];
    EXPECT_EQ(tokenizer->decode(ids), row["decoded"].get<std::string>()) << "row " << row["id"];
    EXPECT_EQ(tokenizer->decode(ids), text) << "row " << row["id"];
    ++checked;
  }
  std::cout << "[ golden   ] tok_gpt2.jsonl: " << checked << " rows checked (ids, tokens, decode)\n";
  EXPECT_EQ(checked, 313u);
}

TEST(Gpt2Tokenizer, SplitPattern) {
  std::vector<std::string_view> pieces;
  gpt2_split("Hello world  ! it's 42\n\nok", pieces);
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"Hello", " world", " ", " !", " it", "'s",
                                                   " 42", "\n", "\n", "ok"}));
  gpt2_split("trailing   ", pieces);
  EXPECT_EQ(pieces, (std::vector<std::string_view>{"trailing", "   "}));
}

TEST(Gpt2Tokenizer, EndOfTextIsOneToken) {
  const auto tokenizer = gpt2();
  const auto ids = tokenizer->encode_ids("a<|endoftext|>b");
  EXPECT_EQ(ids, (std::vector<int64_t>{64, 50256, 65}));
  EXPECT_EQ(tokenizer->decode(ids, /*skip_special_tokens=*/true), "ab");
}

TEST(Gpt2Tokenizer, NoSpecialTokensAddedAndPairsConcatenate) {
  const auto tokenizer = gpt2();
  const Encoding e = tokenizer->encode_pair("Hello", " world");
  EXPECT_EQ(e.ids, (std::vector<int64_t>{15496, 995}));
  EXPECT_EQ(e.token_type_ids, (std::vector<int64_t>{0, 1}));
}

}  // namespace
}  // namespace bertology

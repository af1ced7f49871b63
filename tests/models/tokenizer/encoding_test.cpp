// The encoding API shared by all tokenizers: special tokens, longest_first truncation,
// padding, parallel batches (same result as one at a time) and stacking into (B, S) rows.
#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/models/tokenizer/gpt2_tokenizer.h>
#include <bertology/tensor/error.h>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::tokenizer_data;

// Vocabulary: [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3, then "a".."z" = 4..29.
std::unique_ptr<BertTokenizer> letters(const testing::TempDir& dir) {
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n";
  for (char c = 'a'; c <= 'z'; ++c) vocab += std::string(1, c) + "\n";
  return BertTokenizer::from_file(dir.write("vocab.txt", vocab));
}

std::vector<int64_t> ids_of(const std::string& letters_text) {
  std::vector<int64_t> ids;
  for (const char c : letters_text) ids.push_back(4 + (c - 'a'));
  return ids;
}

std::vector<int64_t> concat_ids(std::initializer_list<std::vector<int64_t>> parts) {
  std::vector<int64_t> all;
  for (const auto& p : parts) all.insert(all.end(), p.begin(), p.end());
  return all;
}

TEST(Encoding, SingleAndPairLayout) {
  testing::TempDir dir;
  const auto tok = letters(dir);
  const Encoding single = tok->encode("a b");
  EXPECT_EQ(single.ids, concat_ids({{2}, ids_of("ab"), {3}}));
  EXPECT_EQ(single.tokens, (std::vector<std::string>{"[CLS]", "a", "b", "[SEP]"}));
  EXPECT_EQ(single.attention_mask, (std::vector<int64_t>{1, 1, 1, 1}));

  const Encoding pair = tok->encode_pair("a", "b c");
  EXPECT_EQ(pair.ids, concat_ids({{2}, ids_of("a"), {3}, ids_of("bc"), {3}}));
  EXPECT_EQ(pair.token_type_ids, (std::vector<int64_t>{0, 0, 0, 1, 1, 1}));

  EncodeOptions bare;
  bare.add_special_tokens = false;
  EXPECT_EQ(tok->encode_pair("a", "b", bare).ids, ids_of("ab"));
}

TEST(Encoding, LongestFirstTruncation) {
  testing::TempDir dir;
  const auto tok = letters(dir);
  const std::string ten = "a b c d e f g h i j", two = "x y";
  EncodeOptions options;
  options.max_length = 8;  // 5 tokens for the texts after [CLS] [SEP] [SEP]
  // The short text fits: the long one gets the rest.
  EXPECT_EQ(tok->encode_pair(ten, two, options).ids,
            concat_ids({{2}, ids_of("abc"), {3}, ids_of("xy"), {3}}));
  EXPECT_EQ(tok->encode_pair(two, ten, options).ids,
            concat_ids({{2}, ids_of("xy"), {3}, ids_of("abc"), {3}}));
  // Both too long: half each, the odd token to the longer one.
  EXPECT_EQ(tok->encode_pair(ten, "s t u v w x y z", options).ids,
            concat_ids({{2}, ids_of("abc"), {3}, ids_of("st"), {3}}));
  options.max_length = 4;
  EXPECT_EQ(tok->encode(ten, options).ids, concat_ids({{2}, ids_of("ab"), {3}}));
  options.max_length = 2;
  EXPECT_THROW(tok->encode_pair(ten, two, options), Error);  // no room for 3 specials
}

TEST(Encoding, PaddingToMaxLengthAndLongest) {
  testing::TempDir dir;
  const auto tok = letters(dir);
  EncodeOptions options;
  options.max_length = 6;
  options.padding = Padding::kMaxLength;
  const Encoding e = tok->encode("a", options);
  EXPECT_EQ(e.ids, (std::vector<int64_t>{2, 4, 3, 0, 0, 0}));
  EXPECT_EQ(e.attention_mask, (std::vector<int64_t>{1, 1, 1, 0, 0, 0}));
  EXPECT_EQ(e.tokens.back(), "[PAD]");

  EncodeOptions longest;
  longest.padding = Padding::kLongest;
  const auto batch = tok->encode_batch({"a", "a b c", ""}, longest);
  ASSERT_EQ(batch.size(), 3u);
  for (const auto& b : batch) EXPECT_EQ(b.ids.size(), 5u);
  const Batch stacked = to_batch(batch);
  EXPECT_EQ(stacked.batch_size, 3);
  EXPECT_EQ(stacked.seq_len, 5);
  EXPECT_EQ(stacked.attention_mask,
            (std::vector<int64_t>{1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0}));

  EXPECT_THROW(to_batch(tok->encode_batch({"a", "a b"})), Error);  // not padded
  EncodeOptions no_length;
  no_length.padding = Padding::kMaxLength;
  EXPECT_THROW(tok->encode("a", no_length), Error);
}

TEST(Encoding, ParallelBatchEqualsOneAtATime) {
  const auto tok = Gpt2Tokenizer::from_files(tokenizer_data("gpt2/vocab.json"),
                                             tokenizer_data("gpt2/merges.txt"));
  std::vector<std::string> texts;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 500; ++i) {
    texts.push_back("Line " + std::to_string(i) + ": it's a truth universally acknowledged " +
                    std::string(static_cast<std::size_t>(i % 7), '!'));
    pairs.emplace_back(texts.back(), "and " + std::to_string(i * i));
  }
  EncodeOptions options;
  options.padding = Padding::kLongest;
  const auto batch = tok->encode_batch(texts, options);
  const auto pair_batch = tok->encode_pair_batch(pairs, options);
  std::size_t longest = 0;
  for (const auto& t : texts) longest = std::max(longest, tok->encode(t).ids.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    const auto alone = tok->encode(texts[i]).ids;
    ASSERT_EQ(batch[i].ids.size(), longest);
    EXPECT_TRUE(std::equal(alone.begin(), alone.end(), batch[i].ids.begin())) << i;
    EXPECT_EQ(batch[i].ids[longest - 1], alone.size() == longest ? alone.back() : tok->pad_token_id());
    const auto pair_alone = tok->encode_pair(pairs[i].first, pairs[i].second).ids;
    EXPECT_TRUE(std::equal(pair_alone.begin(), pair_alone.end(), pair_batch[i].ids.begin())) << i;
  }
}

}  // namespace
}  // namespace bertology

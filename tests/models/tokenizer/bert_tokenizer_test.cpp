// BERT WordPiece against HuggingFace: every row of tok_bert.jsonl (uncased and cased) and
// tok_bert_pairs.jsonl must give the same ids, tokens, token types and attention masks.
#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/models/tokenizer/load_tokenizer.h>

#include <iostream>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::as_vector;
using testing::read_jsonl;
using testing::tokenizer_data;

std::unique_ptr<BertTokenizer> bert(bool lowercase) {
  BasicTokenizerOptions options;
  options.lowercase = options.strip_accents = lowercase;
  return BertTokenizer::from_file(tokenizer_data("bert_uncased/vocab.txt"), options);
}

TEST(BertTokenizer, GoldenRowsUncasedAndCased) {
  const auto uncased = bert(true), cased = bert(false);
  const auto rows = read_jsonl(tokenizer_data("golden/tok_bert.jsonl"));
  std::size_t checked = 0;
  for (const auto& row : rows) {
    const std::string text = row["text"];
    for (const auto& [setting, tokenizer] :
         {std::pair{"uncased", uncased.get()}, std::pair{"cased", cased.get()}}) {
      const auto& expected = row[setting];
      EXPECT_EQ(tokenizer->encode_ids(text), as_vector<int64_t>(expected["ids"]))
          << setting << " row " << row["id"] << ": " << text;
      EXPECT_EQ(tokenizer->tokenize(text), as_vector<std::string>(expected["tokens"]))
          << setting << " row " << row["id"];
      ++checked;
    }
  }
  std::cout << "[ golden   ] tok_bert.jsonl: " << rows.size() << " rows x {uncased, cased} = "
            << checked << " checks\n";
  EXPECT_EQ(checked, 2 * 312u);
}

TEST(BertTokenizer, GoldenPairsWithTruncationAndPadding) {
  const auto tokenizer = bert(true);
  const auto rows = read_jsonl(tokenizer_data("golden/tok_bert_pairs.jsonl"));
  std::size_t checked = 0;
  for (const auto& row : rows) {
    EncodeOptions options;
    options.max_length = row["max_length"];
    options.padding = Padding::kMaxLength;
    const std::string a = row["a"];
    const Encoding e = row["b"].is_null() ? tokenizer->encode(a, options)
                                          : tokenizer->encode_pair(a, row["b"].get<std::string>(), options);
    EXPECT_EQ(e.ids, as_vector<int64_t>(row["input_ids"])) << "pair row " << checked << ": " << a;
    EXPECT_EQ(e.token_type_ids, as_vector<int64_t>(row["token_type_ids"])) << "pair row " << checked;
    EXPECT_EQ(e.attention_mask, as_vector<int64_t>(row["attention_mask"])) << "pair row " << checked;
    ++checked;
  }
  std::cout << "[ golden   ] tok_bert_pairs.jsonl: " << checked << " rows checked\n";
  EXPECT_EQ(checked, 45u);
}

TEST(BertTokenizer, SplitsPunctuationChineseAndAccents) {
  const auto tokenizer = bert(true);
  // Every ASCII symbol is its own word; CJK ideographs are spaced out; accents go.
  EXPECT_EQ(tokenizer->tokenize("a+b"), (std::vector<std::string>{"a", "+", "b"}));
  EXPECT_EQ(tokenizer->tokenize("\xE4\xB8\xAD\xE5\x9B\xBD"),  // 中国
            (std::vector<std::string>{"\xE4\xB8\xAD", "\xE5\x9B\xBD"}));
  EXPECT_EQ(tokenizer->tokenize("CAF\xC3\x89"), tokenizer->tokenize("cafe"));  // CAFÉ
}

// The shared bert-base-uncased vocabulary has no "##" pieces, so the continuation path is
// checked on the vocabulary of the original BERT repository's unit test.
std::unique_ptr<BertTokenizer> small_wordpiece(const testing::TempDir& dir) {
  const std::string path = dir.write("vocab.txt",
                                     "[PAD]\n[UNK]\n[CLS]\n[SEP]\nwant\n##want\n##ed\nwa\nun\n"
                                     "runn\n##ing\n,\nlow\nlowest\n");
  return BertTokenizer::from_file(path);
}

TEST(BertTokenizer, WordPieceLongestMatchWithContinuations) {
  testing::TempDir dir;
  const auto tokenizer = small_wordpiece(dir);
  EXPECT_EQ(tokenizer->tokenize("UNwant\u00E9d,running"),
            (std::vector<std::string>{"un", "##want", "##ed", ",", "runn", "##ing"}));
  // One piece that does not match makes the whole word [UNK], the other words are kept.
  EXPECT_EQ(tokenizer->tokenize("unwantedX running"),
            (std::vector<std::string>{"[UNK]", "runn", "##ing"}));
  EXPECT_EQ(tokenizer->tokenize("lowest low"), (std::vector<std::string>{"lowest", "low"}));
}

TEST(BertTokenizer, WordOfMoreThan100CharactersIsUnknown) {
  testing::TempDir dir;
  const auto tokenizer = small_wordpiece(dir);
  std::string word = "runn";
  while (word.size() + 3 <= 100) word += "ing";  // "runn" + 32 x "ing" = 100 characters
  ASSERT_EQ(word.size(), 100u);
  EXPECT_EQ(tokenizer->tokenize(word).size(), 33u);
  EXPECT_EQ(tokenizer->tokenize(word + "g"), (std::vector<std::string>{"[UNK]"}));
}

TEST(BertTokenizer, SpecialTokensInTextAreKept) {
  const auto tokenizer = bert(true);
  const auto ids = tokenizer->encode_ids("the [MASK] is");
  ASSERT_EQ(ids.size(), 3u);
  EXPECT_EQ(ids[1], tokenizer->token_to_id("[MASK]"));
}

TEST(BertTokenizer, DecodeJoinsWordPieces) {
  const auto tokenizer = bert(true);
  const Encoding e = tokenizer->encode("The cat sat.");
  EXPECT_EQ(tokenizer->decode(e.ids, /*skip_special_tokens=*/true), "the cat sat .");
  EXPECT_EQ(tokenizer->decode(e.ids).substr(0, 6), "[CLS] ");
  testing::TempDir dir;
  const auto small = small_wordpiece(dir);
  EXPECT_EQ(small->decode(small->encode_ids("unwanted running")), "unwanted running");
}

}  // namespace
}  // namespace bertology

// Bad input to the tokenizers: invalid UTF-8, empty text, a 1 MB line, and vocabulary or merges
// files that are missing, empty or malformed -- each gives a defined result or a clear Error.
#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/models/tokenizer/gpt2_tokenizer.h>
#include <bertology/models/tokenizer/openai_gpt_tokenizer.h>
#include <bertology/models/tokenizer/utf8.h>
#include <bertology/tensor/error.h>

#include <chrono>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::tokenizer_data;

// The Error message of f(), or "" if it did not throw.
template <class F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::unique_ptr<Gpt2Tokenizer> gpt2() {
  return Gpt2Tokenizer::from_files(tokenizer_data("gpt2/vocab.json"),
                                   tokenizer_data("gpt2/merges.txt"));
}
std::unique_ptr<BertTokenizer> bert() {
  return BertTokenizer::from_file(tokenizer_data("bert_uncased/vocab.txt"));
}

TEST(TokenizerBadInput, InvalidUtf8BecomesReplacementCharacter) {
  // Maximal subparts, as Python's decode(errors="replace"): "\xE2\x82" is one U+FFFD,
  // a lone continuation byte another, a surrogate (ED A0 80) three.
  EXPECT_EQ(utf8::sanitize("a\xE2\x82" "b\x80" "c"), "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
  EXPECT_EQ(utf8::sanitize("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(utf8::sanitize("\xF0\x9F\x98"), "\xEF\xBF\xBD");  // truncated 4-byte emoji
  EXPECT_EQ(utf8::sanitize("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  EXPECT_EQ(utf8::sanitize("ok \xEF\xBF\xBD"), "ok \xEF\xBF\xBD");  // valid U+FFFD stays

  // GPT-2 encodes U+FFFD's bytes, exactly as for the already-replaced text.
  const auto g = gpt2();
  EXPECT_EQ(g->encode_ids("caf\xC3"), g->encode_ids("caf\xEF\xBF\xBD"));
  EXPECT_EQ(g->decode(g->encode_ids("caf\xC3")), "caf\xEF\xBF\xBD");
  // BERT drops U+FFFD while cleaning the text.
  const auto b = bert();
  EXPECT_EQ(b->encode_ids("the \xFF\xFE cat"), b->encode_ids("the cat"));
}

TEST(TokenizerBadInput, EmptyInput) {
  EXPECT_TRUE(gpt2()->encode_ids("").empty());
  const auto b = bert();
  EXPECT_TRUE(b->encode_ids("").empty());
  EXPECT_EQ(b->encode("").ids, (std::vector<int64_t>{b->token_to_id("[CLS]"), b->token_to_id("[SEP]")}));
  EXPECT_EQ(b->encode_pair("", "").token_type_ids, (std::vector<int64_t>{0, 0, 1}));
  EXPECT_TRUE(b->encode_batch({}).empty());
  EXPECT_EQ(b->decode({}), "");
}

TEST(TokenizerBadInput, OneMegabyteLine) {
  std::string prose;
  while (prose.size() < (1 << 20)) prose += "It is a truth universally acknowledged, that a single man. ";
  const std::string one_word(1 << 20, 'a');  // GPT-2 sees one 1 MB "word"; BPE must stay fast
  const auto start = std::chrono::steady_clock::now();
  const auto g = gpt2();
  EXPECT_GT(g->encode_ids(prose).size(), 100000u);
  const auto word_ids = g->encode_ids(one_word);
  EXPECT_EQ(g->decode(word_ids), one_word);
  const auto b = bert();
  EXPECT_GT(b->encode_ids(prose).size(), 100000u);
  EXPECT_EQ(b->encode_ids(one_word), (std::vector<int64_t>{b->token_to_id("[UNK]")}));
  EncodeOptions options;
  options.max_length = 512;
  EXPECT_EQ(b->encode(prose, options).ids.size(), 512u);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 30.0);
}

TEST(TokenizerBadInput, MissingVocabularyFile) {
  const std::string message = error_of([] { BertTokenizer::from_file("/nonexistent/vocab.txt"); });
  EXPECT_NE(message.find("/nonexistent/vocab.txt"), std::string::npos) << message;
  EXPECT_NE(error_of([] { Gpt2Tokenizer::from_files("/nonexistent/vocab.json", "/nonexistent/m"); })
                .find("/nonexistent/vocab.json"),
            std::string::npos);
}

TEST(TokenizerBadInput, EmptyVocabularyFiles) {
  testing::TempDir dir;
  const std::string txt = dir.write("vocab.txt", ""), json = dir.write("vocab.json", "{}");
  EXPECT_NE(error_of([&] { BertTokenizer::from_file(txt); }).find("empty vocabulary"), std::string::npos);
  const std::string merges = dir.write("merges.txt", "#version: 0.2\n");
  EXPECT_NE(error_of([&] { Gpt2Tokenizer::from_files(json, merges); }).find("empty vocabulary"),
            std::string::npos);
  dir.write("empty.json", "");
  EXPECT_NE(error_of([&] { Gpt2Tokenizer::from_files(dir.file("empty.json"), merges); })
                .find("not valid JSON"),
            std::string::npos);
}

TEST(TokenizerBadInput, MalformedVocabularyFiles) {
  testing::TempDir dir;
  // vocab.txt with a NUL byte (a binary file): the message names the file and the line.
  const std::string nul = dir.write("nul.txt", std::string("[PAD]\n[UNK]\nab\0c\n[CLS]\n", 23));
  const std::string message = error_of([&] { BertTokenizer::from_file(nul); });
  EXPECT_NE(message.find("nul.txt:3: NUL byte"), std::string::npos) << message;
  // A blank line keeps its id and matches nothing, as in HF.
  const auto blank = BertTokenizer::from_file(
      dir.write("blank.txt", "[PAD]\n[UNK]\n\n[CLS]\n[SEP]\nok\n"));
  EXPECT_EQ(blank->vocab_size(), 6);
  EXPECT_EQ(blank->encode_ids("ok"), (std::vector<int64_t>{5}));
  // vocab.txt without BERT's special tokens.
  const std::string plain = dir.write("plain.txt", "a\nb\n");
  EXPECT_NE(error_of([&] { BertTokenizer::from_file(plain); }).find("[UNK]"), std::string::npos);
  // Invalid UTF-8 in a vocabulary.
  const std::string binary = dir.write("binary.txt", "[UNK]\n\xFF\xFE\n");
  EXPECT_NE(error_of([&] { BertTokenizer::from_file(binary); }).find("not valid UTF-8"),
            std::string::npos);
  // vocab.json that is not an object of integer ids.
  const std::string merges = dir.write("merges.txt", "#version: 0.2\n");
  for (const char* bad : {"[1, 2]", "{\"a\": \"one\"}", "{\"a\": -3}", "{\"a\": 1"}) {
    const std::string path = dir.write("vocab.json", bad);
    EXPECT_NE(error_of([&] { Gpt2Tokenizer::from_files(path, merges); }).find("vocab.json"),
              std::string::npos)
        << bad;
  }
  // A GPT-2 vocabulary without the 256 byte symbols.
  const std::string small = dir.write("small.json", "{\"a\": 0, \"b\": 1}");
  EXPECT_NE(error_of([&] { Gpt2Tokenizer::from_files(small, merges); }).find("byte"),
            std::string::npos);
  // An OpenAI GPT vocabulary without <unk>.
  EXPECT_NE(error_of([&] { OpenAIGptTokenizer::from_files(small, merges); }).find("<unk>"),
            std::string::npos);
}

TEST(TokenizerBadInput, MergesWithABadLine) {
  testing::TempDir dir;
  const std::string vocab = dir.write("vocab.json", "{\"<unk>\": 0, \"a\": 1, \"b\": 2, \"ab\": 3}");
  const auto message_for = [&](const std::string& merges_text) {
    const std::string merges = dir.write("merges.txt", merges_text);
    return error_of([&] { OpenAIGptTokenizer::from_files(vocab, merges); });
  };
  EXPECT_EQ(message_for("#version: 0.2\na b\n"), "");
  for (const char* bad : {"#version: 0.2\na b\nab\n", "#version: 0.2\na b\na b c\n",
                          "#version: 0.2\na b\n a\n"}) {
    const std::string message = message_for(bad);
    EXPECT_NE(message.find("merges.txt:3: expected two tokens"), std::string::npos)
        << message;
  }
  EXPECT_NE(message_for("a b\nb c\n").find("merges.txt:2: token 'c' is not in the vocabulary"),
            std::string::npos);
  EXPECT_NE(message_for("b a\n").find("merges.txt:1: merged token 'ba'"), std::string::npos);
  EXPECT_NE(error_of([&] { OpenAIGptTokenizer::from_files(vocab, dir.file("none.txt")); })
                .find("none.txt"),
            std::string::npos);
}

TEST(TokenizerBadInput, UnknownIdsInDecode) {
  const auto b = bert();
  EXPECT_NE(error_of([&] { b->decode({5, 999999}); }).find("999999"), std::string::npos);
  EXPECT_THROW(gpt2()->decode({-1}), Error);
}

}  // namespace
}  // namespace bertology

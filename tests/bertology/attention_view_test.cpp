// The attention view: the JSON embedded in the page against the model's own attentions, a
// pruned model (a layer without heads), tokens that try to break out of the page's <script>,
// and `bertology attention` on the command line (the file, --help, one-line errors).
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <bertology/autograd/autograd.h>
#include <bertology/bertology/attention_view.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <nlohmann/json.hpp>

#include "models/model_test_util.h"

using namespace bertology;
using namespace bertology::model_testing;
namespace fs = std::filesystem;

namespace {

const char* const kDataOpen = "<script type=\"application/json\" id=\"attention-data\">";

// bert_small with a WordPiece vocabulary (ids below its vocab_size of 120).
std::string bert_with_vocab(const TempDir& dir) {
  fs::copy(fixture("bert_small/model"), dir.file("bert"), fs::copy_options::recursive);
  dir.write("bert/vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\nthe\ncat\ndog\nsat\non\nmat\na\nred\nran\n");
  return dir.file("bert");
}

// The JSON between the data element's tags, parsed.
nlohmann::json embedded_data(const std::string& page) {
  const size_t begin = page.find(kDataOpen);
  EXPECT_NE(begin, std::string::npos);
  const size_t start = begin + std::string(kDataOpen).size();
  return nlohmann::json::parse(page.substr(start, page.find("</script>", start) - start));
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

struct CliRun {
  int exit_code;
  std::string out, err;
};

CliRun run_cli(const TempDir& dir, const std::string& arguments) {
  const std::string command = std::string("'") + BERTOLOGY_CLI + "' " + arguments + " > '" + dir.file("stdout") +
                              "' 2> '" + dir.file("stderr") + "'";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir.read("stdout"), dir.read("stderr")};
}

}  // namespace

TEST(AttentionView, EmbeddedDataEqualsTheModelsAttentionsWithinRounding) {
  TempDir dir;
  const std::string model_dir = bert_with_vocab(dir);
  auto model = load_model(model_dir);
  auto tokenizer = load_tokenizer(model_dir);
  const std::string text = "the cat sat on the mat .", pair = "a red dog ran .";
  const std::string page = render_attention_html(compute_attention_view(*model, *tokenizer, text, pair));
  const nlohmann::json data = embedded_data(page);

  // The same forward, done here: (1, H, S, S) per layer.
  const Encoding e = tokenizer->encode_pair(text, pair);
  const int64_t S = static_cast<int64_t>(e.ids.size());
  ModelInputs in;
  in.input_ids = Tensor::from_vector(e.ids, {1, S});
  in.token_type_ids = Tensor::from_vector(e.token_type_ids, {1, S});
  ForwardOptions options;
  options.output_attentions = true;
  const ModelOutput out = model->forward(in, options);

  EXPECT_EQ(data["tokens"].get<std::vector<std::string>>(), e.tokens);
  EXPECT_EQ(data["segments"].get<std::vector<int64_t>>(), e.token_type_ids);
  ASSERT_EQ(data["layers"].size(), 3u);
  for (int64_t l = 0; l < 3; ++l) {
    const nlohmann::json& layer = data["layers"][l];
    EXPECT_EQ(layer["heads"].get<std::vector<int64_t>>(), (std::vector<int64_t>{0, 1, 2, 3}));
    const std::vector<float> expected = out.attentions[l].to_vector<float>();
    ASSERT_EQ(layer["attention"].size(), 4u);
    for (int64_t h = 0; h < 4; ++h)
      for (int64_t q = 0; q < S; ++q) {
        double row_sum = 0;
        for (int64_t k = 0; k < S; ++k) {
          const double shown = layer["attention"][h][q][k].get<double>();
          EXPECT_NEAR(shown, expected[(h * S + q) * S + k], 0.5e-4 + 1e-7) << l << " " << h << " " << q << " " << k;
          EXPECT_NEAR(shown * 1e4, std::round(shown * 1e4), 1e-6);  // 4 decimals
          row_sum += shown;
        }
        EXPECT_NEAR(row_sum, 1.0, S * 0.5e-4 + 1e-6);
      }
  }
  // Self-contained: the only scripts are the data and the inline code.
  EXPECT_EQ(count(page, "<script"), 2u);
  EXPECT_EQ(page.find("src="), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
}

TEST(AttentionView, PrunedModelListsItsRemainingHeads) {
  TempDir dir;
  auto tokenizer = load_tokenizer(bert_with_vocab(dir));
  auto model = load_model(fixture("bert_small/model_pruned"));  // layer 0 lost heads 1, 3; layer 2 all
  const AttentionView view = compute_attention_view(*model, *tokenizer, "the dog ran .");
  ASSERT_EQ(view.heads.size(), 3u);
  EXPECT_EQ(view.heads[0], (std::vector<int64_t>{0, 2}));
  EXPECT_EQ(view.heads[1], (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_TRUE(view.heads[2].empty());
  const nlohmann::json data = embedded_data(render_attention_html(view));
  EXPECT_EQ(data["layers"][0]["attention"].size(), 2u);
  EXPECT_EQ(data["layers"][2]["attention"].size(), 0u);
}

TEST(AttentionView, HostileTokensAndTextsCannotBreakThePage) {
  AttentionView view;
  view.title = "</title><script>alert(1)</script>";
  view.text = "<b>bold</b> & \"quoted\"";
  view.pair = "'single'";
  view.tokens = {"</script><script>alert(1)</script>", "<!--", "\"'&\\", "\u2028\u2029", "caf\xff"};
  view.segments = {0, 0, 0, 1, 1};
  view.heads = {{0}};
  view.attention = {std::vector<float>(25, 0.2f)};
  const std::string page = render_attention_html(view);

  EXPECT_EQ(count(page, "<script"), 2u);  // the data element and the code, nothing injected
  EXPECT_EQ(count(page, "</script>"), 2u);
  EXPECT_EQ(page.find("<!--"), std::string::npos);
  EXPECT_EQ(page.find("\u2028"), std::string::npos);
  EXPECT_NE(page.find("&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot;"), std::string::npos);
  EXPECT_NE(page.find("&#39;single&#39;"), std::string::npos);

  const nlohmann::json data = embedded_data(page);
  std::vector<std::string> tokens = data["tokens"].get<std::vector<std::string>>();
  ASSERT_EQ(tokens.size(), 5u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(tokens[i], view.tokens[i]);
  EXPECT_EQ(tokens[4], "caf\xEF\xBF\xBD");  // invalid UTF-8 -> U+FFFD
  EXPECT_EQ(data["layers"][0]["attention"][0][4][4].get<double>(), 0.2);
}

TEST(AttentionView, MismatchedAttentionSizeIsAnError) {
  AttentionView view;
  view.tokens = {"a", "b"};
  view.segments = {0, 0};
  view.heads = {{0, 1}};
  view.attention = {std::vector<float>(4, 0.5f)};  // one head's worth, two heads listed
  EXPECT_NE(error_of([&] { attention_json(view); }).find("layer 0 has 4 weights, expected 2 x 2 x 2"),
            std::string::npos);
}

TEST(AttentionView, CommandLineWritesThePage) {
  TempDir dir;
  const std::string model = bert_with_vocab(dir);
  const CliRun run = run_cli(dir, "attention --model '" + model + "' --text 'the cat sat .' --pair 'a dog ran .' " +
                                      "--output '" + dir.file("view.html") + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string page = dir.read("view.html");
  EXPECT_EQ(embedded_data(page)["tokens"].size(), 11u);  // [CLS] the cat sat . [SEP] a dog ran . [SEP]
  EXPECT_NE(run.out.find("view.html"), std::string::npos);

  const CliRun help = run_cli(dir, "attention --help");
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("usage: bertology attention --model DIR --text TEXT"), std::string::npos);
}

TEST(AttentionView, CommandLineErrorsAreOneLineAndWriteNothing) {
  TempDir dir;
  const std::string model = bert_with_vocab(dir);
  auto expect_one_line_error = [&](const std::string& arguments, const std::string& message) {
    const CliRun run = run_cli(dir, arguments);
    EXPECT_EQ(run.exit_code, 1) << arguments;
    EXPECT_EQ(run.err.rfind("bertology attention: error: ", 0), 0u) << run.err;
    EXPECT_EQ(count(run.err, "\n"), 1u) << run.err;
    EXPECT_NE(run.err.find(message), std::string::npos) << run.err;
  };
  expect_one_line_error("attention --model '" + dir.file("missing") + "' --text 'the cat' --output '" +
                            dir.file("out.html") + "'",
                        "missing");
  EXPECT_FALSE(fs::exists(dir.file("out.html")));
  expect_one_line_error("attention --model '" + model + "' --text 'the cat' --output '" + model + "/view.html'",
                        "inside the model folder");
  EXPECT_FALSE(fs::exists(model + "/view.html"));
  expect_one_line_error("attention --model '" + model + "' --output '" + dir.file("out.html") + "'",
                        "missing required option --text");
  expect_one_line_error("attention --model '" + model + "' --text 'the cat' --max-seq-length 1 --output '" +
                            dir.file("out.html") + "'",
                        "--max-seq-length must be at least 2");
  EXPECT_FALSE(fs::exists(dir.file("out.html")));
  // An existing file is replaced only when it is an earlier attention page.
  dir.write("notes.html", "<p>my notes</p>\n");
  expect_one_line_error("attention --model '" + model + "' --text 'the cat' --output '" + dir.file("notes.html") + "'",
                        "exists and is not an attention page; refusing to replace it");
  EXPECT_EQ(dir.read("notes.html"), "<p>my notes</p>\n");
}

TEST(AttentionView, CommandLineReplacesAnEarlierPage) {
  TempDir dir;
  const std::string model = bert_with_vocab(dir);
  const std::string page = "attention --model '" + model + "' --output '" + dir.file("view.html") + "' --text ";
  ASSERT_EQ(run_cli(dir, page + "'the cat'").exit_code, 0);
  EXPECT_TRUE(is_attention_page(dir.read("view.html")));
  const CliRun again = run_cli(dir, page + "'a dog ran'");
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(embedded_data(dir.read("view.html"))["tokens"].size(), 5u);  // [CLS] a dog ran [SEP]
}

// Runs `bertology tokenize` on small inputs: its JSON lines must equal the HF goldens, and a
// bad line must give one error line and a non-zero exit code.
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "tokenizer_test_util.h"

namespace bertology {
namespace {

using testing::read_jsonl;
using testing::tokenizer_data;

#ifdef BERTOLOGY_CLI
// Runs the CLI with stdin from `input`; returns its exit code, stdout and stderr.
struct CliRun {
  int exit_code;
  std::string out, err;
};
CliRun run_cli(const testing::TempDir& dir, const std::string& arguments, const std::string& input) {
  const std::string in = dir.write("stdin.txt", input), out = dir.file("stdout.txt"),
                    err = dir.file("stderr.txt");
  const std::string command = std::string("'") + BERTOLOGY_CLI + "' tokenize " + arguments +
                              " < '" + in + "' > '" + out + "' 2> '" + err + "'";
  const int status = std::system(command.c_str());
  const auto slurp = [](const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  };
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out), slurp(err)};
}

std::vector<nlohmann::json> json_lines(const std::string& text) {
  std::vector<nlohmann::json> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) rows.push_back(nlohmann::json::parse(line));
  return rows;
}

TEST(TokenizeCli, PairsMatchGoldens) {
  testing::TempDir dir;
  const auto golden = read_jsonl(tokenizer_data("golden/tok_bert_pairs.jsonl"));
  std::string input;
  std::vector<nlohmann::json> expected;
  for (const auto& row : golden)  // rows with a second text and max_length 16
    if (!row["b"].is_null() && row["max_length"] == 16 && expected.size() < 3) {
      input += row["a"].get<std::string>() + "\t" + row["b"].get<std::string>() + "\n";
      expected.push_back(row);
    }
  ASSERT_EQ(expected.size(), 3u);
  const CliRun run =
      run_cli(dir, "--tokenizer '" + tokenizer_data("bert_uncased") + "' --pair --max-length 16", input);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = json_lines(run.out);
  ASSERT_EQ(rows.size(), expected.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i]["ids"], expected[i]["input_ids"]) << i;
    EXPECT_EQ(rows[i]["token_type_ids"], expected[i]["token_type_ids"]) << i;
    EXPECT_EQ(rows[i]["attention_mask"], expected[i]["attention_mask"]) << i;
    EXPECT_EQ(rows[i]["tokens"].size(), 16u);
  }
}

TEST(TokenizeCli, SingleLinesWithGpt2) {
  testing::TempDir dir;
  const CliRun run = run_cli(dir, "--tokenizer '" + tokenizer_data("gpt2") + "'",
                          "Hello, world!\n\nhello world\r\n");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto rows = json_lines(run.out);
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0]["ids"], nlohmann::json({15496, 11, 995, 0}));
  EXPECT_EQ(rows[0]["tokens"], nlohmann::json({"Hello", ",", "\xC4\xA0world", "!"}));
  EXPECT_EQ(rows[1]["ids"], nlohmann::json::array());
  EXPECT_EQ(rows[2]["ids"], nlohmann::json({31373, 995}));
  EXPECT_FALSE(rows[0].contains("attention_mask"));
}

TEST(TokenizeCli, ErrorsAreOneLine) {
  testing::TempDir dir;
  CliRun run = run_cli(dir, "--tokenizer '" + tokenizer_data("bert_uncased") + "' --pair",
                    "a\tb\nno tab here\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("stdin line 2"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find('\n'), run.err.size() - 1) << run.err;

  run = run_cli(dir, "--tokenizer '" + dir.file("missing") + "'", "x\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("not found"), std::string::npos) << run.err;
}
#else
TEST(TokenizeCli, NotBuilt) { GTEST_SKIP() << "BERTOLOGY_CLI is not defined (tools not built)"; }
#endif

}  // namespace
}  // namespace bertology

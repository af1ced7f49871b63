// The shipped demo (demo/model, demo/data): the model reproduces the dev score its training run
// recorded, stays within the size budget, and its trimmed vocabulary tokenizes the demo data to
// the same pieces as bert-base-uncased's full vocabulary.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <bertology/bertology/task_data.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <nlohmann/json.hpp>

#include "temp_dir.h"

using namespace bertology;
namespace fs = std::filesystem;

namespace {

const fs::path kDemo = fs::path(BERTOLOGY_SOURCE_DIR) / "demo";

nlohmann::json train_record() {
  std::ifstream in(kDemo / "model" / "train_results.json");
  return nlohmann::json::parse(in);
}

std::vector<std::string> lines_of(const fs::path& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

}  // namespace

TEST(Demo, ModelReproducesItsRecordedDevScore) {
  const nlohmann::json record = train_record();
  auto model = load_model((kDemo / "model").string());
  auto tokenizer = load_tokenizer((kDemo / "model").string());
  TaskDataOptions task;
  task.task = "cola";
  task.data_dir = (kDemo / "data" / "austen-order").string();
  task.max_seq_length = record["options"]["max_seq_length"].get<int64_t>();
  EvalData dev = load_task_data(task, *model, *tokenizer);
  ASSERT_EQ(dev.examples.size(), record["task"]["dev_examples"].get<size_t>());
  HeadStatsOptions eval_only;
  eval_only.compute_entropy = eval_only.compute_importance = false;
  eval_only.batch_size = record["options"]["batch_size"].get<int64_t>();
  const double mcc = task_score(dev, compute_head_stats(*model, dev, eval_only).predictions, "mcc");
  EXPECT_NEAR(mcc, record["best_dev_score"].get<double>(), 1e-9);
}

TEST(Demo, ModelFolderIsAtMostEightMegabytes) {
  uintmax_t bytes = 0;
  for (const auto& entry : fs::directory_iterator(kDemo / "model")) bytes += entry.file_size();
  EXPECT_LE(bytes, 8'000'000u);
}

TEST(Demo, TrimmedVocabularyTokenizesTheDataLikeTheFullOne) {
  // bert-base-uncased's vocab.txt, rebuilt from the test copy's format as demo/make_demo_vocab.py
  // --write-full does: "▁word" is a word-initial entry, a bare entry a "##" continuation.
  test_support::TempDir dir;
  {
    std::ifstream in(std::string(BERTOLOGY_TEST_DATA_DIR) + "/tokenizer/bert_uncased/vocab.txt");
    std::ofstream out(dir.file("vocab.txt"));
    const std::string mark = "\xE2\x96\x81";  // ▁
    int index = 0;
    for (std::string e; std::getline(in, e); ++index) {
      if (index == 1 && e == mark) out << "[unused0]\n";
      else if (e.rfind(mark, 0) == 0) out << e.substr(mark.size()) << "\n";
      else if (e.size() > 2 && e.front() == '[' && e.back() == ']') out << e << "\n";
      else out << "##" << e << "\n";
    }
    std::ofstream(dir.file("tokenizer_config.json")) << R"({"tokenizer_class": "BertTokenizer", "do_lower_case": true})";
  }
  auto full = load_tokenizer(dir.path());
  auto trimmed = load_tokenizer((kDemo / "model").string());
  int64_t compared = 0;
  for (const char* file : {"austen-order/dev.tsv", "austen-order/train.tsv"}) {
    std::vector<std::string> rows = lines_of(kDemo / "data" / file);
    for (size_t r = 0; r < rows.size(); r += 7) {  // every 7th row keeps the test quick
      const std::string sentence = rows[r].substr(rows[r].rfind('\t') + 1);
      Encoding a = full->encode(sentence), b = trimmed->encode(sentence);
      ASSERT_EQ(a.tokens, b.tokens) << file << " row " << r << ": " << sentence;
      ++compared;
    }
  }
  EXPECT_GT(compared, 3000);
}

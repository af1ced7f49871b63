// `bertology train` (train_model) on the fixture models: a BERT classifier on GLUE-format data
// written by the test, a classifier built on a masked-LM body, masked-LM and GPT-2 language-model
// training; the saved best epoch reproduces its recorded dev score; runs are bitwise repeatable;
// bad options and inputs fail with one line and leave no output folder.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <bertology/bertology/task_data.h>
#include <bertology/bertology/train.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <nlohmann/json.hpp>

#include "bertology/tiny_models.h"

using namespace bertology;
using namespace bertology::tiny_models;

namespace {

// MNLI-format train.tsv and dev_matched.tsv whose label is a function of the first word, so a
// model can learn it.
std::string learnable_mnli(const TempDir& dir, int train_rows, int dev_rows) {
  fs::path data = fs::path(dir.path()) / "mnli";
  fs::create_directories(data);
  const char* labels[] = {"contradiction", "entailment", "neutral"};
  auto tsv = [&](int rows, int offset) {
    std::string t = "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n";
    for (int i = offset; i < offset + rows; ++i)
      t += std::to_string(i) + "\t0\t0\tfiction\t-\t-\t-\t-\t" + kWords[i % 3] + " " + sentence(i, 3 + i % 4) +
           "\t" + sentence(i + 3, 3) + "\t-\t" + labels[i % 3] + "\n";
    return t;
  };
  write(data / "train.tsv", tsv(train_rows, 0));
  write(data / "dev_matched.tsv", tsv(dev_rows, 1000));
  return data.string();
}

// CoLA-format train.tsv and dev.tsv (no header: source, label, mark, sentence).
std::string cola_dir(const TempDir& dir) {
  fs::path data = fs::path(dir.path()) / "cola";
  fs::create_directories(data);
  auto tsv = [](int rows, int offset) {
    std::string t;
    for (int i = offset; i < offset + rows; ++i) t += "src\t" + std::to_string(i % 2) + "\t\t" + sentence(i, 4) + "\n";
    return t;
  };
  write(data / "train.tsv", tsv(16, 0));
  write(data / "dev.tsv", tsv(8, 100));
  return data.string();
}

std::string lm_dir(const TempDir& dir) {
  fs::path data = fs::path(dir.path()) / "lm";
  fs::create_directories(data);
  std::string train, dev;
  // One line each: the tiny GPT-2 vocabulary has no id for the newline's byte symbol.
  for (int i = 0; i < 12; ++i) train += (i ? " " : "") + sentence(i, 8);
  for (int i = 0; i < 4; ++i) dev += (i ? " " : "") + sentence(i + 50, 8);
  write(data / "train.txt", train);
  write(data / "dev.txt", dev);
  return data.string();
}

// Waits up to 60 s for `ready`; false when it never became true.
bool wait_for(const std::function<bool()>& ready) {
  for (int i = 0; i < 600; ++i) {
    if (ready()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TrainOptions classifier_options(const TempDir& dir) {
  TrainOptions o;
  o.model_dir = model_with_tokenizer(dir, "bert_small");
  o.task = "mnli";
  o.data_dir = learnable_mnli(dir, 48, 24);
  o.output_dir = dir.file("trained");
  o.epochs = 3;
  o.batch_size = 8;
  o.max_seq_length = 32;
  o.learning_rate = 2e-3;
  return o;
}

}  // namespace

TEST(Train, ClassifierSavesTheBestEpochWhichReproducesItsDevScore) {
  TempDir dir;
  TrainOptions o = classifier_options(dir);
  TrainSummary s = train_model(o);
  ASSERT_EQ(s.epochs.size(), 3u);
  EXPECT_LT(s.epochs.back().train_loss, s.epochs.front().train_loss);
  EXPECT_GT(s.best_score, s.initial_score);

  const fs::path out = o.output_dir;
  for (const char* f : {"config.json", "model.safetensors", "vocab.txt", "train_results.json"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  std::ifstream in(out / "train_results.json");
  nlohmann::json record = nlohmann::json::parse(in);
  EXPECT_EQ(record["best_epoch"].get<int64_t>(), s.best_epoch);
  EXPECT_EQ(record["epochs"].size(), 3u);
  EXPECT_DOUBLE_EQ(record["best_dev_score"].get<double>(), s.best_score);

  // The saved folder is an ordinary model folder: loading it and scoring dev gives the score
  // recorded for the best epoch, exactly.
  auto model = load_model(out.string());
  auto tokenizer = load_tokenizer(out.string());
  EvalData dev = load_task_data({"mnli", o.data_dir, "", GlueSplit::Dev, o.max_seq_length, o.seed}, *model, *tokenizer);
  HeadStatsOptions eval_only;
  eval_only.compute_entropy = eval_only.compute_importance = false;
  eval_only.batch_size = o.batch_size;
  EXPECT_EQ(task_score(dev, compute_head_stats(*model, dev, eval_only).predictions, s.metric_name), s.best_score);
}

TEST(Train, RepeatedRunsAreBitwiseIdentical) {
  TempDir dir;
  TrainOptions o = classifier_options(dir);
  o.epochs = 1;
  train_model(o);
  const std::string first = read_file(fs::path(o.output_dir) / "model.safetensors");
  o.overwrite_output_dir = true;
  train_model(o);
  EXPECT_EQ(read_file(fs::path(o.output_dir) / "model.safetensors"), first);
  o.seed = 7;  // a different seed shuffles and drops out differently
  train_model(o);
  EXPECT_NE(read_file(fs::path(o.output_dir) / "model.safetensors"), first);
}

TEST(Train, ClassifierOnAMaskedLanguageModelBody) {
  TempDir dir;
  TrainOptions o;
  o.model_dir = model_with_tokenizer(dir, "bert_mlm");
  o.architecture = "BertForSequenceClassification";
  o.task = "cola";
  o.data_dir = cola_dir(dir);
  o.output_dir = dir.file("cola_model");
  o.epochs = 1;
  o.batch_size = 4;
  TrainSummary s = train_model(o);
  EXPECT_EQ(s.metric_name, "mcc");
  auto model = load_model(o.output_dir);
  EXPECT_EQ(model->class_name(), "BertForSequenceClassification");
  EXPECT_EQ(model->config().num_labels, 2);
}

TEST(Train, LanguageModelsOnPlainText) {
  for (const std::string family : {"bert_mlm", "gpt2_lm"}) {
    TempDir dir;
    TrainOptions o;
    o.model_dir = model_with_tokenizer(dir, family);
    o.task = "lm";
    o.data_dir = lm_dir(dir);
    o.output_dir = dir.file("lm_model");
    o.epochs = 2;
    o.batch_size = 4;
    o.max_seq_length = 16;
    o.learning_rate = 1e-3;
    TrainSummary s = train_model(o);
    EXPECT_EQ(s.metric_name, "perplexity") << family;
    EXPECT_LT(s.best_score, s.initial_score) << family;
    EXPECT_TRUE(fs::exists(fs::path(o.output_dir) / "model.safetensors")) << family;
  }
}

TEST(Train, BadOptionsAndInputsFailWithOneLineAndLeaveNoOutput) {
  TempDir dir;
  TrainOptions good = classifier_options(dir);
  auto expect_error = [&](TrainOptions o, const std::string& part) {
    try {
      train_model(o);
      ADD_FAILURE() << "no error for " << part;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_NE(message.find(part), std::string::npos) << message;
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    EXPECT_FALSE(fs::exists(o.output_dir)) << part;
    for (const auto& entry : fs::directory_iterator(dir.path()))
      EXPECT_EQ(entry.path().filename().string().find(".partial-"), std::string::npos) << entry.path();
  };
  TrainOptions o = good;
  o.epochs = 0;
  expect_error(o, "--epochs must be at least 1");
  o = good;
  o.learning_rate = -1;
  expect_error(o, "--learning-rate must be positive");
  o = good;
  o.warmup_ratio = 1.5;
  expect_error(o, "--warmup-ratio");
  o = good;
  o.data_dir = dir.file("missing");
  expect_error(o, "missing");
  o = good;
  o.task = "lm";  // a classifier has no language-model head
  expect_error(o, "needs a language-model head");
  o = good;
  o.metric_name = "f1";  // refused before the first evaluation, not after it
  expect_error(o, "metric 'f1' is not reported for task mnli (acc)");

  // The output folder is the input model: refused before anything is written.
  o = good;
  o.output_dir = o.model_dir;
  o.overwrite_output_dir = true;
  const std::string weights = read_file(fs::path(o.model_dir) / "model.safetensors");
  EXPECT_THROW(train_model(o), Error);
  EXPECT_EQ(read_file(fs::path(o.model_dir) / "model.safetensors"), weights);
}

// `bertology train` stopped by SIGTERM while training: its ".out.partial-PID" folder is removed
// and it exits with 128 + 15, as a shell reports a killed command.
TEST(Train, InterruptedCommandLineLeavesNoPartialOutput) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = learnable_mnli(dir, 16, 4);
  const std::string train = std::string("'") + BERTOLOGY_CLI + "' train --model '" + model +
                            "' --task mnli --data-dir '" + data + "' --output-dir '" + dir.file("out") +
                            "' --epochs 1000000 --batch-size 4 --max-seq-length 16 --quiet > /dev/null 2>&1";
  // In the background: the shell records the tool's PID, waits for it and writes its exit status.
  const std::string script = "( " + train + " & echo $! > '" + dir.file("pid") + "'; wait $!; echo $? > '" +
                             dir.file("status") + "' ) &";
  ASSERT_EQ(std::system(script.c_str()), 0);
  auto partial_folders = [&] {
    int count = 0;
    for (const auto& entry : fs::directory_iterator(dir.path()))
      count += entry.path().filename().string().rfind(".out.partial-", 0) == 0;
    return count;
  };
  ASSERT_TRUE(wait_for([&] { return partial_folders() == 1 && fs::exists(dir.file("pid")); }));
  const std::string pid = read_file(dir.file("pid"));
  ASSERT_EQ(std::system(("kill -TERM " + pid).c_str()), 0);
  ASSERT_TRUE(wait_for([&] { return fs::exists(dir.file("status")) && !read_file(dir.file("status")).empty(); }));
  EXPECT_EQ(read_file(dir.file("status")), "143\n");
  EXPECT_EQ(partial_folders(), 0);
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

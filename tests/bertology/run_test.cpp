// `bertology run` end to end on the fixture models: a BERT classifier on GLUE-format data
// written by the test, GPT-2 and OpenAI GPT in language-model mode. Checks the output files
// against results.json, the pruned model's score against the masked score, and bad inputs.
#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include <bertology/autograd/graph.h>
#include <bertology/bertology/eval_data.h>
#include <bertology/bertology/npy.h>
#include <bertology/bertology/task_data.h>
#include <bertology/bertology/run.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <nlohmann/json.hpp>

#include "bertology/tiny_models.h"
#include "models/model_test_util.h"

using namespace bertology;
using namespace bertology::model_testing;
using namespace bertology::tiny_models;
namespace fs = std::filesystem;

namespace {

// An MNLI dev_matched.tsv: sentence1 in column 8, sentence2 in column 9, gold label last.
std::string mnli_dir(const TempDir& dir, int rows) {
  fs::path data = fs::path(dir.path()) / "mnli";
  fs::create_directories(data);
  const char* labels[] = {"contradiction", "entailment", "neutral"};
  std::string tsv = "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n";
  for (int i = 0; i < rows; ++i)
    tsv += std::to_string(i) + "\t0\t0\tfiction\t-\t-\t-\t-\t" + sentence(i, 4 + i % 5) + "\t" + sentence(i + 3, 3 + i % 4) +
           "\t" + labels[i % 3] + "\t" + labels[(i * 5) % 3] + "\n";
  write(data / "dev_matched.tsv", tsv);
  return data.string();
}

// The GPT-2 fixture's shapes as a 3-label sequence classifier with random weights, and the
// fixture's tokenizer.
std::string gpt2_classifier(const TempDir& dir) {
  const std::string model = model_with_tokenizer(dir, "gpt2_lm");
  nlohmann::json config = nlohmann::json::parse(std::ifstream(fs::path(model) / "config.json"));
  config["architectures"] = {"GPT2ForSequenceClassification"};
  config["id2label"] = {{"0", "contradiction"}, {"1", "entailment"}, {"2", "neutral"}};
  config["label2id"] = {{"contradiction", 0}, {"entailment", 1}, {"neutral", 2}};
  fs::remove(fs::path(model) / "model.safetensors");
  fs::remove(fs::path(model) / "config.json");
  init_model(parse_config(config.dump()), 3)->save_pretrained(model);
  return model;
}

nlohmann::json read_json(const fs::path& path) {
  std::ifstream in(path);
  return nlohmann::json::parse(in);
}

// Checks a .npy output against the same table in results.json.
void expect_npy_matches(const fs::path& npy, const nlohmann::json& table) {
  Tensor t = load_npy(npy.string());
  ASSERT_EQ(t.dim(), 2) << npy;
  ASSERT_EQ(t.size(0), static_cast<int64_t>(table.size()));
  std::vector<double> v = t.to_vector<double>();
  for (int64_t l = 0; l < t.size(0); ++l)
    for (int64_t h = 0; h < t.size(1); ++h)
      EXPECT_NEAR(v[l * t.size(1) + h], table[l][h].get<double>(), 1e-6 * (1 + std::abs(v[l * t.size(1) + h]))) << npy;
}

RunOptions base_options(const std::string& model, const std::string& out) {
  RunOptions o;
  o.model_dir = model;
  o.output_dir = out;
  o.batch_size = 4;
  o.max_seq_length = 32;
  return o;
}

}  // namespace

TEST(Run, BertOnGlueWritesEveryOutputAndPrunedScoreEqualsMaskedScore) {
  TempDir dir;
  RunOptions o = base_options(model_with_tokenizer(dir, "bert_small"), dir.file("out"));
  o.task = "mnli";
  o.data_dir = mnli_dir(dir, 24);
  o.try_masking = true;
  o.masking_threshold = 0.5;
  o.masking_amount = 0.2;
  std::vector<std::string> log;
  RunObserver observer;
  observer.log = [&](const std::string& line) { log.push_back(line); };
  RunSummary s = run_bertology(o, observer);

  const fs::path out = o.output_dir;
  for (const char* f : {"attn_entropy.npy", "head_importance.npy", "head_mask.npy", "results.json",
                        "pruned_model/config.json", "pruned_model/model.safetensors"})
    EXPECT_TRUE(fs::exists(out / f)) << f;
  nlohmann::json results = read_json(out / "results.json");
  expect_npy_matches(out / "attn_entropy.npy", results["attn_entropy"]);
  expect_npy_matches(out / "head_importance.npy", results["head_importance"]);
  expect_npy_matches(out / "head_mask.npy", results["head_mask"]);
  EXPECT_EQ(results["task"]["metric"], "acc");
  EXPECT_DOUBLE_EQ(results["original_score"].get<double>(), s.original_score);
  ASSERT_TRUE(results.contains("masking"));
  EXPECT_NEAR(results["pruning"]["score_masked"].get<double>(), results["pruning"]["score_pruned"].get<double>(), 1e-9);
  EXPECT_LT(results["pruning"]["parameters_after"].get<int64_t>(),
            results["pruning"]["parameters_before"].get<int64_t>() + 1);
  EXPECT_TRUE(results["versions"].contains("bertology"));

  // The pruned folder reloads with the pruned shapes and scores what the masked model scored.
  std::unique_ptr<PreTrainedModel> pruned = load_model((out / "pruned_model").string());
  int64_t kept = 0;
  for (int64_t l = 0; l < pruned->num_layers(); ++l) kept += static_cast<int64_t>(pruned->kept_heads(l).size());
  EXPECT_EQ(kept, pruned->num_layers() * pruned->num_heads() - s.heads_masked);
  RunOptions again = o;
  again.model_dir = (out / "pruned_model").string();
  EXPECT_TRUE(fs::exists(out / "pruned_model" / "vocab.txt"));  // the tokenizer travels with the model
  again.output_dir = dir.file("out_pruned");
  again.try_masking = false;
  RunSummary reloaded = run_bertology(again);
  EXPECT_NEAR(reloaded.original_score, results["pruning"]["score_masked"].get<double>(), 1e-9);

  bool printed_table = false;
  for (const std::string& line : log) printed_table |= line.find("lv, h >") != std::string::npos;
  EXPECT_TRUE(printed_table);
}

class RunLanguageModel : public ::testing::TestWithParam<std::string> {};

TEST_P(RunLanguageModel, WritesOutputsScoredByPerplexity) {
  TempDir dir;
  RunOptions o = base_options(model_with_tokenizer(dir, GetParam()), dir.file("out"));
  o.task = "lm";
  std::string text;
  for (int i = 0; i < 30; ++i) text += sentence(i, 6) + " ";
  write(dir.file("dev.txt"), text);
  o.data_file = dir.file("dev.txt");
  o.try_masking = true;
  o.masking_threshold = 0.5;
  RunSummary s = run_bertology(o);
  EXPECT_EQ(s.metric_name, "perplexity");
  EXPECT_GT(s.original_score, 1.0);
  nlohmann::json results = read_json(fs::path(o.output_dir) / "results.json");
  expect_npy_matches(fs::path(o.output_dir) / "attn_entropy.npy", results["attn_entropy"]);
  expect_npy_matches(fs::path(o.output_dir) / "head_importance.npy", results["head_importance"]);
  expect_npy_matches(fs::path(o.output_dir) / "head_mask.npy", results["head_mask"]);
  // Lower is better: the final perplexity stays within original / threshold.
  EXPECT_LE(s.final_score, s.original_score / 0.5 + 1e-9);
  EXPECT_NEAR(results["pruning"]["score_masked"].get<double>(), results["pruning"]["score_pruned"].get<double>(),
              1e-6 * s.original_score);

  // Perplexity is the only language-model score (its direction depends on the name): another
  // name is refused before the pass, not scored as perplexity with the wrong direction.
  o.metric_name = "accuracy";
  o.output_dir = dir.file("out2");
  const std::string message = error_of([&] { run_bertology(o); });
  EXPECT_NE(message.find("metric 'accuracy' is not reported for task lm (perplexity)"), std::string::npos) << message;

  // The pruned model runs again as it is; its pruned heads are neither masked again nor counted.
  RunOptions again = o;
  again.metric_name.clear();
  again.model_dir = (fs::path(dir.file("out")) / "pruned_model").string();
  again.output_dir = dir.file("out3");
  again.masking_threshold = 0.01;
  std::unique_ptr<PreTrainedModel> pruned = load_model(again.model_dir);
  int64_t present = 0;
  for (int64_t l = 0; l < pruned->num_layers(); ++l) present += static_cast<int64_t>(pruned->kept_heads(l).size());
  ASSERT_LT(present, pruned->num_layers() * pruned->num_heads()) << "the first run pruned nothing";
  RunSummary second = run_bertology(again);
  EXPECT_LE(second.heads_masked, present);  // at most every head present; the pruned ones are not counted
  nlohmann::json second_results = read_json(fs::path(again.output_dir) / "results.json");
  for (const auto& step : second_results["masking"]["trajectory"])
    EXPECT_EQ(step["heads_masked"].get<int64_t>() + step["heads_remaining"].get<int64_t>(), present);
}

INSTANTIATE_TEST_SUITE_P(Models, RunLanguageModel, ::testing::Values("gpt2_lm", "openai_gpt_lm", "bert_mlm"));

TEST(Run, GptClassifierBatchesAreReadAtEachExamplesLastToken) {
  // The fixture's config.pad_token_id (129) is not the tokenizer's pad id: batches are padded with
  // the config's, so a shorter example's logits are the same in a batch as alone.
  TempDir dir;
  const std::string model_dir = gpt2_classifier(dir);
  std::unique_ptr<PreTrainedModel> model = load_model(model_dir);
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(model_dir);
  ASSERT_NE(model->config().pad_token_id.value_or(-1), tokenizer->pad_token_id());
  EvalData data = load_task_data({"mnli", mnli_dir(dir, 6), "", GlueSplit::Dev, 32, 42}, *model, *tokenizer);
  EXPECT_EQ(data.pad_token_id, model->config().pad_token_id.value_or(-1));
  NoGradGuard values_only;
  const Tensor batched = model->forward(make_batch(data, 0, 6)).logits;  // (6, 3)
  for (int64_t i = 0; i < 6; ++i) {
    const Tensor alone = model->forward(make_batch(data, i, i + 1)).logits;  // (1, 3)
    EXPECT_LT(relative_error(batched.narrow(0, i, 1), alone), 1e-5) << "example " << i;
  }
}

TEST(Run, BadInputsGiveOneClearError) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = mnli_dir(dir, 6);
  auto error = [&](const std::function<void(RunOptions&)>& change) {
    RunOptions o = base_options(model, dir.file("out"));
    o.task = "mnli";
    o.data_dir = data;
    change(o);
    return error_of([&] { run_bertology(o); });
  };
  EXPECT_NE(error([&](RunOptions& o) { o.data_dir = dir.file("missing"); }).find("missing"), std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.task = "sts-b"; }).find("num_labels = 3 but task sts-b has 1"),
            std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.try_masking = true, o.masking_threshold = 1.0; })
                .find("--masking-threshold must be in (0, 1), got 1"),
            std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.try_masking = true, o.masking_amount = 0; })
                .find("--masking-amount must be in (0, 1), got 0"),
            std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.task = "lm"; }).find("--task lm needs a language-model head"),
            std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.metric_name = "f1"; }).find("metric 'f1' is not reported for task mnli"),
            std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.data_file = data + "/dev_matched.tsv"; })
                .find("task mnli reads its split from --data-dir; --data-file is for --task lm"),
            std::string::npos);
  // Wrong column count: the line number is in the message.
  write(fs::path(data) / "dev_matched.tsv", "header\nonly\ttwo\n");
  EXPECT_NE(error([](RunOptions&) {}).find(":2"), std::string::npos);
  // An existing output dir is refused unless asked, and never half-written.
  fs::create_directories(dir.file("out"));
  EXPECT_NE(error([](RunOptions&) {}).find("output dir exists (pass --overwrite-output-dir"), std::string::npos);
  EXPECT_NE(error([&](RunOptions& o) { o.output_dir = model, o.overwrite_output_dir = true; })
                .find("refusing to overwrite the input model"),
            std::string::npos);
}

TEST(Run, LanguageModelTextMustBeUtf8) {
  TempDir dir;
  RunOptions o = base_options(model_with_tokenizer(dir, "gpt2_lm"), dir.file("out"));
  o.task = "lm";
  o.data_file = dir.write("text.txt", "a cat sat .\nthe \xff dog .\n");
  EXPECT_EQ(error_of([&] { run_bertology(o); }), o.data_file + ":2: invalid UTF-8 at byte 5 of the line");
  o.data_file = dir.path();
  EXPECT_EQ(error_of([&] { run_bertology(o); }), dir.path() + ": is a folder, expected a file");
  o.data_dir = dir.path();
  EXPECT_EQ(error_of([&] { run_bertology(o); }), "--task lm reads --data-file or --data-dir, not both: give one");
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

// A threshold relative to an unmasked score of 0 could never stop the loop: masking is skipped
// and says why.
TEST(Run, MaskingIsSkippedWhenTheUnmaskedScoreIsZero) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = mnli_dir(dir, 1);
  RunOptions o = base_options(model, dir.file("probe"));
  o.task = "mnli";
  o.data_dir = data;
  if (run_bertology(o).original_score > 0) {  // the one example was right: give it another label
    std::ifstream in(fs::path(data) / "dev_matched.tsv");
    std::string tsv((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t tab = tsv.rfind('\t');
    const std::string gold = tsv.substr(tab + 1, tsv.size() - tab - 2);
    tsv = tsv.substr(0, tab + 1) + (gold == "entailment" ? "neutral" : "entailment") + "\n";
    write(fs::path(data) / "dev_matched.tsv", tsv);
  }
  o.output_dir = dir.file("out");
  o.try_masking = true;
  RunSummary s = run_bertology(o);
  EXPECT_EQ(s.original_score, 0.0);
  EXPECT_EQ(s.heads_masked, 0);
  const nlohmann::json results = read_json(dir.file("out/results.json"));
  EXPECT_NE(results["masking"]["skipped"].get<std::string>().find("needs a positive score"), std::string::npos);
  EXPECT_FALSE(results.contains("pruning"));
}

// --overwrite-output-dir replaces an earlier output only: never a folder holding the model or the
// data, the current directory, or a folder that is not an earlier output.
TEST(Run, OverwriteNeverReplacesTheInputsOrUnrelatedFolders) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = mnli_dir(dir, 6);
  const std::string weights = file_contents(fs::path(model) / "model.safetensors");
  auto error = [&](const std::string& output) {
    RunOptions o = base_options(model, output);
    o.task = "mnli";
    o.data_dir = data;
    o.overwrite_output_dir = true;
    return error_of([&] { run_bertology(o); });
  };
  const std::string parent = error(dir.path());  // holds the model and the data
  EXPECT_NE(parent.find("--output-dir is or contains the input"), std::string::npos) << parent;
  EXPECT_NE(error(data).find("is or contains the input '" + data + "'"), std::string::npos);
  fs::create_directories(dir.file("notes"));
  write(dir.file("notes/keep.txt"), "keep me\n");
  EXPECT_NE(error(dir.file("notes")).find("is not an earlier output"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir.file("notes/keep.txt")));
  fs::create_directories(dir.file("here/sub"));
  write(dir.file("here/results.json"), "{}");
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.file("here/sub"));
  const std::string message = error(dir.file("here"));
  fs::current_path(cwd);
  EXPECT_NE(message.find("contains the current directory"), std::string::npos) << message;
  EXPECT_EQ(file_contents(fs::path(model) / "model.safetensors"), weights);

  // An earlier output is replaced, and nothing of it is left aside.
  RunOptions o = base_options(model, dir.file("out"));
  o.task = "mnli";
  o.data_dir = data;
  o.data_subset = 4;
  run_bertology(o);
  o.overwrite_output_dir = true;
  run_bertology(o);
  EXPECT_TRUE(fs::exists(dir.file("out/results.json")));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().rfind(".out.", 0), std::string::npos) << e.path();
}

TEST(Run, CommandLineRunsOnAFixtureModel) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = mnli_dir(dir, 8);
  const std::string cmd = std::string(BERTOLOGY_CLI) + " run --model " + model + " --task mnli --data-dir " + data +
                          " --output-dir " + dir.file("out") + " --quiet --batch-size 3 > " + dir.file("log") + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  ASSERT_TRUE(fs::exists(dir.file("out/results.json")));
  EXPECT_NE(read_json(dir.file("out/results.json"))["command_line"].get<std::string>().find("run --model"),
            std::string::npos);
  const std::string bad = std::string(BERTOLOGY_CLI) + " run --model " + model + " --task nope --data-dir " + data +
                          " --output-dir " + dir.file("out2") + " > " + dir.file("err") + " 2>&1";
  EXPECT_NE(std::system(bad.c_str()), 0);
  std::ifstream err(dir.file("err"));
  std::string line;
  std::getline(err, line);
  EXPECT_NE(line.find("bertology run: error: "), std::string::npos) << line;
  EXPECT_FALSE(fs::exists(dir.file("out2")));
}

TEST(Run, KilledRunLeavesNoPartialOutputAndTheModelUntouched) {
  TempDir dir;
  const std::string model = model_with_tokenizer(dir, "bert_small");
  const std::string data = mnli_dir(dir, 4000);  // long enough to be killed mid-way
  auto snapshot = [&] {
    std::string all;
    for (const auto& e : fs::recursive_directory_iterator(model))
      if (e.is_regular_file()) {
        std::ifstream in(e.path(), std::ios::binary);
        all += e.path().string() + std::string(std::istreambuf_iterator<char>(in), {});
      }
    return all;
  };
  const std::string before = snapshot();
  const std::string out = dir.file("out");
  const std::string cmd = std::string(BERTOLOGY_CLI) + " run --model " + model + " --task mnli --data-dir " + data +
                          " --output-dir " + out + " --try-masking --quiet > /dev/null 2>&1 & echo $!";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  long pid = 0;
  ASSERT_EQ(std::fscanf(pipe, "%ld", &pid), 1);
  ::pclose(pipe);
  // Kill it once its scratch folder exists (the run is under way), or after 20 s at most.
  const std::string scratch_prefix = ".out.partial-";
  for (int i = 0; i < 400; ++i) {
    bool started = false;
    for (const auto& e : fs::directory_iterator(dir.path()))
      started |= e.path().filename().string().rfind(scratch_prefix, 0) == 0;
    if (started) break;
    ::usleep(50 * 1000);
  }
  ::usleep(200 * 1000);
  ASSERT_EQ(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
  for (int i = 0; i < 100 && ::kill(static_cast<pid_t>(pid), 0) == 0; ++i) ::usleep(20 * 1000);

  EXPECT_FALSE(fs::exists(out)) << "a killed run must not leave an output folder";
  EXPECT_EQ(snapshot(), before) << "the input model changed";
  // The next run removes the dead run's scratch folder and completes.
  RunOptions o = base_options(model, out);
  o.task = "mnli";
  o.data_dir = data;
  o.data_subset = 8;
  run_bertology(o);
  EXPECT_TRUE(fs::exists(fs::path(out) / "results.json"));
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_NE(e.path().filename().string().rfind(scratch_prefix, 0), 0u) << e.path();
}

// Runs `bertology dump`, `init` and `prune` as a user would: dump must reproduce the fixtures'
// reference outputs and gradients, init must give a loadable HF folder, prune the fixture's
// model_pruned; bad arguments give one error line and exit code 1.
#include <sys/wait.h>

#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/load_model.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "model_test_util.h"

namespace bertology {
namespace {

using namespace model_testing;

#ifdef BERTOLOGY_CLI
struct CliRun {
  int exit_code;
  std::string err;
};

CliRun run_cli(const TempDir& dir, const std::string& arguments) {
  const std::string err = dir.file("stderr.txt");
  const std::string command =
      std::string("'") + BERTOLOGY_CLI + "' " + arguments + " > /dev/null 2> '" + err + "'";
  const int status = std::system(command.c_str());
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

std::string quoted(const std::string& path) { return "'" + path + "'"; }

void expect_matches(const StateDict& ours, const StateDict& ref, const std::string& key, double tol,
                    double floor = 0) {
  ASSERT_TRUE(ours.count(key)) << key;
  ASSERT_TRUE(ref.count(key)) << key;
  EXPECT_LT(relative_error(ours.at(key), ref.at(key), floor), tol) << key;
}

class DumpCli : public ::testing::TestWithParam<const char*> {};

TEST_P(DumpCli, ReproducesReferenceOutputsAndGradients) {
  const std::string family = GetParam();
  TempDir dir;
  const std::string expected_file = fixture(family + "/expected.safetensors");
  const CliRun run =
      run_cli(dir, "dump --model " + quoted(fixture(family + "/model")) + " --inputs " +
                       quoted(expected_file) + " --out " + quoted(dir.file("out.safetensors")) + " --grads");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const StateDict ours = read_safetensors(dir.file("out.safetensors"), false).tensors;
  const StateDict ref = read_safetensors(expected_file, false).tensors;
  const int64_t L = static_cast<int64_t>(fixture_meta(family)["n_layers"]);
  for (int64_t i = 0; i <= L; ++i) expect_matches(ours, ref, concat("hidden.", i), 1e-5);
  for (int64_t i = 0; i < L; ++i) expect_matches(ours, ref, concat("attn.", i), 1e-5);
  expect_matches(ours, ref, "logits", 1e-5);
  expect_matches(ours, ref, "loss", 1e-5);
  expect_matches(ours, ref, "head_mask_grad", 1e-4);
  expect_matches(ours, ref, "head_mask_grad_per_example", 1e-4);
  int grads = 0;
  for (const auto& [key, tensor] : ref)
    if (key.rfind("grad.", 0) == 0) {
      expect_matches(ours, ref, key, 1e-4, 1e-3);  // absolute bound where the reference is ~0 (key bias)
      ++grads;
    }
  EXPECT_GT(grads, 10);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DumpCli, ::testing::Values("bert_small", "gpt2_lm"));

TEST(DumpCliMasked, AppliesTheHeadMaskFile) {
  TempDir dir;
  const std::string expected_file = fixture("bert_mlm/expected.safetensors");
  const StateDict ref = read_safetensors(expected_file, false).tensors;
  write_safetensors(dir.file("mask.safetensors"), {{"head_mask", ref.at("mask")}});
  const CliRun run =
      run_cli(dir, "dump --model " + quoted(fixture("bert_mlm/model")) + " --inputs " +
                       quoted(expected_file) + " --out " + quoted(dir.file("out.safetensors")) +
                       " --grads --head-mask " + quoted(dir.file("mask.safetensors")));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const StateDict ours = read_safetensors(dir.file("out.safetensors"), false).tensors;
  EXPECT_LT(relative_error(ours.at("logits"), ref.at("logits_masked")), 1e-5);
  EXPECT_LT(relative_error(ours.at("loss"), ref.at("loss_masked")), 1e-5);
  EXPECT_LT(relative_error(ours.at("head_mask_grad"), ref.at("head_mask_grad_masked")), 1e-4);
  // The per-example gradients are taken at the given mask too: over the batch they add up to the
  // shared mask's gradient.
  EXPECT_LT(relative_error(sum(ours.at("head_mask_grad_per_example"), {0}), ours.at("head_mask_grad")), 1e-5);

  // An integer mask is refused, naming the file, with or without --grads.
  write_safetensors(dir.file("int_mask.safetensors"), {{"head_mask", ref.at("mask").to(DType::Int64)}});
  for (const char* grads : {"", " --grads"}) {
    const CliRun bad = run_cli(dir, "dump --model " + quoted(fixture("bert_mlm/model")) + " --inputs " +
                                        quoted(expected_file) + " --out " + quoted(dir.file("bad.safetensors")) +
                                        grads + " --head-mask " + quoted(dir.file("int_mask.safetensors")));
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find("int_mask.safetensors: the head mask must be a float tensor, got int64"), std::string::npos)
        << bad.err;
    EXPECT_FALSE(std::filesystem::exists(dir.file("bad.safetensors")));
  }
}

TEST(DumpCliErrors, OneLineAndExitCodeOne) {
  TempDir dir;
  CliRun run = run_cli(dir, "dump --inputs x.safetensors --out y.safetensors");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "bertology dump: error: missing required option --model\n");
  run = run_cli(dir, "dump --model " + quoted(fixture("bert_small/model")) + " --inputs " +
                         quoted(fixture("bert_small/model/model.safetensors")) + " --out " +
                         quoted(dir.file("o")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("no tensor 'input.input_ids'"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
}

TEST(InitCli, WritesALoadableReproducibleModel) {
  TempDir dir;
  const std::string config = quoted(fixture("gpt2_lm/model/config.json"));
  ASSERT_EQ(
      run_cli(dir, "init --config " + config + " --out " + quoted(dir.file("a")) + " --seed 7").exit_code, 0);
  ASSERT_EQ(
      run_cli(dir, "init --config " + config + " --out " + quoted(dir.file("b")) + " --seed 7").exit_code, 0);
  const SafetensorsFile a = read_safetensors(dir.file("a/model.safetensors"));
  const SafetensorsFile b = read_safetensors(dir.file("b/model.safetensors"));
  for (const auto& [name, tensor] : a.tensors)
    EXPECT_EQ(tensor.to_vector<float>(), b.tensors.at(name).to_vector<float>());
  // HF's init: normal(0, 0.02) weights, zero biases, unit LayerNorm weights.
  const Tensor wte = a.tensors.at("transformer.wte.weight");
  EXPECT_NEAR(norm(wte) / std::sqrt(static_cast<double>(wte.numel())), 0.02, 0.002);
  EXPECT_EQ(norm(a.tensors.at("transformer.h.0.attn.c_attn.bias")), 0.0);
  EXPECT_EQ(a.tensors.at("transformer.ln_f.weight").to_vector<float>(), std::vector<float>(32, 1.0f));
  auto model = load_model(dir.file("a"));
  EXPECT_EQ(model->class_name(), "GPT2LMHeadModel");
  ModelInputs in;
  in.input_ids = Tensor::ones({1, 5}, DType::Int64);
  EXPECT_EQ(model->forward(in).logits.sizes(), (Shape{1, 5, 130}));
}

// init, prune and dump never write over a model or an input: one error line, exit code 1, and
// the files are unchanged.
TEST(ModelCliOutputs, NeverOverwriteAModelOrAnInput) {
  TempDir dir;
  std::filesystem::copy(fixture("bert_small/model"), dir.file("m"));
  const std::string weights = file_contents(dir.file("m/model.safetensors"));
  const std::string model = quoted(dir.file("m"));
  CliRun run = run_cli(dir, "init --config " + quoted(fixture("gpt2_lm/model/config.json")) + " --out " + model);
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("already holds a model (config.json)"), std::string::npos) << run.err;
  run = run_cli(dir, "prune --model " + model + " --heads 0:1 --out " + quoted(dir.path()));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("is or contains the input"), std::string::npos) << run.err;
  std::ofstream(dir.file("m/vocab.txt")) << "[PAD]\n[UNK]\n";
  ASSERT_EQ(run_cli(dir, "prune --model " + model + " --heads 0:1 --out " + quoted(dir.file("p"))).exit_code, 0);
  EXPECT_EQ(file_contents(dir.file("p/vocab.txt")), "[PAD]\n[UNK]\n");  // the tokenizer comes along
  run = run_cli(dir, "prune --model " + model + " --heads 0:2 --out " + quoted(dir.file("p")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("already holds a model"), std::string::npos) << run.err;
  // An empty folder may receive the pruned model; a folder holding other files may not.
  std::filesystem::create_directory(dir.file("empty"));
  EXPECT_EQ(run_cli(dir, "prune --model " + model + " --heads 0:2 --out " + quoted(dir.file("empty"))).exit_code, 0);
  EXPECT_TRUE(std::filesystem::exists(dir.file("empty/vocab.txt")));
  std::filesystem::create_directory(dir.file("notes"));
  std::ofstream(dir.file("notes/n.txt")) << "mine\n";
  run = run_cli(dir, "prune --model " + model + " --heads 0:2 --out " + quoted(dir.file("notes")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("--out is a folder that is not empty"), std::string::npos) << run.err;
  EXPECT_EQ(file_contents(dir.file("notes/n.txt")), "mine\n");
  const std::string inputs = quoted(fixture("bert_small/expected.safetensors"));
  run = run_cli(dir, "dump --model " + model + " --inputs " + inputs + " --out " + quoted(dir.file("m/model.safetensors")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("inside the model folder"), std::string::npos) << run.err;
  std::filesystem::copy_file(fixture("bert_small/expected.safetensors"), dir.file("in.safetensors"));
  run = run_cli(dir, "dump --model " + model + " --inputs " + quoted(dir.file("in.safetensors")) + " --out " +
                         quoted(dir.file("./in.safetensors")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("is the input file"), std::string::npos) << run.err;
  EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1);
  // dump replaces an earlier dump, never another file.
  std::ofstream(dir.file("notes.txt")) << "my notes\n";
  run = run_cli(dir, "dump --model " + model + " --inputs " + inputs + " --out " + quoted(dir.file("notes.txt")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("exists and is not a safetensors file; refusing to replace it"), std::string::npos) << run.err;
  EXPECT_EQ(file_contents(dir.file("notes.txt")), "my notes\n");
  ASSERT_EQ(run_cli(dir, "dump --model " + model + " --inputs " + inputs + " --out " + quoted(dir.file("d.safetensors"))).exit_code, 0);
  EXPECT_EQ(run_cli(dir, "dump --model " + model + " --inputs " + inputs + " --out " + quoted(dir.file("d.safetensors"))).exit_code, 0);
  EXPECT_EQ(file_contents(dir.file("m/model.safetensors")), weights);
  EXPECT_EQ(file_contents(dir.file("in.safetensors")), file_contents(fixture("bert_small/expected.safetensors")));
}

TEST(PruneCli, ReproducesTheFixturesPrunedModel) {
  TempDir dir;
  const CliRun run = run_cli(dir, "prune --model " + quoted(fixture("bert_small/model")) +
                                      " --heads '0:1,3;2:0,1,2,3' --out " + quoted(dir.file("p")));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const SafetensorsFile ours = read_safetensors(dir.file("p/model.safetensors"));
  const SafetensorsFile ref = read_safetensors(fixture("bert_small/model_pruned/model.safetensors"));
  ASSERT_EQ(ours.tensors.size(), ref.tensors.size());
  for (const auto& [name, tensor] : ref.tensors)
    EXPECT_EQ(ours.tensors.at(name).to_vector<float>(), tensor.to_vector<float>()) << name;
  EXPECT_EQ(load_config(dir.file("p/config.json")).pruned_heads,
            load_config(fixture("bert_small/model_pruned/config.json")).pruned_heads);

  const CliRun bad = run_cli(dir, "prune --model " + quoted(fixture("bert_small/model")) +
                                      " --heads '0:x' --out " + quoted(dir.file("q")));
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("--heads: 'x' is not a layer or head number"), std::string::npos) << bad.err;
  // A layer without heads, or an empty entry, is a mistake, not a request to prune nothing.
  for (const char* heads : {"0:", "0:1;;2:0"}) {
    const CliRun empty = run_cli(dir, "prune --model " + quoted(fixture("bert_small/model")) + " --heads '" + heads +
                                          "' --out " + quoted(dir.file("q")));
    EXPECT_EQ(empty.exit_code, 1) << heads;
    EXPECT_NE(empty.err.find("--heads: "), std::string::npos) << empty.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir.file("q")));
}
#endif

}  // namespace
}  // namespace bertology

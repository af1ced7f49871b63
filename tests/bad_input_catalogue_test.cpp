// The hostile-input catalogue (tests/data/bad, written by make_bad_files.py): every case is read
// by its parser and must fail with exactly the message in expected_errors.tsv, as a
// bertology::Error. Every file in the catalogue must belong to a case, so none goes untested.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <unistd.h>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <bertology/bertology/glue.h>
#include <bertology/bertology/npy.h>
#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/checkpoint/pytorch_bin.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/config.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/models/tokenizer/gpt2_tokenizer.h>
#include <bertology/tensor/error.h>

namespace bertology {
namespace {

namespace fs = std::filesystem;

const fs::path kCatalogue = fs::path(BERTOLOGY_TEST_DATA_DIR) / "bad";

struct Case {
  std::string relative;  // e.g. "npy/bad_magic.npy" or "sharded/missing_shard"
  std::string expected;  // with {path} for the case's path
};

std::vector<Case> read_manifest() {
  std::ifstream in(kCatalogue / "expected_errors.tsv");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      ADD_FAILURE() << "expected_errors.tsv: no tab in line: " << line;
      continue;
    }
    cases.push_back({line.substr(0, tab), line.substr(tab + 1)});
  }
  return cases;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

// Reads the case at `path` with the parser its first folder names (see make_bad_files.py).
void load_with_its_parser(const std::string& relative, const std::string& path) {
  const std::string kind = relative.substr(0, relative.find('/'));
  if (kind == "safetensors") {
    read_safetensors(path);
  } else if (kind == "pytorch_bin") {
    read_pytorch_bin(path);
  } else if (kind == "sharded") {
    load_checkpoint(path);
  } else if (kind == "config") {
    load_config(path);
  } else if (kind == "vocab_txt") {
    BertTokenizer::from_file(path);
  } else if (kind == "bpe") {
    Gpt2Tokenizer::from_files(path + "/vocab.json", path + "/merges.txt");
  } else if (kind == "glue") {
    const std::string task = fs::path(relative).parent_path().filename().string();
    read_glue_file(glue_task(task), path, GlueSplit::Dev);
  } else if (kind == "npy") {
    load_npy(path);
  } else {
    throw std::logic_error("no parser for catalogue folder '" + kind + "'");
  }
}

// To add a case: add it to make_bad_files.py with an empty message, rerun the script, run this
// test with BERTOLOGY_CATALOGUE_ACTUAL=FILE (each case and its actual message, as the manifest
// would hold it), check the message reads well, and put it in make_bad_files.py.
TEST(BadInputCatalogue, EveryCaseFailsWithItsExactMessage) {
  const std::vector<Case> cases = read_manifest();
  ASSERT_GT(cases.size(), 50u);
  const char* actual_path = std::getenv("BERTOLOGY_CATALOGUE_ACTUAL");
  std::ofstream actual_out;
  if (actual_path != nullptr) actual_out.open(actual_path);
  for (const Case& c : cases) {
    const std::string path = (kCatalogue / c.relative).string();
    const std::string expected = replace_all(c.expected, "{path}", path);
    ASSERT_TRUE(fs::exists(path)) << c.relative;
    std::string actual = "(no error)";
    try {
      load_with_its_parser(c.relative, path);
      ADD_FAILURE() << c.relative << ": loaded without an error; expected: " << expected;
    } catch (const Error& e) {
      actual = e.what();
      EXPECT_EQ(actual, expected) << c.relative;
    } catch (const std::exception& e) {
      ADD_FAILURE() << c.relative << ": not a bertology::Error: " << e.what();
    }
    if (actual_out.is_open()) actual_out << c.relative << '\t' << replace_all(actual, path, "{path}") << '\n';
  }
}

TEST(BadInputCatalogue, EveryFileBelongsToACase) {
  std::set<std::string> case_paths;
  for (const Case& c : read_manifest()) case_paths.insert(c.relative);
  const std::set<std::string> not_cases = {"README.md", "make_bad_files.py", "expected_errors.tsv"};
  for (const auto& entry : fs::recursive_directory_iterator(kCatalogue)) {
    if (!entry.is_regular_file()) continue;
    const std::string relative = fs::relative(entry.path(), kCatalogue).string();
    if (not_cases.count(relative)) continue;
    // A file is covered by its own case or by the folder case holding it.
    const bool covered = case_paths.count(relative) ||
                         case_paths.count(fs::path(relative).parent_path().string());
    EXPECT_TRUE(covered) << relative << " is in the catalogue but has no line in expected_errors.tsv";
  }
}

}  // namespace
}  // namespace bertology

// ---- cases too big to check in, built at run time ---------------------------------------------

namespace bertology {
namespace {

class BadInputAtRunTime : public ::testing::Test {
 protected:
  fs::path dir_ = fs::temp_directory_path() / ("bertology_bad_input_" + std::to_string(::getpid()));
  void SetUp() override { fs::create_directories(dir_); }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // A file of `size` bytes that starts with `head` and is a hole after it (no disk used).
  std::string write_sparse(const std::string& name, const std::string& head, uintmax_t size) {
    const std::string path = write(name, head);
    fs::resize_file(path, size);
    return path;
  }
};

template <class Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

// "PATH: needs SIZE of memory for WHAT; only N GB is available", N being this machine's.
void expect_not_enough_memory(const std::string& message, const std::string& expected_start) {
  EXPECT_EQ(message.substr(0, expected_start.size()), expected_start) << message;
  EXPECT_NE(message.find("; only "), std::string::npos) << message;
  EXPECT_EQ(message.substr(message.size() - 13), " is available") << message;
}

constexpr uintmax_t kTwoTerabytes = uintmax_t{2} << 40;

TEST_F(BadInputAtRunTime, HundredMegabyteLineInAGlueFile) {
  const std::string path = write("dev.tsv", "gj04\t1\t\t" + std::string(100'000'000, 'a') + "\n");
  EXPECT_EQ(error_of([&] { read_glue_file(glue_task("cola"), path, GlueSplit::Dev); }),
            path + ":1: the line is 100000008 bytes long (at most 1048576; is this a tab-separated data file?)");
}

TEST_F(BadInputAtRunTime, HundredMegabyteLineInAVocabTxt) {
  const std::string path = write("vocab.txt", "[PAD]\n[UNK]\n" + std::string(100'000'000, 'a') + "\n");
  EXPECT_EQ(error_of([&] { BertTokenizer::from_file(path); }),
            path + ":3: a line of 100000000 bytes; a vocab.txt holds one token per line (at most 1024 bytes)");
}

TEST_F(BadInputAtRunTime, ModelLargerThanMemory) {
  // 2^30 tokens x 4096 dimensions: 17.6 TB of embeddings alone.
  fs::create_directories(dir_ / "huge");
  const std::string config_path = write("huge/config.json", R"({"model_type": "bert", "vocab_size": 1073741824,
      "hidden_size": 4096, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64})");
  expect_not_enough_memory(error_of([&] { load_model((dir_ / "huge").string()); }),
                           config_path + ": needs 17.6 TB of memory for the model's weights");
  expect_not_enough_memory(error_of([&] { init_model(load_config(config_path), 0); }),
                           config_path + ": needs 17.6 TB of memory for the model's weights");
}

TEST_F(BadInputAtRunTime, CheckpointLargerThanMemory) {
  // One F16 tensor of 2^40 elements (2 TB in the file, a hole): 4.4 TB once converted to float32.
  const std::string header = R"({"w":{"dtype":"F16","shape":[1099511627776],"data_offsets":[0,2199023255552]}})";
  std::string head(8, '\0');
  for (int i = 0; i < 8; ++i) head[i] = static_cast<char>((header.size() >> (8 * i)) & 0xFF);
  const std::string path = write_sparse("model.safetensors", head + header, 8 + header.size() + kTwoTerabytes);
  expect_not_enough_memory(error_of([&] { read_safetensors(path); }),
                           path + ": needs 4.4 TB of memory for its tensors in float32");
}

TEST_F(BadInputAtRunTime, DatasetLargerThanMemory) {
  const std::string path = write_sparse("dev.tsv", "gj04\t1\t\tA sentence.\n", kTwoTerabytes);
  expect_not_enough_memory(error_of([&] { read_glue_file(glue_task("cola"), path, GlueSplit::Dev); }),
                           path + ": needs 4.4 TB of memory for reading it");
}

}  // namespace
}  // namespace bertology

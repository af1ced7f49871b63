// Shared helpers of the tokenizer tests: paths into tests/data/tokenizer and a JSON-lines
// reader for the HuggingFace golden files.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "temp_dir.h"

namespace bertology::testing {

inline std::string tokenizer_data(const std::string& name) {
  return std::string(BERTOLOGY_TEST_DATA_DIR) + "/tokenizer/" + name;
}

// Every line of a .jsonl file, parsed; fails the test if the file is missing or empty.
inline std::vector<nlohmann::json> read_jsonl(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot open " << path;
  std::vector<nlohmann::json> rows;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) rows.push_back(nlohmann::json::parse(line));
  EXPECT_FALSE(rows.empty()) << path << " has no rows";
  return rows;
}

// The shared temp folder (tests/temp_dir.h) plus copying from tests/data/tokenizer.
class TempDir : public test_support::TempDir {
 public:
  // Copies a file of tests/data/tokenizer into this folder under `name`.
  void copy_from_data(const std::string& data_name, const std::string& name) const {
    std::filesystem::copy_file(tokenizer_data(data_name), file(name));
  }
};

template <class T>
std::vector<T> as_vector(const nlohmann::json& array) {
  return array.get<std::vector<T>>();
}

}  // namespace bertology::testing

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

// A fresh folder under the system temp folder, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    const auto base = std::filesystem::temp_directory_path();
    const std::string stem = "bertology_tok_" + std::to_string(::getpid()) + "_";
    do {
      path_ = base / (stem + std::to_string(counter++));
    } while (!std::filesystem::create_directory(path_));
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  std::string path() const { return path_.string(); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  // Writes content (bytes as given) to path()/name and returns the file's path.
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream out(file(name), std::ios::binary);
    out << content;
    return file(name);
  }
  // Copies a file of tests/data/tokenizer into this folder under `name`.
  void copy_from_data(const std::string& data_name, const std::string& name) const {
    std::filesystem::copy_file(tokenizer_data(data_name), file(name));
  }

 private:
  std::filesystem::path path_;
};

template <class T>
std::vector<T> as_vector(const nlohmann::json& array) {
  return array.get<std::vector<T>>();
}

}  // namespace bertology::testing

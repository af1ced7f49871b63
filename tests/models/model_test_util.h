// Shared helpers of the model tests: fixture paths in tests/data/fixtures, the reference outputs
// (float64, from HF transformers), relative errors and a self-deleting temporary folder.
#pragma once
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include <unistd.h>

#include "temp_dir.h"

#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/model.h>

namespace bertology::model_testing {

inline std::string fixture(const std::string& name) {
  return std::string(BERTOLOGY_TEST_DATA_DIR) + "/fixtures/" + name;
}

// The fixture's expected.safetensors, kept in float64.
inline StateDict expected_outputs(const std::string& family) {
  return read_safetensors(fixture(family + "/expected.safetensors"), /*convert_to_float32=*/false).tensors;
}

inline nlohmann::json fixture_meta(const std::string& family) {
  std::ifstream in(fixture(family + "/meta.json"));
  return nlohmann::json::parse(in);
}

// meta.json's pruned_heads as prune_heads() takes them.
inline std::map<int64_t, std::vector<int64_t>> meta_pruned_heads(const std::string& family) {
  std::map<int64_t, std::vector<int64_t>> heads;
  const nlohmann::json meta = fixture_meta(family);  // kept alive for the loop
  for (const auto& [layer, list] : meta["pruned_heads"].items())
    heads[std::stoll(layer)] = list.get<std::vector<int64_t>>();
  return heads;
}

// The batch stored under input.* (token_type_ids only where the fixture has them).
inline ModelInputs fixture_inputs(const StateDict& expected) {
  ModelInputs in;
  in.input_ids = expected.at("input.input_ids");
  in.attention_mask = expected.at("input.attention_mask");
  if (expected.count("input.token_type_ids")) in.token_type_ids = expected.at("input.token_type_ids");
  in.labels = expected.at("input.labels");
  return in;
}

// Row b of every (B, ...) input, as a batch of one.
inline ModelInputs single_example(const ModelInputs& in, int64_t b) {
  ModelInputs one;
  auto row = [&](const Tensor& t) { return t.defined() ? t.narrow(0, b, 1).contiguous() : Tensor(); };
  one.input_ids = row(in.input_ids);
  one.attention_mask = row(in.attention_mask);
  one.token_type_ids = row(in.token_type_ids);
  one.labels = row(in.labels);
  return one;
}

// The device the parity tests run the models on: BERTOLOGY_TEST_DEVICE=cuda on the GPU machine
// (bench/gpu_check.sh), the CPU otherwise. Inputs and references stay on the CPU; forward()
// moves the inputs, and results are compared after coming back.
inline Device test_device() {
  const char* name = std::getenv("BERTOLOGY_TEST_DEVICE");
  return name != nullptr && *name != '\0' ? parse_device(name) : Device::cpu();
}

// ‖ours − ref‖ / max(‖ref‖, floor), over all elements (shapes must hold the same count).
inline double relative_error(const Tensor& ours, const Tensor& ref, double floor = 0.0) {
  EXPECT_EQ(ours.numel(), ref.numel()) << ours.shape_str() << " vs " << ref.shape_str();
  if (ours.numel() != ref.numel()) return INFINITY;
  const std::vector<double> a = ours.to_vector<double>(), b = ref.to_vector<double>();
  double diff = 0, norm = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff += (a[i] - b[i]) * (a[i] - b[i]);
    norm += b[i] * b[i];
  }
  return std::sqrt(diff) / std::max(std::sqrt(norm), floor);
}

inline double norm(const Tensor& t) {
  double sum = 0;
  for (double v : t.to_vector<double>()) sum += v * v;
  return std::sqrt(sum);
}

using test_support::TempDir;  // tests/temp_dir.h

// A whole file's bytes ("" when it cannot be read), to check that a file was left unchanged.
inline std::string file_contents(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs fn and returns the Error's message ("" when nothing was thrown).
template <class F>
std::string error_of(F&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

}  // namespace bertology::model_testing

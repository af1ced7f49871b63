// Every checkpoint variant of every fixture model loads through load_checkpoint and holds the
// F32 model's weights: exactly (sharded, .bin, legacy .bin), rounded (F16, BF16), or sliced (pruned).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/checkpoint/half_float.h>

#include "checkpoint_test_util.h"

namespace bertology {
namespace {

using namespace checkpoint_test;

const char* const kModels[] = {"bert_small", "bert_mlm", "bert_regression", "gpt2_lm", "openai_gpt_lm"};

std::vector<std::string> variants_of(const std::string& model) {
  std::vector<std::string> variants;
  for (const char* variant : {"model", "model_sharded", "model_fp16", "model_bf16", "model_bin", "model_bin_legacy",
                              "model_pruned"})
    if (std::filesystem::is_directory(fixture(model + "/" + variant))) variants.push_back(variant);
  return variants;
}

void expect_same_keys(const StateDict& a, const StateDict& b) {
  std::vector<std::string> a_keys, b_keys;
  for (const auto& item : a) a_keys.push_back(item.first);
  for (const auto& item : b) b_keys.push_back(item.first);
  EXPECT_EQ(a_keys, b_keys);
}

// Each value of `got` must be `round(reference value)`.
void expect_rounded(const StateDict& reference, const StateDict& got, float (*round)(float)) {
  expect_same_keys(reference, got);
  for (const auto& [name, tensor] : reference) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_EQ(got.at(name).sizes(), tensor.sizes()) << name;
    const std::vector<float> want = tensor.to_vector<float>(), have = got.at(name).to_vector<float>();
    ASSERT_EQ(want.size(), have.size()) << name;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_EQ(have[i], round(want[i])) << name << "[" << i << "]";
      EXPECT_LE(std::fabs(have[i] - want[i]), std::fabs(want[i]) / 128 + 1e-7) << name << "[" << i << "]";
    }
  }
}

float round_to_half(float x) { return half_bits_to_float(float_to_half_bits(x)); }
float round_to_bfloat16(float x) { return bfloat16_bits_to_float(float_to_bfloat16_bits(x)); }

// `part` must be `full` with some slices along one dimension removed (what pruning heads does).
bool is_subselection(const Tensor& full, const Tensor& part) {
  if (full.dim() != part.dim()) return false;
  int64_t dim = -1;
  for (int64_t d = 0; d < full.dim(); ++d)
    if (full.size(d) != part.size(d)) {
      if (dim >= 0) return false;
      dim = d;
    }
  if (dim < 0) return full.to_vector<float>() == part.to_vector<float>();
  int64_t next = 0;  // greedy: each kept slice is the next matching slice of the full tensor
  for (int64_t i = 0; i < part.size(dim); ++i) {
    const std::vector<float> slice = part.select(dim, i).to_vector<float>();
    while (next < full.size(dim) && full.select(dim, next).to_vector<float>() != slice) ++next;
    if (next == full.size(dim)) return false;
    ++next;
  }
  return true;
}

TEST(CheckpointFixtures, EveryVariantLoadsTheF32ModelsWeights) {
  ASSERT_EQ(variants_of("bert_small").size(), 7u);  // the fixtures were copied completely
  ASSERT_EQ(variants_of("gpt2_lm").size(), 6u);
  for (const char* model : kModels) {
    const Checkpoint reference = load_checkpoint(fixture(std::string(model) + "/model"));
    EXPECT_EQ(reference.dtype, "F32");
    ASSERT_FALSE(reference.tensors.empty());
    for (const std::string& variant : variants_of(model)) {
      SCOPED_TRACE(std::string(model) + "/" + variant);
      const Checkpoint loaded = load_checkpoint(fixture(std::string(model) + "/" + variant));
      for (const auto& [name, tensor] : loaded.tensors) EXPECT_EQ(tensor.dtype(), DType::Float32) << name;
      if (variant == "model_fp16") {
        EXPECT_EQ(loaded.dtype, "F16");
        expect_rounded(reference.tensors, loaded.tensors, round_to_half);
      } else if (variant == "model_bf16") {
        EXPECT_EQ(loaded.dtype, "BF16");
        expect_rounded(reference.tensors, loaded.tensors, round_to_bfloat16);
      } else if (variant == "model_pruned") {
        for (const auto& [name, tensor] : reference.tensors) {
          ASSERT_TRUE(loaded.tensors.count(name)) << name;
          EXPECT_TRUE(is_subselection(tensor, loaded.tensors.at(name))) << name;
        }
      } else {
        EXPECT_EQ(loaded.dtype, "F32");
        expect_same_keys(reference.tensors, loaded.tensors);
        for (const auto& [name, tensor] : reference.tensors) {
          ASSERT_TRUE(loaded.tensors.count(name)) << name;
          EXPECT_EQ(loaded.tensors.at(name).sizes(), tensor.sizes()) << name;
          EXPECT_TRUE(loaded.tensors.at(name).to_vector<float>() == tensor.to_vector<float>()) << name;
        }
      }
    }
  }
}

TEST(CheckpointFixtures, PrunedLayersLoadAsEmptyTensors) {
  const Checkpoint pruned = load_checkpoint(fixture("bert_small/model_pruned"));
  EXPECT_EQ(pruned.tensors.at("bert.encoder.layer.2.attention.self.query.weight").sizes(), (Shape{0, 32}));
  EXPECT_EQ(pruned.tensors.at("bert.encoder.layer.2.attention.output.dense.weight").sizes(), (Shape{32, 0}));
  EXPECT_EQ(pruned.tensors.at("bert.encoder.layer.0.attention.self.key.bias").sizes(), (Shape{16}));
}

TEST(CheckpointFixtures, SourceNamesTheFilesRead) {
  const std::string dir = fixture("bert_small/model_sharded");
  EXPECT_EQ(load_checkpoint(dir).source, dir + "/model.safetensors.index.json (4 shards)");
  EXPECT_EQ(load_checkpoint(fixture("bert_small/model_bin")).source, fixture("bert_small/model_bin") + "/pytorch_model.bin");
}

}  // namespace
}  // namespace bertology

// safetensors reading and writing: dtypes, zero-copy aliasing, metadata, and files written here
// byte-identical to those the Python library wrote for the fixtures.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/tensor/error.h>

#include "checkpoint_test_util.h"

namespace bertology {
namespace {

using namespace checkpoint_test;

TEST(Safetensors, ReadsTheFixtureWithMetadataAndDtypes) {
  const SafetensorsFile file = read_safetensors(fixture("bert_small/model/model.safetensors"));
  EXPECT_EQ(file.tensors.size(), 57u);
  EXPECT_EQ(file.metadata, (std::map<std::string, std::string>{{"format", "pt"}}));
  const Tensor& words = file.tensors.at("bert.embeddings.word_embeddings.weight");
  EXPECT_EQ(words.sizes(), (Shape{120, 32}));
  EXPECT_EQ(words.dtype(), DType::Float32);
  EXPECT_EQ(file.dtypes.at("bert.embeddings.word_embeddings.weight"), "F32");
}

TEST(Safetensors, Float32TensorsAliasTheMappedFileAndWritesStayPrivate) {
  ScratchDir dir;
  const std::string path = dir.file("model.safetensors");
  write_bytes(path, read_bytes(fixture("bert_small/model/model.safetensors")));
  SafetensorsFile file = read_safetensors(path);
  Tensor bias = file.tensors.at("bert.embeddings.LayerNorm.bias");
  EXPECT_EQ(bias.storage()->nbytes(), 32u * sizeof(float));  // a window on the mapping, not a copy
  const float original = bias.data<float>()[0];
  bias.data<float>()[0] = original + 1.0f;
  EXPECT_EQ(read_safetensors(path).tensors.at("bert.embeddings.LayerNorm.bias").data<float>()[0], original);
}

TEST(Safetensors, ExpectedFilesKeepFloat64AndInt64WhenAsked) {
  const std::string path = fixture("bert_small/expected.safetensors");
  const SafetensorsFile exact = read_safetensors(path, /*convert_to_float32=*/false);
  EXPECT_EQ(exact.tensors.at("logits").dtype(), DType::Float64);
  EXPECT_EQ(exact.tensors.at("input.input_ids").dtype(), DType::Int64);
  EXPECT_EQ(exact.dtypes.at("logits"), "F64");
  EXPECT_EQ(exact.dtypes.at("input.input_ids"), "I64");

  const SafetensorsFile converted = read_safetensors(path);
  EXPECT_EQ(converted.tensors.at("logits").dtype(), DType::Float32);
  EXPECT_EQ(converted.tensors.at("input.input_ids").dtype(), DType::Int64);
  const std::vector<double> a = values_of(exact.tensors.at("logits"));
  const std::vector<double> b = values_of(converted.tensors.at("logits"));
  for (size_t i = 0; i < a.size(); ++i) EXPECT_EQ(static_cast<float>(a[i]), b[i]);
}

// The writer must reproduce the Python library's files byte for byte, given each tensor's
// stored dtype (the expected files mix I64, F64 and F32).
void expect_rewrite_identical(const std::string& fixture_path, const std::map<std::string, std::string>& metadata) {
  SCOPED_TRACE(fixture_path);
  ScratchDir dir;
  const SafetensorsFile source = read_safetensors(fixture_path, /*convert_to_float32=*/false);
  write_safetensors(dir.file("out.safetensors"), source.tensors, source.dtypes, metadata);
  EXPECT_TRUE(read_bytes(dir.file("out.safetensors")) == read_bytes(fixture_path));
}

TEST(Safetensors, WritesFilesByteIdenticalToThePythonLibrary) {
  for (const char* model : {"bert_small", "bert_mlm", "bert_regression", "gpt2_lm", "openai_gpt_lm"}) {
    expect_rewrite_identical(fixture(std::string(model) + "/model/model.safetensors"), {{"format", "pt"}});
    expect_rewrite_identical(fixture(std::string(model) + "/expected.safetensors"), {});
  }
}

TEST(Safetensors, HalfPrecisionFixturesAreTheRoundedFloat32Weights) {
  // Writing the F32 weights as F16 / BF16 gives exactly the files transformers wrote, so our
  // rounding matches PyTorch's on every weight.
  const std::map<std::string, std::string> pt = {{"format", "pt"}};
  for (const char* model : {"bert_small", "gpt2_lm", "openai_gpt_lm"}) {
    SCOPED_TRACE(model);
    ScratchDir dir;
    const SafetensorsFile f32 = read_safetensors(fixture(std::string(model) + "/model/model.safetensors"));
    for (const auto& [dtype, folder] : {std::pair{"F16", "model_fp16"}, std::pair{"BF16", "model_bf16"}}) {
      write_safetensors(dir.file(dtype), f32.tensors, float_dtype_for_all(f32.tensors, dtype), pt);
      EXPECT_TRUE(read_bytes(dir.file(dtype)) ==
                  read_bytes(fixture(std::string(model) + "/" + folder + "/model.safetensors")))
          << dtype;
    }
  }
}

StateDict sample_tensors() {
  StateDict tensors;
  tensors["b.matrix"] = Tensor::from_vector(std::vector<float>{1.5f, -2.25f, 3.0e-5f, 65504.0f, 0.1f, -0.0f}, {2, 3});
  tensors["a.vector"] = Tensor::from_vector(std::vector<float>{0.333333f, 7.0f, -1e-3f}, {3});
  tensors["c.scalar"] = Tensor::scalar(2.5);
  tensors["d.empty"] = Tensor::empty({0, 4});
  tensors["e.ids"] = Tensor::from_vector(std::vector<int64_t>{1, -2, 1LL << 40}, {3});
  tensors["f.double"] = Tensor::from_vector(std::vector<double>{0.1, 1e-300, -3.0}, {3});
  return tensors;
}

TEST(Safetensors, RoundTripsEveryFloatDtype) {
  ScratchDir dir;
  const StateDict tensors = sample_tensors();
  for (const char* dtype : {"F32", "F16", "BF16", "F64"}) {
    SCOPED_TRACE(dtype);
    const std::string path = dir.file(std::string(dtype) + ".safetensors");
    write_safetensors(path, tensors, float_dtype_for_all(tensors, dtype), {{"note", "round trip"}});
    const SafetensorsFile back = read_safetensors(path, /*convert_to_float32=*/false);
    EXPECT_EQ(back.metadata.at("note"), "round trip");
    EXPECT_EQ(back.dtypes.at("e.ids"), "I64");
    EXPECT_EQ(back.tensors.at("e.ids").to_vector<int64_t>(), tensors.at("e.ids").to_vector<int64_t>());
    for (const char* name : {"a.vector", "b.matrix", "c.scalar", "d.empty", "f.double"}) {
      EXPECT_EQ(back.dtypes.at(name), dtype);
      EXPECT_EQ(back.tensors.at(name).sizes(), tensors.at(name).sizes()) << name;
      const std::vector<double> want = values_of(tensors.at(name)), got = values_of(back.tensors.at(name));
      ASSERT_EQ(want.size(), got.size());
      const double tolerance = std::string(dtype) == "F16" ? 1.0 / 2048 : std::string(dtype) == "BF16" ? 1.0 / 256 : 0;
      for (size_t i = 0; i < want.size(); ++i) {
        if (std::string(dtype) == "F32" || std::string(dtype) == "F64") {
          const double exact = std::string(dtype) == "F32" ? static_cast<float>(want[i]) : want[i];
          EXPECT_EQ(got[i], exact) << name << "[" << i << "]";
        } else if (std::fabs(want[i]) > 1e-4) {  // (tiny values fall to subnormals or zero in F16)
          EXPECT_LE(std::fabs(got[i] - want[i]), tolerance * std::fabs(want[i])) << name << "[" << i << "]";
        }
      }
    }
  }
}

TEST(Safetensors, SameInputsGiveIdenticalBytesAndNoTemporaryFilesRemain) {
  ScratchDir dir;
  const StateDict tensors = sample_tensors();
  const auto dtypes = float_dtype_for_all(tensors, "BF16");
  write_safetensors(dir.file("one.safetensors"), tensors, dtypes, {{"format", "pt"}});
  write_safetensors(dir.file("two.safetensors"), tensors, dtypes, {{"format", "pt"}});
  EXPECT_TRUE(read_bytes(dir.file("one.safetensors")) == read_bytes(dir.file("two.safetensors")));
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++files;
    EXPECT_EQ(entry.path().string().find(".tmp-"), std::string::npos) << entry.path();
  }
  EXPECT_EQ(files, 2);
}

TEST(Safetensors, HeaderIsPaddedWithSpacesToEightBytes) {
  ScratchDir dir;
  write_safetensors(dir.file("x.safetensors"), {{"x", Tensor::ones({1})}});
  const SafetensorsParts parts = split_safetensors(read_bytes(dir.file("x.safetensors")));
  EXPECT_EQ(parts.header, R"({"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"
                          "  ");  // 54 characters + 2 spaces
  EXPECT_EQ(parts.header.size() % 8, 0u);
}

TEST(Safetensors, WritesTheLogicalValuesOfNonContiguousTensors) {
  ScratchDir dir;
  const Tensor matrix = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  write_safetensors(dir.file("t.safetensors"), {{"t", matrix.transpose(0, 1)}});
  const Tensor back = read_safetensors(dir.file("t.safetensors")).tensors.at("t");
  EXPECT_EQ(back.sizes(), (Shape{3, 2}));
  EXPECT_EQ(back.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
}

TEST(Safetensors, ReplacingAMappedFileLeavesLoadedTensorsIntact) {
  ScratchDir dir;
  const std::string path = dir.file("m.safetensors");
  write_safetensors(path, {{"w", Tensor::full({4}, 1.0)}});
  const Tensor loaded = read_safetensors(path).tensors.at("w");
  write_safetensors(path, {{"w", Tensor::full({4}, 2.0)}});
  EXPECT_EQ(loaded.to_vector<float>(), (std::vector<float>{1, 1, 1, 1}));
  EXPECT_EQ(read_safetensors(path).tensors.at("w").to_vector<float>(), (std::vector<float>{2, 2, 2, 2}));
}

void expect_write_error(const StateDict& tensors, const std::map<std::string, std::string>& dtypes,
                        const std::string& message_after_path) {
  ScratchDir dir;
  const std::string path = dir.file("bad.safetensors");
  try {
    write_safetensors(path, tensors, dtypes);
    FAIL() << "no error; expected: " << message_after_path;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), path + ": " + message_after_path);
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

TEST(Safetensors, RefusesDtypesThatWouldChangeValues) {
  const StateDict tensors = {{"ids", Tensor::from_vector(std::vector<int64_t>{1, 2}, {2})}, {"w", Tensor::ones({2})}};
  expect_write_error(tensors, {{"ids", "F16"}}, "tensor 'ids': cannot store int64 values as F16");
  expect_write_error(tensors, {{"w", "Q8"}}, "tensor 'w': unknown dtype 'Q8'");
  expect_write_error(tensors, {{"missing", "F16"}}, "dtype F16 given for 'missing', which is not among the tensors to write");
}

}  // namespace
}  // namespace bertology

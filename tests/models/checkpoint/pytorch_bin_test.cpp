// pytorch_model.bin reading on hand-built archives: views with offsets and strides into shared
// storages, every storage dtype, protocol-4 opcodes, parameters, state-dict metadata, and the
// legacy format with storage views.
#include <gtest/gtest.h>

#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/checkpoint/half_float.h>
#include <bertology/models/checkpoint/pytorch_bin.h>

#include "checkpoint_test_util.h"

namespace bertology {
namespace {

using namespace checkpoint_test;

template <class T>
std::string raw(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

std::vector<float> iota_floats(int count) {
  std::vector<float> values(count);
  for (int i = 0; i < count; ++i) values[i] = static_cast<float>(i) + 0.5f;
  return values;
}

// A state dict as torch.save writes it: OrderedDict, items, then BUILD with `_metadata`.
std::string views_pickle(bool legacy) {
  PickleWriter p;
  p.proto(2).global("collections", "OrderedDict").binput(0).empty_tuple().reduce().binput(1).mark();
  // "transposed": storage 0 elements 2.. viewed as (2, 3) with strides (1, 2): t[i][j] = s[2 + i + 2j]
  p.unicode("transposed").tensor("FloatStorage", "0", 12, 2, {2, 3}, {1, 2}, legacy);
  // "whole": all of storage 0, so two tensors share one storage
  p.unicode("whole").tensor("FloatStorage", "0", 12, 0, {12}, {1}, legacy);
  // "broadcast": a stride-0 dimension repeats row 4..6
  p.unicode("broadcast").tensor("FloatStorage", "0", 12, 4, {2, 3}, {0, 1}, legacy);
  p.unicode("half").tensor("HalfStorage", "1", 4, 0, {2, 2}, {2, 1}, legacy);
  p.unicode("ids").tensor("LongStorage", "2", 3, 1, {}, {}, legacy);  // a 0-dim tensor
  p.unicode("flags").tensor("BoolStorage", "3", 2, 0, {2}, {1}, legacy);
  // "parameter": torch._utils._rebuild_parameter(tensor, True, OrderedDict())
  p.unicode("parameter").global("torch._utils", "_rebuild_parameter").mark();
  p.tensor("DoubleStorage", "4", 2, 0, {2}, {1}, legacy).boolean(true);
  p.global("collections", "OrderedDict").empty_tuple().reduce().tuple().reduce();
  p.setitems();
  // state: {'_metadata': OrderedDict({'': {'version': 1}})}
  p.empty_dict().unicode("_metadata").binget(0).empty_tuple().reduce().unicode("").empty_dict().unicode("version");
  p.integer(1).setitem().setitem().setitem().build();
  return p.stop().bytes();
}

const std::vector<std::pair<uint64_t, std::string>> kStorages = {
    {12, raw(iota_floats(12))},
    {4, raw(std::vector<uint16_t>{float_to_half_bits(1.0f), float_to_half_bits(-2.0f), float_to_half_bits(0.5f),
                                  float_to_half_bits(1024.0f)})},
    {3, raw(std::vector<int64_t>{7, 1LL << 40, -3})},
    {2, std::string("\x01\x00", 2)},
    {2, raw(std::vector<double>{0.25, -8.0})},
};

void expect_views(const StateDict& tensors) {
  EXPECT_EQ(tensors.at("transposed").sizes(), (Shape{2, 3}));
  EXPECT_EQ(tensors.at("transposed").to_vector<float>(), (std::vector<float>{2.5, 4.5, 6.5, 3.5, 5.5, 7.5}));
  EXPECT_EQ(tensors.at("whole").to_vector<float>(), iota_floats(12));
  EXPECT_EQ(tensors.at("broadcast").to_vector<float>(), (std::vector<float>{4.5, 5.5, 6.5, 4.5, 5.5, 6.5}));
  EXPECT_EQ(tensors.at("half").to_vector<float>(), (std::vector<float>{1, -2, 0.5, 1024}));
  EXPECT_EQ(tensors.at("ids").dtype(), DType::Int64);
  EXPECT_EQ(tensors.at("ids").dim(), 0);
  EXPECT_EQ(tensors.at("ids").item(), static_cast<double>(1LL << 40));
  EXPECT_EQ(tensors.at("flags").dtype(), DType::Bool);
  EXPECT_EQ(tensors.at("flags").to_vector<double>(), (std::vector<double>{1, 0}));
  EXPECT_EQ(tensors.at("parameter").dtype(), DType::Float32);
  EXPECT_EQ(tensors.at("parameter").to_vector<float>(), (std::vector<float>{0.25, -8}));
}

TEST(PytorchBin, ZipArchiveWithStridedViewsIntoSharedStorages) {
  ScratchDir dir;
  std::vector<std::pair<std::string, std::string>> entries = {{"archive/data.pkl", views_pickle(false)}};
  for (size_t key = 0; key < kStorages.size(); ++key)
    entries.emplace_back("archive/data/" + std::to_string(key), kStorages[key].second);
  entries.emplace_back("archive/version", "3\n");
  write_bytes(dir.file("pytorch_model.bin"), make_zip(entries));
  const PytorchBinFile file = read_pytorch_bin_file(dir.file("pytorch_model.bin"));
  expect_views(file.tensors);
  EXPECT_EQ(file.dtypes.at("half"), "F16");
  EXPECT_EQ(file.dtypes.at("parameter"), "F64");
  EXPECT_EQ(file.dtypes.at("ids"), "I64");
}

TEST(PytorchBin, Zip64Archive) {
  ScratchDir dir;
  std::vector<std::pair<std::string, std::string>> entries = {{"archive/data.pkl", views_pickle(false)}};
  for (size_t key = 0; key < kStorages.size(); ++key)
    entries.emplace_back("archive/data/" + std::to_string(key), kStorages[key].second);
  write_bytes(dir.file("pytorch_model.bin"), make_zip(entries, /*zip64=*/true));
  expect_views(read_pytorch_bin(dir.file("pytorch_model.bin")));
}

TEST(PytorchBin, LegacyFormatWithStridedViews) {
  ScratchDir dir;
  write_bytes(dir.file("pytorch_model.bin"),
              make_legacy_checkpoint(views_pickle(true), {"0", "1", "2", "3", "4"}, kStorages));
  expect_views(read_pytorch_bin(dir.file("pytorch_model.bin")));
}

TEST(PytorchBin, LegacyStorageViewMetadataShiftsTheView) {
  // Pre-1.0 files name views of storages: ('storage', type, root key, location, numel, (view key, offset, size)).
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").global("torch._utils", "_rebuild_tensor_v2").mark();
  p.mark().unicode("storage").global("torch", "FloatStorage").unicode("0").unicode("cpu").integer(12);
  p.mark().unicode("view").integer(5).integer(4).tuple().tuple().binpersid();
  p.integer(1).int_tuple({3}).int_tuple({1}).boolean(false).global("collections", "OrderedDict");
  p.empty_tuple().reduce().tuple().reduce().setitem().stop();
  ScratchDir dir;
  write_bytes(dir.file("pytorch_model.bin"), make_legacy_checkpoint(p.bytes(), {"0"}, {kStorages[0]}));
  EXPECT_EQ(read_pytorch_bin(dir.file("pytorch_model.bin")).at("w").to_vector<float>(),
            (std::vector<float>{6.5, 7.5, 8.5}));
}

TEST(PytorchBin, Protocol4OpcodesAreUnderstood) {
  // FRAME, SHORT_BINUNICODE, STACK_GLOBAL and MEMOIZE, as pickle protocol 4 writes them.
  PickleWriter p;
  p.proto(4).frame(0).empty_dict().memoize().short_unicode("w");
  p.short_unicode("torch._utils").short_unicode("_rebuild_tensor_v2").stack_global().memoize().mark();
  p.mark().short_unicode("storage").short_unicode("torch").short_unicode("FloatStorage").stack_global();
  p.short_unicode("0").short_unicode("cpu").integer(12).tuple().binpersid();
  p.integer(0).int_tuple({2, 2}).int_tuple({2, 1}).boolean(false).none().tuple().reduce().setitem().stop();
  ScratchDir dir;
  write_bytes(dir.file("pytorch_model.bin"),
              make_zip({{"m/data.pkl", p.bytes()}, {"m/data/0", kStorages[0].second}}));
  EXPECT_EQ(read_pytorch_bin(dir.file("pytorch_model.bin")).at("w").to_vector<float>(),
            (std::vector<float>{0.5, 1.5, 2.5, 3.5}));
}

TEST(PytorchBin, OldBertLayerNormNamesAreRenamed) {
  PickleWriter p;
  p.proto(2).empty_dict().mark();
  p.unicode("bert.embeddings.LayerNorm.gamma").tensor("FloatStorage", "0", 12, 0, {2}, {1});
  p.unicode("bert.embeddings.LayerNorm.beta").tensor("FloatStorage", "0", 12, 2, {2}, {1});
  p.setitems().stop();
  ScratchDir dir;
  write_bytes(dir.file("pytorch_model.bin"), make_zip({{"a/data.pkl", p.bytes()}, {"a/data/0", kStorages[0].second}}));
  const Checkpoint checkpoint = load_checkpoint(dir.path());
  EXPECT_EQ(checkpoint.tensors.size(), 2u);
  EXPECT_EQ(checkpoint.tensors.at("bert.embeddings.LayerNorm.weight").to_vector<float>(), (std::vector<float>{0.5, 1.5}));
  EXPECT_EQ(checkpoint.tensors.at("bert.embeddings.LayerNorm.bias").to_vector<float>(), (std::vector<float>{2.5, 3.5}));
}

TEST(PytorchBin, ShardedBinCheckpoint) {
  ScratchDir dir;
  for (const std::string name : {"a", "b"}) {
    PickleWriter p;
    p.proto(2).empty_dict().unicode(name).tensor("FloatStorage", "0", 12, name == "a" ? 0 : 6, {3}, {1}).setitem().stop();
    write_bytes(dir.file("pytorch_model-" + name + ".bin"),
                make_zip({{"archive/data.pkl", p.bytes()}, {"archive/data/0", kStorages[0].second}}));
  }
  write_bytes(dir.file("pytorch_model.bin.index.json"),
              R"({"metadata": {}, "weight_map": {"a": "pytorch_model-a.bin", "b": "pytorch_model-b.bin"}})");
  const Checkpoint checkpoint = load_checkpoint(dir.path());
  EXPECT_EQ(checkpoint.source, dir.file("pytorch_model.bin.index.json") + " (2 shards)");
  EXPECT_EQ(checkpoint.tensors.at("a").to_vector<float>(), (std::vector<float>{0.5, 1.5, 2.5}));
  EXPECT_EQ(checkpoint.tensors.at("b").to_vector<float>(), (std::vector<float>{6.5, 7.5, 8.5}));
}

}  // namespace
}  // namespace bertology

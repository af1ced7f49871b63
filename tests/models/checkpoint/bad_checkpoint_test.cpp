// Hostile and broken checkpoint files, each built at run time from a good fixture (or by hand)
// in a scratch folder: every one must give one clear error naming the file (and the tensor).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/checkpoint/pytorch_bin.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/tensor/error.h>

#include "checkpoint_test_util.h"

namespace bertology {
namespace {

using namespace checkpoint_test;

template <class Load>
void expect_error(Load load, const std::string& message) {
  try {
    load();
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

// ---- safetensors ---------------------------------------------------------------------------

class BadSafetensors : public ::testing::Test {
 protected:
  const std::string good_ = read_bytes(fixture("bert_small/model/model.safetensors"));
  ScratchDir dir_;
  const std::string path_ = dir_.file("model.safetensors");

  // Writes `bytes` and expects read_safetensors to fail with "<path>: <message>".
  void expect_rejected(const std::string& bytes, const std::string& message) {
    write_bytes(path_, bytes);
    expect_error([&] { read_safetensors(path_); }, path_ + ": " + message);
  }
  // The good file with its header text edited.
  std::string with_header_edit(const std::string& from, const std::string& to) const {
    SafetensorsParts parts = split_safetensors(good_);
    parts.header = replace_once(parts.header, from, to);
    return parts.assemble();
  }
};

TEST_F(BadSafetensors, FileTooShortForTheHeaderLength) {
  expect_rejected(good_.substr(0, 5), "file is 5 bytes, too short for the 8-byte header length");
}

TEST_F(BadSafetensors, HeaderLengthPastTheEndOfTheFile) {
  expect_rejected(good_.substr(0, 100), "header length 6056 runs past the end of the file (100 bytes)");
}

TEST_F(BadSafetensors, HeaderLengthOfTwoToTheSixtyThird) {
  expect_rejected(le_bytes<uint64_t>(1ULL << 63) + good_.substr(8),
                  "header length 9223372036854775808 exceeds the limit of 100000000 bytes");
}

TEST_F(BadSafetensors, TruncatedData) {
  expect_rejected(good_.substr(0, 8 + 6056 + 1000),
                  "tensor 'bert.embeddings.position_embeddings.weight': data_offsets [256, 5376) run past the end of "
                  "the data (1000 bytes)");
}

TEST_F(BadSafetensors, MalformedJson) {
  expect_rejected(with_header_edit("{\"dtype\":\"F32\",\"shape\":[32]", "{\"dtype\":\"F32\" \"shape\":[32]"),
                  "header is not valid JSON (error at byte 87 of the header)");
}

TEST_F(BadSafetensors, NumberTooLargeForJson) {
  expect_rejected(with_header_edit("[0,128]", "[0,1e999]"), "header is not valid JSON (a number is out of range)");
}

TEST_F(BadSafetensors, HeaderThatIsNotAnObject) {
  expect_rejected(SafetensorsParts{"[1, 2]  ", ""}.assemble(), "header is not a JSON object");
}

TEST_F(BadSafetensors, DeeplyNestedJson) {
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  expect_rejected(SafetensorsParts{nested, ""}.assemble(), "header JSON nests more than 8 levels deep");
}

TEST_F(BadSafetensors, OffsetsOutOfRange) {
  expect_rejected(with_header_edit("[0,128]", "[0,9999999]"),
                  "tensor 'bert.embeddings.LayerNorm.bias': data_offsets [0, 9999999) run past the end of the data "
                  "(115660 bytes)");
}

TEST_F(BadSafetensors, OffsetsThatEndBeforeTheyBegin) {
  expect_rejected(with_header_edit("[0,128]", "[128,0]"),
                  "tensor 'bert.embeddings.LayerNorm.bias': data_offsets [128, 0) end before they begin");
}

TEST_F(BadSafetensors, NegativeOffsets) {
  expect_rejected(with_header_edit("[0,128]", "[-8,120]"),
                  "tensor 'bert.embeddings.LayerNorm.bias': 'data_offsets' must be two non-negative integers");
}

TEST_F(BadSafetensors, OverlappingOffsets) {
  expect_rejected(with_header_edit("[128,256]", "[64,192]"),
                  "tensors 'bert.embeddings.LayerNorm.bias' [0, 128) and 'bert.embeddings.LayerNorm.weight' [64, 192) "
                  "overlap");
}

TEST_F(BadSafetensors, ByteSizeDisagreeingWithShape) {
  expect_rejected(with_header_edit("\"shape\":[32]", "\"shape\":[10,4]"),
                  "tensor 'bert.embeddings.LayerNorm.bias': data_offsets [0, 128) do not match shape [10, 4] of F32 "
                  "(160 bytes)");
}

TEST_F(BadSafetensors, ShapeWhoseByteCountOverflows) {
  expect_rejected(with_header_edit("\"shape\":[32]", "\"shape\":[4294967296,4294967296]"),
                  "tensor 'bert.embeddings.LayerNorm.bias': shape [4294967296, 4294967296] of F32 is too large");
}

TEST_F(BadSafetensors, UnknownDtype) {
  expect_rejected(with_header_edit("\"F32\"", "\"Q4\""),
                  "tensor 'bert.embeddings.LayerNorm.bias': unknown dtype 'Q4' (supported: F64, F32, F16, BF16, I64, "
                  "I32, I16, I8, U8, BOOL)");
}

TEST_F(BadSafetensors, MissingDtype) {
  expect_rejected(with_header_edit("\"dtype\":\"F32\",", ""),
                  "tensor 'bert.embeddings.LayerNorm.bias': 'dtype' is missing or not a string");
}

TEST_F(BadSafetensors, NonStringMetadata) {
  expect_rejected(with_header_edit("\"format\":\"pt\"", "\"format\":[1]"),
                  "__metadata__ value of 'format' is not a string");
}

TEST_F(BadSafetensors, NotAFile) {
  expect_error([&] { read_safetensors(dir_.path()); }, dir_.path() + ": not a regular file");
  expect_error([&] { read_safetensors(dir_.file("absent")); }, dir_.file("absent") + ": cannot open: No such file or directory");
}

// ---- sharded checkpoints -------------------------------------------------------------------

class BadShards : public ::testing::Test {
 protected:
  ScratchDir dir_;
  const std::string index_ = dir_.file("model.safetensors.index.json");
  void SetUp() override {
    for (const auto& entry : std::filesystem::directory_iterator(fixture("bert_small/model_sharded")))
      std::filesystem::copy_file(entry.path(), dir_.file(entry.path().filename().string()));
  }
};

TEST_F(BadShards, MissingShard) {
  std::filesystem::remove(dir_.file("model-00002-of-00004.safetensors"));
  expect_error([&] { load_checkpoint(dir_.path()); },
               index_ + ": shard 'model-00002-of-00004.safetensors' (holding 'bert.encoder.layer.0.intermediate."
                        "dense.bias') is missing");
}

TEST_F(BadShards, InvalidShardIsReportedByName) {
  const std::string shard = dir_.file("model-00003-of-00004.safetensors");
  write_bytes(shard, read_bytes(shard).substr(0, 50));
  expect_error([&] { load_checkpoint(dir_.path()); },
               shard + ": header length " + std::to_string(split_safetensors(read_bytes(
                                                fixture("bert_small/model_sharded/model-00003-of-00004.safetensors")))
                                                .header.size()) +
                   " runs past the end of the file (50 bytes)");
}

TEST_F(BadShards, ShardPathOutsideTheFolder) {
  write_bytes(index_, R"({"weight_map": {"w": "../model/model.safetensors"}})");
  expect_error([&] { load_checkpoint(dir_.path()); },
               index_ + ": tensor 'w' maps to something that is not a file name in the folder");
}

TEST_F(BadShards, TensorMissingFromItsShard) {
  write_bytes(index_, R"({"weight_map": {"bert.pooler.dense.bias": "model-00001-of-00004.safetensors"}})");
  expect_error([&] { load_checkpoint(dir_.path()); },
               index_ + ": tensor 'bert.pooler.dense.bias' should be in shard 'model-00001-of-00004.safetensors', "
                        "which lacks it");
}

TEST(BadModelFolder, NoWeightsAndNoFolder) {
  ScratchDir dir;
  expect_error([&] { load_checkpoint(dir.path()); },
               dir.path() + ": no weights found (looked for model.safetensors, model.safetensors.index.json, "
                            "pytorch_model.bin, pytorch_model.bin.index.json)");
  expect_error([&] { load_checkpoint(dir.file("nothing")); }, dir.file("nothing") + ": not a model folder (no such directory)");
}

// ---- pickles -------------------------------------------------------------------------------

class BadPickles : public ::testing::Test {
 protected:
  ScratchDir dir_;
  const std::string path_ = dir_.file("pytorch_model.bin");

  void expect_zip_rejected(const std::string& pickle, const std::string& message) {
    write_bytes(path_, make_zip({{"archive/data.pkl", pickle}, {"archive/data/0", std::string(48, '\0')}}));
    expect_error([&] { read_pytorch_bin(path_); }, path_ + ": " + message);
  }
};

const std::string kRefusal = " (only tensor rebuild functions, storage types and OrderedDict are allowed)";

TEST_F(BadPickles, CallingOsSystem) {
  const std::string pickle =
      PickleWriter().proto(2).global("os", "system").unicode("touch /tmp/pwned").tuple1().reduce().stop().bytes();
  expect_zip_rejected(pickle, "refusing to load global 'os.system'" + kRefusal);
}

TEST_F(BadPickles, CallingBuiltinsEvalInALegacyFile) {
  const std::string pickle =
      PickleWriter().proto(2).global("builtins", "eval").unicode("__import__('os')").tuple1().reduce().stop().bytes();
  write_bytes(path_, make_legacy_checkpoint(pickle, {}, {}));
  expect_error([&] { read_pytorch_bin(path_); }, path_ + ": refusing to load global 'builtins.eval'" + kRefusal);
}

TEST_F(BadPickles, PosixSystemThroughStackGlobal) {
  const std::string pickle =
      PickleWriter().proto(4).short_unicode("posix").short_unicode("system").stack_global().stop().bytes();
  expect_zip_rejected(pickle, "refusing to load global 'posix.system'" + kRefusal);
}

TEST_F(BadPickles, HiddenInsideATensorRebuild) {
  // An allowed call whose arguments smuggle in a forbidden global.
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").global("torch._utils", "_rebuild_tensor_v2").mark();
  p.global("subprocess", "Popen").stop();
  expect_zip_rejected(p.bytes(), "refusing to load global 'subprocess.Popen'" + kRefusal);
}

TEST_F(BadPickles, UnsupportedOpcode) {
  // INST ('i'), the protocol-0 way to construct an object.
  expect_zip_rejected(PickleWriter().proto(2).op('i').raw("os\nsystem\n").stop().bytes(),
                      "unsupported pickle opcode 0x69 at byte 2 of the pickle");
}

TEST_F(BadPickles, CallingAStorageType) {
  expect_zip_rejected(PickleWriter().proto(2).global("torch", "FloatStorage").empty_tuple().reduce().stop().bytes(),
                      "pickle calls 'torch.FloatStorage', which cannot be called");
}

TEST_F(BadPickles, TruncatedPickle) {
  expect_zip_rejected(PickleWriter().proto(2).empty_dict().unicode("weight").bytes().substr(0, 8),
                      "pickle data ends early at byte 3 of the pickle");
}

TEST_F(BadPickles, StackUnderflow) {
  expect_zip_rejected(PickleWriter().proto(2).setitem().stop().bytes(), "pickle stack underflow at byte 2 of the pickle");
}

TEST_F(BadPickles, NotAStateDict) {
  expect_zip_rejected(PickleWriter().proto(2).empty_list().stop().bytes(), "the pickle holds a list, not a state dict");
  expect_zip_rejected(PickleWriter().proto(2).empty_dict().unicode("w").integer(3).setitem().stop().bytes(),
                      "state dict entry 'w' is a int, not a tensor");
}

TEST_F(BadPickles, ViewPastTheEndOfItsStorage) {
  // Storage "0" holds 12 floats (48 bytes); the view reaches element 2 + 9 * 2 = 20.
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").tensor("FloatStorage", "0", 12, 2, {10}, {2}).setitem().stop();
  expect_zip_rejected(p.bytes(),
                      "tensor 'w': view (offset 2, sizes [10], strides [2]) reaches past the end of storage '0' "
                      "(12 elements)");
}

TEST_F(BadPickles, StorageLargerThanItsEntry) {
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").tensor("FloatStorage", "0", 1000, 0, {1000}, {1}).setitem().stop();
  expect_zip_rejected(p.bytes(), "storage '0' should hold 1000 F32 elements but its zip entry has 48 bytes");
}

TEST_F(BadPickles, StorageEntryMissing) {
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").tensor("FloatStorage", "7", 4, 0, {4}, {1}).setitem().stop();
  expect_zip_rejected(p.bytes(), "storage '7' is missing (no zip entry 'archive/data/7')");
}

TEST_F(BadPickles, LegacyStoragePastTheEndOfTheFile) {
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").tensor("FloatStorage", "0", 12, 0, {12}, {1}, true).setitem().stop();
  write_bytes(path_, make_legacy_checkpoint(p.bytes(), {"0"}, {{1ULL << 60, std::string(16, '\0')}}));
  expect_error([&] { read_pytorch_bin(path_); },
               path_ + ": storage '0' declares 1152921504606846976 elements, past the end of the file (" +
                   std::to_string(read_bytes(path_).size()) + " bytes)");
}

TEST_F(BadPickles, NeitherZipNorPickle) {
  write_bytes(path_, "hello world");
  expect_error([&] { read_pytorch_bin(path_); },
               path_ + ": not a PyTorch checkpoint (neither a zip archive nor a pickle)");
}

// ---- zip archives (from the fixture's pytorch_model.bin) -------------------------------------

class BadZip : public ::testing::Test {
 protected:
  std::string zip_ = read_bytes(fixture("bert_small/model_bin/pytorch_model.bin"));
  ScratchDir dir_;
  const std::string path_ = dir_.file("pytorch_model.bin");

  void patch(size_t at, const std::string& bytes) { zip_.replace(at, bytes.size(), bytes); }
  void expect_rejected(const std::string& message) {
    write_bytes(path_, zip_);
    expect_error([&] { read_pytorch_bin(path_); }, path_ + ": " + message);
  }
};

TEST_F(BadZip, HugeDeclaredSize) {
  const size_t header = central_header_of(zip_, "pytorch_model/data/0");
  patch(header + 20, le_bytes<uint32_t>(0xfffffff0u) + le_bytes<uint32_t>(0xfffffff0u));
  expect_rejected("zip entry 'pytorch_model/data/0' declares 4294967280 bytes at offset 6720, past the end of the "
                  "file (133724 bytes)");
}

TEST_F(BadZip, CompressedEntry) {
  patch(central_header_of(zip_, "pytorch_model/data.pkl") + 10, le_bytes<uint16_t>(8));
  expect_rejected("zip entry 'pytorch_model/data.pkl' is compressed (method 8); PyTorch checkpoints store entries "
                  "uncompressed");
}

TEST_F(BadZip, Truncated) {
  zip_ = zip_.substr(0, zip_.size() / 2);
  expect_rejected("zip archive is truncated or corrupt (no end-of-central-directory record)");
}

TEST_F(BadZip, NoDataPickle) {
  patch(central_header_of(zip_, "pytorch_model/data.pkl") + 46, "pytorch_model/data.pkX");
  expect_rejected("zip archive has no '*/data.pkl': not a PyTorch checkpoint");
}

TEST_F(BadZip, LocalHeaderOutsideTheFile) {
  patch(central_header_of(zip_, "pytorch_model/data/1") + 42, le_bytes<uint32_t>(0x7fffffff));
  expect_rejected("zip entry 'pytorch_model/data/1' has no local header at offset 2147483647");
}

}  // namespace
}  // namespace bertology

namespace bertology {
namespace {

TEST_F(BadPickles, ExpandedViewLargerThanItsStorage) {
  // 2^40 elements that all read element 0: would allocate 4 TB.
  PickleWriter p;
  p.proto(2).empty_dict().unicode("w").tensor("FloatStorage", "0", 12, 0, {1LL << 40}, {0}).setitem().stop();
  expect_zip_rejected(p.bytes(), "tensor 'w': view of 1099511627776 elements is larger than its storage '0' (12 elements)");
}

}  // namespace
}  // namespace bertology

// ---- random corruption ------------------------------------------------------------------------

namespace bertology {
namespace {

// Flipping random bytes where the parsers look (headers, pickles, zip directories: the first
// 8 KB and the last 4 KB) must give a bertology::Error or a successful load, never a crash or a
// different exception. (Run under AddressSanitizer to catch out-of-bounds reads.)
TEST(CorruptedFiles, RandomByteFlipsGiveErrorsNotCrashes) {
  ScratchDir dir;
  std::mt19937 rng(12345);
  const std::pair<const char*, bool> sources[] = {{"bert_small/model/model.safetensors", true},
                                                  {"bert_small/model_bin/pytorch_model.bin", false},
                                                  {"bert_small/model_bin_legacy/pytorch_model.bin", false}};
  for (const auto& [source, is_safetensors] : sources) {
    const std::string good = read_bytes(fixture(source));
    int errors = 0;
    for (int trial = 0; trial < 300; ++trial) {
      std::string bytes = good;
      const int flips = 1 + static_cast<int>(rng() % 8);
      for (int i = 0; i < flips; ++i) {
        const size_t window = rng() % 2 ? 0 : bytes.size() - 4096;
        bytes[window + rng() % 4096] = static_cast<char>(rng());
      }
      const std::string path = dir.file("corrupt" + std::to_string(trial));
      write_bytes(path, bytes);
      try {
        if (is_safetensors) read_safetensors(path);
        else read_pytorch_bin(path);
      } catch (const Error&) {
        ++errors;
      } catch (const std::exception& e) {
        ADD_FAILURE() << source << " trial " << trial << ": unexpected exception " << e.what();
      }
      std::filesystem::remove(path);
    }
    EXPECT_GT(errors, 0) << source;
  }
}

}  // namespace
}  // namespace bertology

// .npy writer and reader: the header byte for byte as the NumPy format description gives it,
// round trips, atomic replacement, every validation error, and numpy.load when numpy exists.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>

#include <bertology/bertology/npy.h>

#include "python_with_numpy.h"
#include "scratch_dir.h"

using namespace bertology;
using bertology::workflow_testing::ScratchDir;

namespace {

void expect_error(const std::function<void()>& f, const std::vector<std::string>& needles) {
  try {
    f();
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    const std::string message = e.what();
    for (const std::string& needle : needles)
      EXPECT_NE(message.find(needle), std::string::npos)
          << "message '" << message << "' lacks '" << needle << "'";
    EXPECT_EQ(message.find('\n'), std::string::npos) << "message is not one line: " << message;
  }
}

std::string bytes_of(const void* data, size_t size) {
  return std::string(static_cast<const char*>(data), size);
}

// magic, version 1.0, little-endian uint16 header length
std::string prefix_v1(uint16_t header_length) {
  return std::string("\x93NUMPY\x01\x00", 8) + static_cast<char>(header_length & 0xFF) +
         static_cast<char>(header_length >> 8);
}

}  // namespace

TEST(Npy, HeaderBytesAsNumpyWritesThem) {
  // 10 prefix bytes + dict + spaces + '\n' = 128: the dict, then 20 spaces numpy leaves so
  // shape[0] can grow to 21 digits in place, then padding to the 64-byte boundary.
  const std::string dict_2x3 = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  ASSERT_EQ(dict_2x3.size(), 59u);
  EXPECT_EQ(npy_header(DType::Float32, {2, 3}),
            prefix_v1(118) + dict_2x3 + std::string(20 + 38, ' ') + "\n");

  const std::string dict_5 = "{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }";
  EXPECT_EQ(npy_header(DType::Int64, {5}),
            prefix_v1(118) + dict_5 + std::string(20 + 40, ' ') + "\n");

  const std::string dict_scalar = "{'descr': '<f8', 'fortran_order': False, 'shape': (), }";
  EXPECT_EQ(npy_header(DType::Float64, {}), prefix_v1(118) + dict_scalar + std::string(62, ' ') + "\n");

  for (const Shape& shape : {Shape{}, Shape{1}, Shape{144}, Shape{12, 12}, Shape{0, 7, 3, 1},
                             Shape{123456789012, 2}}) {
    const std::string header = npy_header(DType::Float32, shape);
    EXPECT_EQ(header.size() % 64, 0u) << shape_str(shape);
    EXPECT_EQ(header.back(), '\n');
  }
  EXPECT_THROW(npy_header(DType::Bool, {2}), Error);
}

TEST(Npy, WholeFileByteForByte) {
  ScratchDir dir;
  const std::vector<float> values = {1.5f, -2.0f, 0.25f, 3.0f, 4.0f, -0.0f};
  save_npy(dir.file("a.npy"), Tensor::from_vector(values, {2, 3}));
  const std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  EXPECT_EQ(dir.read("a.npy"), prefix_v1(118) + dict + std::string(58, ' ') + "\n" +
                                   bytes_of(values.data(), values.size() * sizeof(float)));
}

TEST(Npy, RoundTripsEachDtypeAndShape) {
  ScratchDir dir;
  const Tensor f32 = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor f64 = Tensor::from_vector(std::vector<double>{0.1, -1e300, 3.5}, {3});
  const Tensor i64 = Tensor::from_vector(std::vector<int64_t>{-1, 0, 9007199254740993LL}, {3, 1});
  const Tensor scalar = Tensor::scalar(7.25, DType::Float64);
  const Tensor empty = Tensor::zeros({0, 4}, DType::Float32);
  for (const Tensor& t : {f32, f64, i64, scalar, empty}) {
    save_npy(dir.file("t.npy"), t);
    const Tensor back = load_npy(dir.file("t.npy"));
    EXPECT_EQ(back.dtype(), t.dtype());
    EXPECT_EQ(back.sizes(), t.sizes());
    EXPECT_EQ(back.to_vector<double>(), t.to_vector<double>());
  }
  EXPECT_EQ(load_npy(dir.file("t.npy")).numel(), 0);
  // A transposed view is written in its own (logical) C order.
  save_npy(dir.file("t.npy"), f32.transpose(0, 1));
  const Tensor back = load_npy(dir.file("t.npy"));
  EXPECT_EQ(back.sizes(), (Shape{3, 2}));
  EXPECT_EQ(back.to_vector<float>(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(load_npy(dir.file("t.npy")).to_vector<int64_t>(),
            (std::vector<int64_t>{1, 4, 2, 5, 3, 6}));
}

TEST(Npy, WritesAtomicallyAndLeavesNoTemporaryFiles) {
  ScratchDir dir;
  const std::string path = dir.file("head_mask.npy");
  save_npy(path, Tensor::ones({2, 2}));
  save_npy(path, Tensor::zeros({3}));  // replaces the old file
  EXPECT_EQ(load_npy(path).sizes(), (Shape{3}));
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"head_mask.npy"}));

  const std::string before = dir.read("head_mask.npy");
  expect_error([&] { save_npy(path, Tensor::ones({2}, DType::Bool)); }, {"bool", "not supported"});
  EXPECT_EQ(dir.read("head_mask.npy"), before);  // a failed save leaves the old file whole
  expect_error([&] { save_npy(dir.file("no_such_dir/x.npy"), Tensor::ones({2})); },
               {"cannot write there: No such file or directory", "no_such_dir/x.npy"});
  std::filesystem::create_directory(dir.file("a_dir.npy"));
  expect_error([&] { save_npy(dir.file("a_dir.npy"), Tensor::ones({2})); },
               {"a_dir.npy", "cannot rename"});
  EXPECT_EQ(dir.entries(), (std::vector<std::string>{"a_dir.npy", "head_mask.npy"}));
  expect_error([&] { save_npy(path, Tensor()); }, {"undefined"});
}

TEST(Npy, ReadsVersion2AndHandWrittenHeaders) {
  ScratchDir dir;
  const int64_t data[2] = {-5, 6};
  // Version 2.0: a 4-byte length; keys in another order, no trailing comma, no alignment.
  const std::string dict = "{'shape':(2,),'fortran_order':False,'descr':'<i8'}\n";
  std::string file = std::string("\x93NUMPY\x02\x00", 8);
  file += static_cast<char>(dict.size());
  file += std::string(3, '\0');
  file += dict + bytes_of(data, sizeof(data));
  dir.write("v2.npy", file);
  const Tensor t = load_npy(dir.file("v2.npy"));
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.to_vector<int64_t>(), (std::vector<int64_t>{-5, 6}));
}

TEST(Npy, ReaderValidation) {
  ScratchDir dir;
  const float data[3] = {1, 2, 3};
  auto with_header = [&](const std::string& dict, size_t data_bytes = sizeof(data)) {
    const std::string text = dict + "\n";
    return prefix_v1(static_cast<uint16_t>(text.size())) + text + bytes_of(data, data_bytes);
  };
  auto load = [&](const std::string& name, const std::string& content) {
    dir.write(name, content);
    return load_npy(dir.file(name));
  };
  const std::string good = "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_EQ(load("good.npy", with_header(good)).to_vector<float>(), (std::vector<float>{1, 2, 3}));

  expect_error([&] { load_npy(dir.file("missing.npy")); }, {"missing.npy", "file not found"});
  expect_error([&] { load("short.npy", "\x93NUM"); }, {"short.npy", "too short"});
  expect_error([&] { load("magic.npy", "PK\x03\x04 this is a zip, not npy"); },
               {"magic.npy", "magic"});
  std::string version4 = with_header(good);
  version4[6] = 4;
  expect_error([&] { load("v4.npy", version4); }, {"v4.npy", "version 4.0"});
  expect_error([&] { load("cut.npy", with_header(good).substr(0, 30)); },
               {"cut.npy", "header length", "past the end"});
  expect_error([&] { load("i4.npy", with_header("{'descr': '<i4', 'fortran_order': False, "
                                                "'shape': (3,), }")); },
               {"i4.npy", "unsupported dtype '<i4'"});
  expect_error([&] { load("be.npy", with_header("{'descr': '>f4', 'fortran_order': False, "
                                                "'shape': (3,), }")); },
               {"unsupported dtype '>f4'"});
  expect_error([&] { load("f.npy", with_header("{'descr': '<f4', 'fortran_order': True, "
                                               "'shape': (3,), }")); },
               {"f.npy", "Fortran"});
  expect_error([&] { load("few.npy", with_header(good, 8)); },
               {"few.npy", "[3]", "needs 12 data bytes", "has 8"});
  expect_error([&] { load("many.npy", with_header(good) + "x"); }, {"needs 12", "has 13"});
  expect_error([&] { load("big.npy", with_header("{'descr': '<f4', 'fortran_order': False, "
                                                 "'shape': (3, 4), }")); },
               {"[3, 4]", "needs 48"});
  expect_error([&] { load("key.npy", with_header("{'descr': '<f4', 'shape': (3,), }")); },
               {"key.npy", "malformed header", "'fortran_order'"});
  expect_error([&] { load("tuple.npy", with_header("{'descr': '<f4', 'fortran_order': False, "
                                                   "'shape': (3), }")); },
               {"malformed header", "(3,)"});
  expect_error([&] { load("neg.npy", with_header("{'descr': '<f4', 'fortran_order': False, "
                                                 "'shape': (-3,), }")); },
               {"malformed header", "non-negative integer"});
  expect_error([&] { load("extra.npy", with_header("{'descr': '<f4', 'fortran_order': False, "
                                                   "'shape': (3,), 'x': 1}")); },
               {"malformed header", "'x'"});
}

TEST(Npy, NumpyLoadsOurFilesAndWeLoadNumpys) {
  const std::string python = test_support::python_with_numpy();
  if (python.empty())
    GTEST_SKIP() << "python3 with numpy is not available on this machine; the byte-level header "
                    "tests above check the format instead";
  ScratchDir dir;
  save_npy(dir.file("ours_f4.npy"),
           Tensor::from_vector(std::vector<float>{1.5f, -2, 0.25f, 3, 4, 5}, {2, 3}));
  save_npy(dir.file("ours_f8.npy"), Tensor::from_vector(std::vector<double>{0.1, 1e-300}, {2}));
  save_npy(dir.file("ours_i8.npy"), Tensor::scalar(-7, DType::Int64));
  dir.write("check.py", R"(import sys, os
import numpy as np
d = sys.argv[1]
a = np.load(os.path.join(d, 'ours_f4.npy'))
assert a.dtype == np.float32 and a.shape == (2, 3), (a.dtype, a.shape)
assert a.tolist() == [[1.5, -2, 0.25], [3, 4, 5]], a
if tuple(int(p) for p in np.__version__.split('.')[:2]) >= (1, 24):  # checked with 1.24.2
    import io
    theirs = io.BytesIO()
    np.save(theirs, a)
    assert theirs.getvalue() == open(os.path.join(d, 'ours_f4.npy'), 'rb').read(), 'bytes differ'
b = np.load(os.path.join(d, 'ours_f8.npy'))
assert b.dtype == np.float64 and b.shape == (2,) and b.tolist() == [0.1, 1e-300], b
c = np.load(os.path.join(d, 'ours_i8.npy'))
assert c.dtype == np.int64 and c.shape == () and int(c) == -7, c
np.save(os.path.join(d, 'theirs_f4.npy'), np.arange(12, dtype=np.float32).reshape(3, 4) / 8)
np.save(os.path.join(d, 'theirs_i8.npy'), np.array([3, -1, 2**40], dtype=np.int64))
np.save(os.path.join(d, 'theirs_f8.npy'), np.float64(2.5))
)");
  const std::string command = python + " " + dir.file("check.py") + " " + dir.path();
  ASSERT_EQ(std::system(command.c_str()), 0) << "numpy could not load our files: " << command;
  const Tensor f4 = load_npy(dir.file("theirs_f4.npy"));
  EXPECT_EQ(f4.sizes(), (Shape{3, 4}));
  EXPECT_FLOAT_EQ(f4.at({2, 3}), 11.0f / 8);
  EXPECT_EQ(load_npy(dir.file("theirs_i8.npy")).to_vector<int64_t>(),
            (std::vector<int64_t>{3, -1, int64_t{1} << 40}));
  const Tensor f8 = load_npy(dir.file("theirs_f8.npy"));
  EXPECT_EQ(f8.dim(), 0);
  EXPECT_EQ(f8.item(), 2.5);
}

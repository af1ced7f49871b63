// bench/compare_dumps.py, which holds the GPU's dumps against the CPU's in bench/gpu_check.sh:
// it passes equal files, fails a difference above the tolerance, a NaN anywhere, and a tensor in
// one file only, and holds a gradient that is zero in exact arithmetic to an absolute bound.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include <sys/wait.h>

#include "python_with_numpy.h"
#include "temp_dir.h"

#include <bertology/models/checkpoint/safetensors.h>

namespace bertology {
namespace {

struct Comparison {
  int exit_code;
  std::string output;  // stdout and stderr
};

Comparison compare(const std::string& python, const test_support::TempDir& dir, const std::string& a,
                   const std::string& b) {
  const std::string log = dir.file("log.txt");
  const std::string command = python + " '" + BERTOLOGY_SOURCE_DIR + "/bench/compare_dumps.py' '" + a + "' '" + b +
                              "' --label case > '" + log + "' 2>&1";
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, dir.read("log.txt")};
}

// A small dump: an output, a large gradient, and a gradient that is zero in exact arithmetic.
StateDict dump(float output_scale, float zero_gradient, float weight_gradient_0) {
  StateDict d;
  d["logits"] = Tensor::from_vector(std::vector<float>{output_scale, -2.0f, 3.0f}, {3});
  d["grad.key.weight"] = Tensor::from_vector(std::vector<float>{weight_gradient_0, 4.0f, -5.0f, 6.0f}, {2, 2});
  d["grad.key.bias"] = Tensor::from_vector(std::vector<float>{zero_gradient, -zero_gradient}, {2});
  return d;
}

TEST(CompareDumps, PassesWhatAgreesAndFailsWhatDoesNot) {
  const std::string python = test_support::python_with_numpy();
  if (python.empty()) GTEST_SKIP() << "python3 with numpy is not available on this machine";
  test_support::TempDir dir;
  const std::string cpu = dir.file("cpu.safetensors");
  write_safetensors(cpu, dump(1.0f, 1e-9f, 3.0f));

  auto check = [&](const StateDict& gpu, int expected_exit, const std::string& expected_text) {
    write_safetensors(dir.file("gpu.safetensors"), gpu);
    const Comparison c = compare(python, dir, dir.file("gpu.safetensors"), cpu);
    EXPECT_EQ(c.exit_code, expected_exit) << c.output;
    EXPECT_NE(c.output.find(expected_text), std::string::npos) << c.output;
  };
  check(dump(1.0f, 1e-9f, 3.0f), 0, "case: 3 tensors, largest relative error 0 (-): ok");
  check(dump(1.0f + 1e-3f, 1e-9f, 3.0f), 1, "(logits): ABOVE 0.0001");
  // The zero gradient's noise differs by far more than 1e-4 of itself, but by less than 1e-6 of
  // the largest gradient's norm (about 9.3): within the bound.
  check(dump(1.0f, -3e-7f, 3.0f), 0, "(grad.key.bias): ok");
  check(dump(1.0f, 1e-4f, 3.0f), 1, "(grad.key.bias): ABOVE");
  // A NaN anywhere is the verdict, even with tensors after it in the order compared.
  check(dump(1.0f, 1e-9f, std::nanf("")), 1, "largest relative error nan (grad.key.weight): ABOVE");
  StateDict fewer = dump(1.0f, 1e-9f, 3.0f);
  fewer.erase("grad.key.bias");
  check(fewer, 1, "1 tensors are in one file only: grad.key.bias");
}

}  // namespace
}  // namespace bertology

// Every kernel the models use, on the GPU against the CPU: the same random inputs go to both
// devices and the results must agree within 1e-4 relative (float32, TF32 off) or 1e-10
// (float64). Each test skips, saying why, when this build has no CUDA backend or the machine has
// no GPU; bench/gpu_check.sh runs them on the GPU machine.
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/on_device.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

namespace bertology {
namespace {

using kernels::Binary;
using kernels::Reduce;
using kernels::Unary;

#define SKIP_WITHOUT_GPU()                                                                     \
  if (!cuda_available())                                                                       \
  GTEST_SKIP() << (kernels::kCudaBuilt ? "no CUDA GPU on this machine"                         \
                                       : "built without the CUDA backend (-DBERTOLOGY_CUDA=ON)")

const Device kGpu = Device::cuda();

Tensor gpu(const Tensor& t) { return t.to(kGpu); }

double max_abs(const Tensor& t) {  // the largest |value| of a CPU tensor
  double m = 0;
  for (double v : t.to_vector<double>()) m = std::max(m, std::abs(v));
  return m;
}

// The GPU result, brought back, equals the CPU one: same shape and dtype, values within tol
// relative to the larger of the value and `scale`, the size of the terms it was computed from
// (a value that cancels to about 0 differs by the terms' rounding, not by its own).
void expect_same(const Tensor& on_cpu, const Tensor& from_gpu, const std::string& what, double scale = 1.0) {
  ASSERT_TRUE(from_gpu.device().is_cuda()) << what;
  const Tensor back = from_gpu.to(Device::cpu());
  ASSERT_EQ(on_cpu.sizes(), back.sizes()) << what;
  ASSERT_EQ(on_cpu.dtype(), back.dtype()) << what;
  const double tol = on_cpu.dtype() == DType::Float64 ? 1e-10 : 1e-4;
  const std::vector<double> a = on_cpu.to_vector<double>(), b = back.to_vector<double>();
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(a[i])) {
      EXPECT_TRUE(std::isnan(b[i])) << what << " element " << i;
      continue;
    }
    ASSERT_NEAR(a[i], b[i], tol * std::max(scale, std::abs(a[i]))) << what << " element " << i;
  }
}

TEST(CudaKernels, CopiesBetweenDevicesAndStridedViews) {
  SKIP_WITHOUT_GPU();
  Generator gen(1);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor x = Tensor::randn({4, 5, 6}, gen, dt);
    expect_same(x, gpu(x), "round trip");
    expect_same(x.transpose(0, 2).contiguous(), kernels::contiguous(gpu(x).transpose(0, 2)), "contiguous");
    expect_same(kernels::convert(x, DType::Float64), kernels::convert(gpu(x), DType::Float64), "convert");
    Tensor dst = Tensor::zeros({4, 5, 6}, dt), dst_gpu = gpu(dst);
    Tensor row = Tensor::randn({6}, gen, dt);
    kernels::copy_into(dst, row);
    kernels::copy_into(dst_gpu, gpu(row));
    expect_same(dst, dst_gpu, "broadcast copy_into");
    EXPECT_EQ(gpu(x).at({1, 2, 3}), x.at({1, 2, 3}));
  }
}

TEST(CudaKernels, ElementWiseOpsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  Generator gen(2);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor x = Tensor::randn({3, 7, 33}, gen, dt), y = Tensor::randn({7, 1}, gen, dt);
    Tensor pos = kernels::add_scalar(kernels::unary(Unary::Abs, x), 0.5);
    for (Unary op : {Unary::Neg, Unary::Exp, Unary::Tanh, Unary::Erf, Unary::Relu, Unary::Abs, Unary::GeluErf,
                     Unary::GeluTanh, Unary::Sign})
      expect_same(kernels::unary(op, x), kernels::unary(op, gpu(x)), "unary " + std::to_string(int(op)));
    for (Unary op : {Unary::Log, Unary::Sqrt})
      expect_same(kernels::unary(op, pos), kernels::unary(op, gpu(pos)), "unary " + std::to_string(int(op)));
    expect_same(kernels::pow_scalar(pos, 1.5), kernels::pow_scalar(gpu(pos), 1.5), "pow");
    for (Binary op : {Binary::Add, Binary::Sub, Binary::Mul, Binary::Div, Binary::Lt, Binary::Eq})
      expect_same(kernels::binary(op, x, y), kernels::binary(op, gpu(x), gpu(y)), "binary " + std::to_string(int(op)));
    expect_same(kernels::add_scalar(x, 2.5), kernels::add_scalar(gpu(x), 2.5), "add_scalar");
    expect_same(kernels::mul_scalar(x, -3), kernels::mul_scalar(gpu(x), -3), "mul_scalar");
    Tensor cond = kernels::binary(Binary::Gt, x, Tensor::zeros({1}, dt));
    expect_same(kernels::where(cond, x, kernels::unary(Unary::Neg, x)),
                kernels::where(gpu(cond), gpu(x), gpu(kernels::unary(Unary::Neg, x))), "where");
    expect_same(kernels::masked_fill(x, cond, -1e4), kernels::masked_fill(gpu(x), gpu(cond), -1e4), "masked_fill");
    Tensor dy = Tensor::randn(x.sizes(), gen, dt);
    for (bool tanh_form : {false, true})
      expect_same(kernels::gelu_backward(dy, x, tanh_form), kernels::gelu_backward(gpu(dy), gpu(x), tanh_form),
                  "gelu_backward");
    expect_same(kernels::relu_backward(dy, x), kernels::relu_backward(gpu(dy), gpu(x)), "relu_backward");
    Tensor acc = x.clone(), acc_gpu = gpu(x);
    kernels::axpy_(acc, 0.25, dy);
    kernels::axpy_(acc_gpu, 0.25, gpu(dy));
    expect_same(acc, acc_gpu, "axpy_");
  }
}

TEST(CudaKernels, ReductionsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  Generator gen(3);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor x = Tensor::randn({5, 130, 9}, gen, dt);
    for (const std::vector<int64_t>& dims : std::vector<std::vector<int64_t>>{{}, {0}, {1}, {2}, {0, 2}})
      for (bool keepdim : {false, true}) {
        expect_same(kernels::reduce(Reduce::Sum, x, dims, keepdim), kernels::reduce(Reduce::Sum, gpu(x), dims, keepdim), "sum");
        expect_same(kernels::reduce(Reduce::Max, x, dims, keepdim), kernels::reduce(Reduce::Max, gpu(x), dims, keepdim), "max");
      }
    expect_same(kernels::argmax(x, 1, false), kernels::argmax(gpu(x), 1, false), "argmax");
    EXPECT_EQ(kernels::first_non_finite(gpu(x)), -1);
    Tensor bad = x.clone();
    bad.select(0, 3).select(0, 7).fill_(std::nan(""));
    EXPECT_EQ(kernels::first_non_finite(gpu(bad)), kernels::first_non_finite(bad));
  }
}

TEST(CudaKernels, MatrixProductsMatchTheCpuForEveryLayout) {
  SKIP_WITHOUT_GPU();
  Generator gen(4);
  for (DType dt : {DType::Float32, DType::Float64}) {
    Tensor a = Tensor::randn({2, 3, 17, 64}, gen, dt), b = Tensor::randn({2, 3, 64, 29}, gen, dt);
    expect_same(kernels::matmul(a, b), kernels::matmul(gpu(a), gpu(b)), "batched");
    Tensor bt = Tensor::randn({2, 3, 29, 64}, gen, dt).transpose(2, 3);  // a transposed view
    expect_same(kernels::matmul(a, bt), kernels::matmul(gpu(a), gpu(bt.contiguous()).view({2, 3, 64, 29})), "contiguous b");
    Tensor bt_gpu = gpu(bt.transpose(2, 3).contiguous()).transpose(2, 3);
    expect_same(kernels::matmul(a, bt), kernels::matmul(gpu(a), bt_gpu), "transposed view");
    Tensor w = Tensor::randn({64, 29}, gen, dt);
    expect_same(kernels::matmul(a, w.expand({2, 3, 64, 29})), kernels::matmul(gpu(a), gpu(w).expand({2, 3, 64, 29})),
                "broadcast weight");
  }
}

TEST(CudaKernels, RowWiseKernelsMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  Generator gen(5);
  for (DType dt : {DType::Float32, DType::Float64})
    for (int64_t width : {1, 31, 128, 768, 1024, 1025, 3000}) {  // softmax: a warp per row up to 1024
      Tensor x = Tensor::randn({70, width}, gen, dt), dy = Tensor::randn({70, width}, gen, dt);
      Tensor y = kernels::softmax(x);
      expect_same(y, kernels::softmax(gpu(x)), "softmax");
      Tensor masked = x.clone();  // row 3 fully masked (all zeros out), row 5 partly
      masked.select(0, 3).fill_(-INFINITY);
      masked.select(0, 5).narrow(0, 0, (width + 1) / 2).fill_(-INFINITY);
      expect_same(kernels::softmax(masked), kernels::softmax(gpu(masked)), "softmax, masked rows");
      expect_same(kernels::softmax_backward(y, dy), kernels::softmax_backward(gpu(y), gpu(dy)), "softmax_backward");
      Tensor ly = kernels::log_softmax(x);
      expect_same(ly, kernels::log_softmax(gpu(x)), "log_softmax");
      expect_same(kernels::log_softmax_backward(ly, dy), kernels::log_softmax_backward(gpu(ly), gpu(dy)),
                  "log_softmax_backward");
      Tensor w = Tensor::randn({width}, gen, dt), b = Tensor::randn({width}, gen, dt);
      kernels::LayerNormResult cpu = kernels::layer_norm(x, w, b, 1e-12);
      kernels::LayerNormResult cud = kernels::layer_norm(gpu(x), gpu(w), gpu(b), 1e-12);
      expect_same(cpu.y, cud.y, "layer_norm");
      expect_same(cpu.mean, cud.mean, "layer_norm mean");
      expect_same(cpu.rstd, cud.rstd, "layer_norm rstd");
      kernels::LayerNormGrads gc = kernels::layer_norm_backward(dy, x, cpu.mean, cpu.rstd, w, true, true, true);
      kernels::LayerNormGrads gg =
          kernels::layer_norm_backward(gpu(dy), gpu(x), cud.mean, cud.rstd, gpu(w), true, true, true);
      // dx = rstd·(dy·w − mean(dy·w) − x̂·mean(dy·w·x̂)): at width 1 the bracket cancels to 0 and
      // rstd = 1/√eps = 1e6 scales the rounding of dy·w (FMA on the GPU, not on the CPU).
      const double dx_scale = max_abs(cpu.rstd) * max_abs(dy) * max_abs(w);
      expect_same(gc.dx, gg.dx, "layer_norm dx", std::max(1.0, dx_scale));
      expect_same(gc.dweight, gg.dweight, "layer_norm dweight");
      expect_same(gc.dbias, gg.dbias, "layer_norm dbias");
    }
}

TEST(CudaKernels, IndexingAndLossMatchTheCpu) {
  SKIP_WITHOUT_GPU();
  Generator gen(6);
  Tensor table = Tensor::randn({50, 16}, gen);
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{3, 7, 3, 49, 0, 7}, {6});
  expect_same(kernels::index_select(table, 0, ids), kernels::index_select(gpu(table), 0, gpu(ids)), "index_select");
  Tensor rows = Tensor::randn({6, 16}, gen);
  expect_same(kernels::index_add(rows, 0, ids, 50), kernels::index_add(gpu(rows), 0, gpu(ids), 50), "index_add");
  Tensor other = Tensor::randn({2, 16}, gen);
  expect_same(kernels::cat({table, other}, 0), kernels::cat({gpu(table), gpu(other)}, 0), "cat");

  Tensor logits = Tensor::randn({6, 11}, gen);
  Tensor target = Tensor::from_vector(std::vector<int64_t>{1, 10, -100, 0, 5, 5}, {6});
  kernels::CrossEntropyResult cpu = kernels::cross_entropy(logits, target, -100);
  kernels::CrossEntropyResult cud = kernels::cross_entropy(gpu(logits), gpu(target), -100);
  expect_same(cpu.losses, cud.losses, "cross_entropy");
  Tensor dloss = Tensor::randn({6}, gen);
  expect_same(kernels::cross_entropy_backward(cpu.log_probs, target, dloss, -100),
              kernels::cross_entropy_backward(cud.log_probs, gpu(target), gpu(dloss), -100), "cross_entropy_backward");
}

TEST(CudaKernels, OperandsOnDifferentDevicesAreRefusedWithAClearMessage) {
  SKIP_WITHOUT_GPU();
  Tensor a = Tensor::ones({2, 2});
  try {
    kernels::binary(Binary::Add, a, gpu(a));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("operands on different devices, cpu and cuda:0"), std::string::npos)
        << e.what();
  }
}

TEST(CudaKernels, AskingForAGpuThatIsNotThereSaysWhy) {
  if (cuda_available()) GTEST_SKIP() << "this machine has a CUDA GPU";
  try {
    Tensor::ones({2}).to(kGpu);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_STREQ(e.what(), kernels::kCudaBuilt ? "device cuda:0: no CUDA GPU is present on this machine"
                                               : "device cuda:0 is not available in this build");
  }
}

}  // namespace
}  // namespace bertology

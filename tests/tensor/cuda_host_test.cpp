// Host-side checks of the CUDA backend's shared arithmetic, run in every build: the strided
// addressing the kernels use (tensor/cuda/strided_index.h) against Tensor's own strides, for
// views, broadcasts and offsets; and the per-element math (tensor/cuda/element_math.h) against
// the CPU kernels.
#include <bertology/tensor/cuda/element_math.h>
#include <bertology/tensor/cuda/strided_index.h>
#include <bertology/tensor/kernels/kernels.h>

#include <gtest/gtest.h>

namespace bertology {
namespace {

// Offsets StridedIndex gives for every element of `shape`, against the tensor's contiguous copy:
// reading storage at those offsets must give the values in row-major order.
void expect_walks_like_the_tensor(const Tensor& view, const Shape& shape) {
  const cuda::StridedIndex index = cuda::strided_index(view, shape);
  const Tensor expanded = kernels::contiguous(view.expand(shape));
  const std::vector<double> expected = expanded.to_vector<double>();
  const double* storage = static_cast<const double*>(view.storage()->data());
  ASSERT_EQ(static_cast<int64_t>(expected.size()), shape_numel(shape));
  for (int64_t i = 0; i < shape_numel(shape); ++i) ASSERT_EQ(storage[index(i)], expected[i]) << "element " << i;
}

TEST(CudaHost, StridedIndexWalksViewsBroadcastsAndOffsets) {
  Tensor base = Tensor::arange(0.0, 2.0 * 3 * 4 * 5, 1.0, DType::Float64).view({2, 3, 4, 5});
  expect_walks_like_the_tensor(base, {2, 3, 4, 5});
  expect_walks_like_the_tensor(base.permute({3, 1, 0, 2}), {5, 3, 2, 4});
  expect_walks_like_the_tensor(base.narrow(2, 1, 2).select(0, 1), {3, 2, 5});
  expect_walks_like_the_tensor(base.slice(3, 0, 5, 2), {2, 3, 4, 3});
  expect_walks_like_the_tensor(base.select(1, 2).select(1, 3), {7, 2, 5});  // new leading dim
  expect_walks_like_the_tensor(base.narrow(3, 4, 1), {2, 3, 4, 6});         // size-1 dim broadcast
}

// Below 2^32 the walk runs in 32-bit arithmetic: the same offsets as the 64-bit walk, which takes
// over for larger positions or sizes (no memory behind these: the walk is arithmetic only).
TEST(CudaHost, StridedIndexUses32BitArithmeticOnlyWhereItGivesTheSameOffsets) {
  cuda::StridedIndex ix;
  ix.ndim = 3;
  const int64_t sizes[] = {7, 3000, 129}, strides[] = {0, 1, 3000};  // a broadcast and a transposed dim
  for (int d = 0; d < 3; ++d) ix.sizes[d] = sizes[d], ix.strides[d] = strides[d];
  ix.offset = 11;
  for (int64_t i = 0; i < 7 * 3000 * 129; i += 997) {
    ASSERT_TRUE(ix.fits_32bit(i));
    ASSERT_EQ(ix.offset_of_32bit(static_cast<uint32_t>(i)), ix.offset_of_64bit(i)) << "element " << i;
  }
  const int64_t two_32 = int64_t{1} << 32;
  EXPECT_FALSE(ix.fits_32bit(two_32));
  EXPECT_FALSE(ix.fits_32bit(-1));
  ix.sizes[1] = two_32 + 5;  // one size beyond 32 bits: even small positions take the 64-bit walk
  EXPECT_FALSE(ix.fits_32bit(3));
  EXPECT_EQ(ix(two_32 * 129 + 7), ix.offset_of_64bit(two_32 * 129 + 7));
  EXPECT_EQ(ix(two_32 * 129 + 7), 11 + 0 * 3000 + (two_32 % (two_32 + 5)) * 1 + 7 * 3000);
}

TEST(CudaHost, StridedIndexRefusesShapesItCannotWalk) {
  Tensor x = Tensor::zeros({2, 3}, DType::Float64);
  EXPECT_THROW(cuda::strided_index(x, {2, 4}), Error);
  EXPECT_THROW(cuda::strided_index(x, {3}), Error);
  EXPECT_THROW(cuda::strided_index(Tensor::zeros({1, 1, 1, 1, 1, 1, 1, 1, 1}), {1, 1, 1, 1, 1, 1, 1, 1, 1}), Error);
}

// Every unary op and derivative of element_math.h, in double (where the CPU also uses the C
// library: equal to the last bits) and float (where the CPU's GELU uses its own vectorised exp,
// tanh and erf: within a few float ulps).
TEST(CudaHost, ElementMathMatchesTheCpuKernels) {
  using kernels::Unary;
  std::vector<double> values;
  for (double v = -9.0; v <= 9.0; v += 0.0625) values.push_back(v);
  const int64_t n = static_cast<int64_t>(values.size());
  const Tensor x64 = Tensor::from_vector(values, {n});
  const Tensor x32 = x64.to(DType::Float32);
  const Tensor dy64 = Tensor::full({n}, 0.75, DType::Float64), dy32 = dy64.to(DType::Float32);
  for (Unary op : {Unary::Neg, Unary::Exp, Unary::Log, Unary::Sqrt, Unary::Tanh, Unary::Erf, Unary::Relu, Unary::Abs,
                   Unary::GeluErf, Unary::GeluTanh, Unary::Sign}) {
    const std::vector<double> cpu64 = kernels::unary(op, x64).to_vector<double>();
    const std::vector<float> cpu32 = kernels::unary(op, x32).to_vector<float>();
    for (int64_t i = 0; i < n; ++i) {
      const double want64 = cpu64[i], got64 = cuda::apply_unary(op, values[i]);
      if (std::isnan(want64)) EXPECT_TRUE(std::isnan(got64)) << "op " << int(op) << " at " << values[i];
      else EXPECT_EQ(got64, want64) << "op " << int(op) << " at " << values[i];
      const float want32 = cpu32[i], got32 = cuda::apply_unary(op, static_cast<float>(values[i]));
      if (std::isnan(want32)) EXPECT_TRUE(std::isnan(got32)) << "op " << int(op) << " at " << values[i];
      else if (std::isinf(want32)) EXPECT_EQ(got32, want32) << "op " << int(op) << " at " << values[i];
      else EXPECT_NEAR(got32, want32, 1e-6f * std::max(1.0f, std::abs(want32))) << "op " << int(op) << " at " << values[i];
    }
  }
  for (bool tanh_form : {false, true}) {
    const std::vector<double> cpu64 = kernels::gelu_backward(dy64, x64, tanh_form).to_vector<double>();
    const std::vector<float> cpu32 = kernels::gelu_backward(dy32, x32, tanh_form).to_vector<float>();
    for (int64_t i = 0; i < n; ++i) {
      const double got64 = tanh_form ? cuda::gelu_tanh_backward(0.75, values[i]) : cuda::gelu_erf_backward(0.75, values[i]);
      EXPECT_NEAR(got64, cpu64[i], 1e-15) << "gelu backward at " << values[i];
      const float v = static_cast<float>(values[i]);
      const float got32 = tanh_form ? cuda::gelu_tanh_backward(0.75f, v) : cuda::gelu_erf_backward(0.75f, v);
      EXPECT_NEAR(got32, cpu32[i], 5e-6f) << "gelu backward (float) at " << values[i];
    }
  }
}

}  // namespace
}  // namespace bertology

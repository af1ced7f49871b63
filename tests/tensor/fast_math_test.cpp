// The branch-free float exp / tanh / erf used by GELU and its backward, against double
// precision on a dense grid over [-10, 10] (and the extremes): the bounds fast_math.h states.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include <bertology/tensor/kernels/fast_math.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/softmax_row.h>

namespace bertology::kernels::fast {
namespace {

constexpr float kUlpAtOne = std::numeric_limits<float>::epsilon();  // 2^-23

TEST(FastMath, ExpWithinTwoUlp) {
  double worst = 0;
  for (double x = -80; x <= 80; x += 1e-4) {
    const float xf = static_cast<float>(x);
    const double exact = std::exp(static_cast<double>(xf));
    worst = std::max(worst, std::fabs(exp_f(xf) - exact) / exact);
  }
  EXPECT_LT(worst, 2 * kUlpAtOne / 2);  // relative ulp of a float is between 2^-24 and 2^-23
  EXPECT_EQ(exp_f(-1000.0f), exp_f(-87.3f));  // clamped: a tiny normal number, not NaN
  EXPECT_LT(exp_f(-1000.0f), 1e-37f);
  EXPECT_TRUE(std::isfinite(exp_f(1000.0f)));
}

TEST(FastMath, TanhAndErfWithinAFewUlpOfOne) {
  double worst_tanh = 0, worst_erf = 0;
  for (double x = -10; x <= 10; x += 1e-5) {
    const float xf = static_cast<float>(x);
    worst_tanh = std::max(worst_tanh, std::fabs(tanh_f(xf) - std::tanh(static_cast<double>(xf))));
    worst_erf = std::max(worst_erf, std::fabs(erf_f(xf) - std::erf(static_cast<double>(xf))));
  }
  EXPECT_LT(worst_tanh, 2e-7);
  EXPECT_LT(worst_erf, 6e-7);
  EXPECT_EQ(tanh_f(50.0f), 1.0f);
  EXPECT_EQ(tanh_f(-50.0f), -1.0f);
  EXPECT_EQ(erf_f(50.0f), 1.0f);
  EXPECT_EQ(erf_f(-50.0f), -1.0f);
  EXPECT_EQ(tanh_f(0.0f), 0.0f);
  EXPECT_NEAR(erf_f(0.0f), 0.0f, 1e-7);
}

// Softmax rows: masked keys (-1e4, finfo.min) get exactly 0; the rest match double precision.
TEST(FastMath, SoftmaxRowGivesMaskedKeysNoMass) {
  const float lowest = std::numeric_limits<float>::lowest();
  std::vector<float> row{0.5f, -1e4f, 3.0f, lowest, -2.0f, 1.25f, -90.0f, 0.0f};
  std::vector<float> y(row.size());
  softmax_row(row.data(), y.data(), static_cast<int64_t>(row.size()));
  double total = 0;
  for (float v : row) total += v > -80 ? std::exp(static_cast<double>(v) - 3.0) : 0.0;
  for (size_t j = 0; j < row.size(); ++j) {
    const double exact = row[j] > -80 ? std::exp(static_cast<double>(row[j]) - 3.0) / total : 0.0;
    EXPECT_NEAR(y[j], exact, 1e-7 * std::max(exact, 1.0)) << j;
  }
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[3], 0.0f);
  EXPECT_EQ(y[6], 0.0f);  // e^-93: below exp_f's clamp, so 0 rather than the clamped value
  std::vector<float> masked(4, -std::numeric_limits<float>::infinity()), out(4, 1.0f);
  softmax_row(masked.data(), out.data(), 4);
  EXPECT_EQ(out, std::vector<float>(4, 0.0f));  // every key masked: no mass anywhere
}

// GELU and its derivative run an AVX-512 or AVX2 loop on contiguous float data where the CPU
// has one, and the baseline loop on strided data: both must give the same bits.
TEST(FastMath, GeluGivesTheSameBitsContiguousOrStrided) {
  Generator gen(3);
  Tensor x = Tensor::uniform({64, 96}, -8, 8, gen);  // contiguous
  Tensor dy = Tensor::uniform({64, 96}, -2, 2, gen);
  Tensor xt = x.transpose(0, 1).contiguous().transpose(0, 1);  // same values, strided
  Tensor dyt = dy.transpose(0, 1).contiguous().transpose(0, 1);
  ASSERT_FALSE(xt.is_contiguous());
  for (Unary form : {Unary::GeluErf, Unary::GeluTanh}) {
    EXPECT_EQ(unary(form, x).to_vector<float>(), unary(form, xt).to_vector<float>());
    const bool tanh_form = form == Unary::GeluTanh;
    EXPECT_EQ(gelu_backward(dy, x, tanh_form).to_vector<float>(), gelu_backward(dyt, xt, tanh_form).to_vector<float>());
  }
}

}  // namespace
}  // namespace bertology::kernels::fast

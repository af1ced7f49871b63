// The lane reductions behind layer_norm, softmax and the attention backward: what they sum, in
// which order, and that the row kernels built on them give the same bits at any thread count.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include <bertology/autograd/autograd.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/kernels/lane_sum.h>
#include <bertology/tensor/kernels/softmax_row.h>
#include <bertology/tensor/parallel.h>

using namespace bertology;
using kernels::lane_max;
using kernels::lane_sum;

namespace {

std::vector<float> values(int64_t n) {
  std::vector<float> v(n);
  for (int64_t j = 0; j < n; ++j) v[j] = std::sin(0.37f * static_cast<float>(j)) * (1.0f + 0.01f * j);
  return v;
}

TEST(LaneSum, SumsEveryTermForAnyLength) {
  for (int64_t n : {0, 1, 7, 8, 9, 16, 23, 768}) {
    // Integers are summed exactly in any order: the result shows each term counted once.
    const double got = lane_sum<double>(n, [](int64_t j) { return static_cast<double>(j + 1); });
    EXPECT_EQ(got, static_cast<double>(n * (n + 1) / 2)) << "n = " << n;
  }
}

TEST(LaneSum, AddsLaneByLaneThenPairwiseInAFixedOrder) {
  const int64_t n = 21;  // two full rounds of eight and a tail of five
  const std::vector<float> x = values(n);
  float lanes[8] = {};
  for (int64_t j = 0; j < n; ++j) lanes[j % 8] += x[j];
  const float expected = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
  const float got = lane_sum<float>(n, [&](int64_t j) { return x[j]; });
  EXPECT_EQ(got, expected);  // the same bits, not merely close
}

TEST(LaneSum, MaxSkipsNaNLikeTheSequentialLoop) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::vector<float> x = values(37);
  x[3] = nan;
  x[30] = 5.0f;
  float sequential = -inf;
  for (float v : x) sequential = std::max(sequential, v);
  EXPECT_EQ(lane_max(x.data(), 37), sequential);
  EXPECT_EQ(lane_max(x.data(), 37), 5.0f);
  const std::vector<float> all_nan(9, nan);
  EXPECT_EQ(lane_max(all_nan.data(), 9), -inf);  // as the loop from -inf: nothing was larger
  EXPECT_EQ(lane_max(x.data(), 0), -inf);
}

// softmax_row_f32 runs the clone this CPU picks (AVX-512 or AVX2 on most machines); the template
// compiled into this test is the baseline code. Lanes keep their order at every width: same bits.
TEST(LaneSum, SoftmaxRowCloneGivesTheBaselineBits) {
  const float inf = std::numeric_limits<float>::infinity();
  for (int64_t n : {1, 5, 8, 77, 128, 300}) {
    std::vector<float> x = values(n), cloned(n), baseline(n);
    for (float& v : x) v *= 9.0f;
    if (n > 4) {  // masked keys as the models mask them: -inf, finfo.min, GPT's -1e4
      x[1] = -inf;
      x[2] = std::numeric_limits<float>::lowest();
      x[n - 1] = -1e4f;
    }
    kernels::softmax_row_f32(x.data(), cloned.data(), n);
    kernels::softmax_row_generic(x.data(), baseline.data(), n);
    for (int64_t j = 0; j < n; ++j) ASSERT_EQ(cloned[j], baseline[j]) << "n = " << n << ", entry " << j;
  }
}

// Each row is reduced on its own, and layer_norm's ∂w and ∂b add fixed blocks of 64 rows in
// order: 300 rows make five blocks, and no result may depend on how rows are split among threads.
TEST(LaneSum, RowKernelsGiveTheSameBitsOnOneThreadAndTwo) {
  Generator gen(7);
  const Tensor x = Tensor::randn({300, 200}, gen), dy = Tensor::randn({300, 200}, gen);
  const Tensor w = Tensor::randn({200}, gen), b = Tensor::randn({200}, gen);
  auto run = [&](int threads) {
    set_num_threads(threads);
    const kernels::LayerNormResult ln = kernels::layer_norm(x, w, b, 1e-5);
    const kernels::LayerNormGrads g = kernels::layer_norm_backward(dy, x, ln.mean, ln.rstd, w, true, true, true);
    const Tensor p = kernels::softmax(x), logp = kernels::log_softmax(x);
    return std::vector<Tensor>{ln.y,
                               g.dx,
                               g.dweight,
                               g.dbias,
                               p,
                               logp,
                               kernels::softmax_backward(p, dy),
                               kernels::log_softmax_backward(logp, dy)};
  };
  const int before = num_threads();
  const std::vector<Tensor> one = run(1), two = run(2);
  set_num_threads(before);
  for (size_t i = 0; i < one.size(); ++i) {
    ASSERT_EQ(one[i].numel(), two[i].numel());
    const float *p = one[i].data<float>(), *q = two[i].data<float>();
    for (int64_t j = 0; j < one[i].numel(); ++j) ASSERT_EQ(p[j], q[j]) << "output " << i << ", element " << j;
  }
}

// Lane sums round differently from one long chain, but no worse: layer_norm's rows against a
// double reference.
TEST(LaneSum, LayerNormStaysWithinFloatRoundingOfADoubleReference) {
  Generator gen(3);
  const Tensor x = Tensor::randn({16, 768}, gen) * 4.0 + 1.0;
  const kernels::LayerNormResult ln = kernels::layer_norm(x, Tensor(), Tensor(), 1e-12);
  const float* xs = x.data<float>();
  const float* ys = ln.y.data<float>();
  for (int64_t i = 0; i < 16; ++i) {
    long double mean = 0, var = 0;
    for (int64_t j = 0; j < 768; ++j) mean += xs[i * 768 + j];
    mean /= 768;
    for (int64_t j = 0; j < 768; ++j) var += (xs[i * 768 + j] - mean) * (xs[i * 768 + j] - mean);
    var /= 768;
    for (int64_t j = 0; j < 768; ++j) {
      const double expected = static_cast<double>((xs[i * 768 + j] - mean) / std::sqrt(var + 1e-12L));
      EXPECT_NEAR(ys[i * 768 + j], expected, 4e-7 * (1 + std::fabs(expected))) << "row " << i << ", column " << j;
    }
  }
}

}  // namespace

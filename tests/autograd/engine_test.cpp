// The backward engine: accumulation, retain_grad, hooks, no_grad, detach, the version counter,
// freed buffers, and the proof that a backward for one small input runs no weight-gradient GEMM.
#include <gtest/gtest.h>

#include <bertology/autograd/autograd.h>
#include <bertology/tensor/kernels/kernels.h>

using namespace bertology;

namespace {

void expect_message(const std::function<void()>& f, const std::string& needle) {
  try {
    f();
    FAIL() << "expected an error containing: " << needle;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message was: " << e.what();
  }
}

Tensor param(const Shape& shape, Generator& gen) { return Tensor::randn(shape, gen).requires_grad_(); }

}  // namespace

TEST(Engine, AccumulatesIntoLeaves) {
  Tensor x = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}).requires_grad_();
  Tensor y = sum(x * x);
  y.backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{2, 4, 6}));
  sum(x * 3.0).backward();  // a second graph accumulates
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{5, 7, 9}));
  x.zero_grad();
  EXPECT_FALSE(x.grad().defined());
}

TEST(Engine, DiamondGraphSumsBothPaths) {
  Tensor x = Tensor::full({}, 3.0, DType::Float64).requires_grad_();
  Tensor a = x * 2.0, b = x * x;
  (a * b).backward();  // d/dx 2x³ = 6x² = 54
  EXPECT_DOUBLE_EQ(x.grad().item(), 54.0);
}

TEST(Engine, RetainGradAndHooks) {
  Tensor x = Tensor::ones({2}).requires_grad_();
  Tensor h = x * 3.0;
  h.retain_grad();
  std::vector<float> seen;
  h.register_hook([&](const Tensor& g) {
    seen = g.to_vector<float>();
    return g * 10.0;  // replaces the gradient flowing on
  });
  sum(h * 2.0).backward();
  EXPECT_EQ(seen, (std::vector<float>{2, 2}));
  EXPECT_EQ(h.grad().to_vector<float>(), (std::vector<float>{20, 20}));
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{60, 60}));
  int id = x.register_hook([](const Tensor& g) { return g * 0.0; });
  x.zero_grad();
  sum(x).backward();
  EXPECT_EQ(x.grad().to_vector<float>(), (std::vector<float>{0, 0}));
  x.remove_hook(id);
}

TEST(Engine, NoGradAndDetach) {
  Tensor x = Tensor::ones({2}).requires_grad_();
  {
    NoGradGuard guard;
    EXPECT_FALSE((x * 2.0).requires_grad());
  }
  EXPECT_TRUE((x * 2.0).requires_grad());
  Tensor d = (x * 2.0).detach();
  EXPECT_FALSE(d.requires_grad());
  EXPECT_TRUE(d.is_leaf());
  EXPECT_EQ((x * 2.0).grad_fn_name(), "mul");
}

TEST(Engine, InPlaceEditOfSavedTensorIsCaught) {
  Tensor x = Tensor::ones({3}).requires_grad_();
  Tensor w = Tensor::ones({3});
  Tensor y = sum(x * w);
  w.fill_(2.0);  // w was saved by mul
  expect_message([&] { y.backward(); }, "mul backward: a tensor of shape [3] saved for backward was modified in place");
}

TEST(Engine, SecondBackwardThroughFreedBuffers) {
  Tensor x = Tensor::ones({3}).requires_grad_();
  Tensor y = sum(exp(x));
  y.backward();
  expect_message([&] { y.backward(); }, "a second time: its saved tensors were freed");
  Tensor z = sum(exp(x));
  z.backward(Tensor(), {}, /*retain_graph=*/true);
  z.backward();  // allowed once retained
}

TEST(Engine, BadBackwardCalls) {
  Tensor x = Tensor::ones({3}).requires_grad_();
  expect_message([&] { (x * 2.0).backward(); }, "grad_output is required for a non-scalar output of shape [3]");
  expect_message([&] { Tensor::ones({2}).backward(); }, "does not require grad");
  expect_message([&] { (x * 2.0).backward(Tensor::ones({4})); }, "grad_output of shape [4] for an output of shape [3]");
  expect_message([&] { Tensor::ones({2}, DType::Int64).requires_grad_(); }, "only float tensors can require grad");
}

TEST(Engine, GradOfOneInputRunsNoWeightGradientProducts) {
  // A 3-layer network whose weights require grad, and a small input "mask" that scales the
  // hidden units (like a head mask). Asking for the mask's gradient alone must run only the
  // products that carry gradients back to the mask: one dX GEMM per layer above the mask.
  Generator gen(5);
  Tensor x = Tensor::randn({8, 16}, gen);
  Tensor w1 = param({16, 16}, gen), w2 = param({16, 16}, gen), w3 = param({4, 16}, gen);
  Tensor mask = Tensor::ones({16}).requires_grad_();
  auto forward = [&] { return sum(linear(tanh(linear(linear(x, w1) * mask, w2)), w3)); };

  Tensor loss = forward();
  int64_t before = kernels::gemm_calls();
  std::vector<Tensor> g = grad(loss, {mask});
  int64_t mask_only = kernels::gemm_calls() - before;
  EXPECT_EQ(mask_only, 2);  // dX of w3's layer and of w2's layer; nothing for w1, no dW at all
  EXPECT_EQ(g[0].sizes(), (Shape{16}));
  EXPECT_FALSE(w1.grad().defined());

  loss = forward();
  before = kernels::gemm_calls();
  loss.backward(Tensor(), {mask});
  EXPECT_EQ(kernels::gemm_calls() - before, 2);
  EXPECT_FALSE(w2.grad().defined());

  loss = forward();
  before = kernels::gemm_calls();
  loss.backward();  // everything: 3 dW + 2 dX (no dX for the constant input x)
  EXPECT_EQ(kernels::gemm_calls() - before, 5);
  EXPECT_TRUE(w1.grad().defined());
}

TEST(Optimizers, AdamWFitsLinearRegression) {
  // y = 3x - 2 exactly; AdamW with a linear schedule must reach a tiny loss.
  Generator gen(0);
  Tensor x = Tensor::uniform({64, 1}, -1, 1, gen);
  Tensor y = x * 3.0 - 2.0;
  Tensor w = Tensor::zeros({1, 1}).requires_grad_(), b = Tensor::zeros({1}).requires_grad_();
  AdamW opt({w, b}, 0.1, 0.9, 0.999, 1e-8, 0.0);
  const int steps = 400;
  double loss_value = 0;
  for (int s = 0; s < steps; ++s) {
    Tensor loss = mse_loss(linear(x, w, b), y);
    opt.zero_grad();
    loss.backward();
    clip_grad_norm({w, b}, 10.0);
    opt.set_lr(0.1 * linear_schedule(s, 20, steps));
    opt.step();
    loss_value = loss.item();
  }
  EXPECT_LT(loss_value, 1e-4);
  EXPECT_NEAR(w.at({0, 0}), 3.0, 0.02);
  EXPECT_NEAR(b.at({0}), -2.0, 0.02);
}

TEST(Optimizers, SGDAndScheduleAndClipping) {
  Tensor w = Tensor::full({2}, 1.0, DType::Float64).requires_grad_();
  SGD opt({w}, 0.5);
  sum(w * w).backward();  // grad 2w = [2, 2]
  double norm = clip_grad_norm({w}, 1.0);
  EXPECT_NEAR(norm, std::sqrt(8.0), 1e-12);
  opt.step();  // w -= 0.5 * clipped grad (norm 1)
  EXPECT_NEAR(w.at({0}), 1.0 - 0.5 / std::sqrt(2.0), 1e-6);
  EXPECT_DOUBLE_EQ(linear_schedule(5, 10, 110), 0.5);
  EXPECT_DOUBLE_EQ(linear_schedule(60, 10, 110), 0.5);
  EXPECT_DOUBLE_EQ(linear_schedule(200, 10, 110), 0.0);
}

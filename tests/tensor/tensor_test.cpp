// Tensor basics: creation, views sharing storage, strides, conversions, broadcasting kernels,
// reductions, matmul against a naive loop, and error messages for bad input.
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
}  // namespace

TEST(Tensor, CreationAndAccess) {
  Tensor z = Tensor::zeros({2, 3});
  EXPECT_EQ(z.numel(), 6);
  EXPECT_EQ(z.dtype(), DType::Float32);
  EXPECT_TRUE(z.is_contiguous());
  Tensor o = Tensor::ones({2}, DType::Float64);
  EXPECT_EQ(o.at({1}), 1.0);
  Tensor f = Tensor::full({2, 2}, 3.5);
  EXPECT_EQ(f.at({1, 1}), 3.5);
  Tensor a = Tensor::arange(5);
  EXPECT_EQ(a.dtype(), DType::Int64);
  EXPECT_EQ(a.to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3, 4}));
  Tensor r = Tensor::arange(0.0, 1.0, 0.25);
  EXPECT_EQ(r.numel(), 4);
  Tensor v = Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(v.at({1, 2}), 6.0);
  EXPECT_EQ(v.at({-1, -1}), 6.0);
  double raw[2] = {7, 8};
  Tensor b = Tensor::from_blob(raw, {2}, DType::Float64);
  raw[0] = 0;  // copied, not aliased
  EXPECT_EQ(b.at({0}), 7.0);
  EXPECT_NE(v.str().find("[2, 3]"), std::string::npos);
}

TEST(Tensor, SeededRandomIsReproducible) {
  Generator g1(42), g2(42);
  EXPECT_EQ(Tensor::randn({10}, g1).to_vector<float>(), Tensor::randn({10}, g2).to_vector<float>());
  Tensor u = Tensor::uniform({1000}, -1, 1, g1);
  for (float x : u.to_vector<float>()) EXPECT_TRUE(x >= -1 && x < 1);
}

TEST(Tensor, ViewsShareStorage) {
  Tensor x = Tensor::from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  Tensor t = x.transpose(0, 1);
  EXPECT_EQ(t.sizes(), (Shape{3, 2}));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_EQ(t.at({2, 1}), 5.0);
  Tensor n = x.narrow(1, 1, 2);
  EXPECT_EQ(n.to_vector<float>(), (std::vector<float>{1, 2, 4, 5}));
  n.fill_(9);
  EXPECT_EQ(x.to_vector<float>(), (std::vector<float>{0, 9, 9, 3, 9, 9}));
  EXPECT_EQ(x.reshape({3, 2}).at({2, 0}), 9.0);
  EXPECT_EQ(x.view({6}).storage().get(), x.storage().get());
  EXPECT_EQ(x.unsqueeze(0).sizes(), (Shape{1, 2, 3}));
  EXPECT_EQ(x.unsqueeze(0).squeeze(0).sizes(), (Shape{2, 3}));
  EXPECT_EQ(x.select(0, 1).to_vector<float>(), (std::vector<float>{3, 9, 9}));
  EXPECT_EQ(x.slice(1, 0, 3, 2).to_vector<float>(), (std::vector<float>{0, 9, 3, 9}));
  Tensor e = Tensor::from_vector(std::vector<float>{1, 2}, {2, 1}).expand({2, 3});
  EXPECT_EQ(e.to_vector<float>(), (std::vector<float>{1, 1, 1, 2, 2, 2}));
  EXPECT_EQ(e.stride(1), 0);
  Tensor p = Tensor::arange(0, 24, 1).reshape({2, 3, 4}).permute({2, 0, 1});
  EXPECT_EQ(p.sizes(), (Shape{4, 2, 3}));
  EXPECT_EQ(p.at({3, 1, 2}), 23.0);
  // reshape of a non-contiguous tensor copies; view refuses.
  expect_message([&] { t.view({6}); }, "view: cannot view");
  EXPECT_EQ(t.reshape({6}).to_vector<float>(), (std::vector<float>{0, 3, 9, 9, 9, 9}));
}

TEST(Tensor, ConversionsAndClone) {
  Tensor x = Tensor::from_vector(std::vector<float>{1.5f, -2.5f}, {2});
  Tensor d = x.to(DType::Float64);
  EXPECT_EQ(d.dtype(), DType::Float64);
  EXPECT_EQ(d.at({1}), -2.5);
  EXPECT_EQ(x.to(DType::Int64).to_vector<int64_t>(), (std::vector<int64_t>{1, -2}));
  Tensor c = x.clone();
  c.fill_(0);
  EXPECT_EQ(x.at({0}), 1.5);
}

TEST(Tensor, BroadcastingArithmetic) {
  Tensor a = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3, 1});
  Tensor b = Tensor::from_vector(std::vector<float>{10, 20}, {2});
  Tensor s = a + b;
  EXPECT_EQ(s.sizes(), (Shape{3, 2}));
  EXPECT_EQ(s.to_vector<float>(), (std::vector<float>{11, 21, 12, 22, 13, 23}));
  EXPECT_EQ((a * 2.0).to_vector<float>(), (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(gt(a, Tensor::full({}, 1.5)).dtype(), DType::Bool);
  Tensor w = where(gt(a, Tensor::full({}, 1.5)), a, Tensor::zeros({}));
  EXPECT_EQ(w.to_vector<float>(), (std::vector<float>{0, 2, 3}));
  Tensor m = masked_fill(a, eq(a, Tensor::full({}, 2.0)), -1);
  EXPECT_EQ(m.to_vector<float>(), (std::vector<float>{1, -1, 3}));
  expect_message([&] { Tensor::ones({2, 3}) + Tensor::ones({4}); }, "add: shapes [2, 3] and [4] do not broadcast");
  expect_message([&] { Tensor::ones({2}) + Tensor::ones({2}, DType::Float64); }, "add: dtype mismatch");
}

TEST(Tensor, Reductions) {
  Tensor x = Tensor::arange(0, 24, 1).reshape({2, 3, 4});
  EXPECT_EQ(sum(x).item(), 276.0);
  EXPECT_EQ(sum(x, {0, 2}).to_vector<float>(), (std::vector<float>{60, 92, 124}));
  EXPECT_EQ(sum(x, {1}, true).sizes(), (Shape{2, 1, 4}));
  EXPECT_EQ(mean(x, {-1}).at({1, 2}), 21.5);
  EXPECT_EQ(max(x, {1}).at({0, 3}), 11.0);
  EXPECT_EQ(argmax(x, 2).to_vector<int64_t>(), (std::vector<int64_t>(6, 3)));
  EXPECT_EQ(sum(x.transpose(0, 2), {0}).at({2, 1}), sum(x, {2}).at({1, 2}));
  expect_message([&] { sum(x, {3}); }, "sum: dim 3 out of range for a tensor with 3 dims");
}

TEST(Tensor, MatmulMatchesNaiveLoop) {
  Generator gen(1);
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      Tensor a = ta ? Tensor::randn({5, 3}, gen, DType::Float64).transpose(0, 1) : Tensor::randn({3, 5}, gen, DType::Float64);
      Tensor b = tb ? Tensor::randn({4, 5}, gen, DType::Float64).transpose(0, 1) : Tensor::randn({5, 4}, gen, DType::Float64);
      Tensor c = matmul(a, b);
      ASSERT_EQ(c.sizes(), (Shape{3, 4}));
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          double ref = 0;
          for (int64_t k = 0; k < 5; ++k) ref += a.at({i, k}) * b.at({k, j});
          EXPECT_NEAR(c.at({i, j}), ref, 1e-12);
        }
    }
  // Batched with broadcasting, vectors.
  Tensor a = Tensor::randn({2, 1, 3, 5}, gen), b = Tensor::randn({4, 5, 2}, gen);
  EXPECT_EQ(matmul(a, b).sizes(), (Shape{2, 4, 3, 2}));
  EXPECT_EQ(matmul(Tensor::ones({5}), Tensor::ones({5})).dim(), 0);
  EXPECT_EQ(matmul(Tensor::ones({5}), Tensor::ones({5})).item(), 5.0);
  EXPECT_EQ(matmul(Tensor::ones({3, 5}), Tensor::ones({5})).sizes(), (Shape{3}));
  expect_message([&] { matmul(Tensor::ones({3, 5}), Tensor::ones({4, 2})); },
                 "matmul: shapes [3, 5] and [4, 2] cannot be multiplied");
}

TEST(Tensor, MatmulTransposeIsAFlagNotACopy) {
  // A head split like attention's: (B, S, H, D) viewed as (B, H, S, D), then Q·Kᵀ.
  Generator gen(3);
  Tensor q = Tensor::randn({2, 5, 3, 4}, gen).permute({0, 2, 1, 3});
  Tensor k = Tensor::randn({2, 5, 3, 4}, gen).permute({0, 2, 1, 3});
  Tensor scores = matmul(q, k.transpose(-1, -2));
  Tensor ref = matmul(q.contiguous(), k.contiguous().transpose(-1, -2).contiguous());
  EXPECT_EQ(scores.sizes(), (Shape{2, 3, 5, 5}));
  EXPECT_LT(sum(abs(scores - ref)).item(), 1e-4);
}

TEST(Tensor, RowwiseAndIndexing) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 2, 3, 1, 1, 1}, {2, 3});
  Tensor s = softmax(x);
  EXPECT_NEAR(sum(s, {1}).at({0}), 1.0, 1e-12);
  EXPECT_NEAR(s.at({1, 0}), 1.0 / 3, 1e-12);
  EXPECT_NEAR(exp(log_softmax(x)).at({0, 2}), s.at({0, 2}), 1e-12);
  Tensor ln = layer_norm(x, Tensor(), Tensor(), 1e-12);
  EXPECT_NEAR(mean(ln, {1}).at({0}), 0.0, 1e-9);
  Tensor w = Tensor::arange(0, 12, 1).reshape({4, 3});
  Tensor ids = Tensor::from_vector(std::vector<int64_t>{3, 0, 3}, {3});
  EXPECT_EQ(embedding(w, ids).at({0, 2}), 11.0);
  EXPECT_EQ(index_select(w, 1, Tensor::from_vector(std::vector<int64_t>{2}, {1})).to_vector<float>(),
            (std::vector<float>{2, 5, 8, 11}));
  EXPECT_EQ(cat({w, w}, 0).sizes(), (Shape{8, 3}));
  EXPECT_EQ(stack({w, w}, 1).sizes(), (Shape{4, 2, 3}));
  expect_message([&] { embedding(w, Tensor::from_vector(std::vector<int64_t>{4}, {1})); },
                 "index_select: index 4 out of range for size 4");
  expect_message([&] { cat({w, Tensor::ones({2, 2})}, 0); }, "cat: tensor float32 [2, 2] does not match");
  expect_message([&] { w.at({5, 0}); }, "at: index 5 out of range");
}

TEST(Tensor, ThreadSetting) {
  int before = num_threads();
  set_num_threads(1);
  EXPECT_EQ(num_threads(), 1);
  Tensor big = Tensor::ones({1000, 100});
  EXPECT_EQ(sum(big).item(), 100000.0);
  set_num_threads(before);
  expect_message([] { set_num_threads(0); }, "set_num_threads: need at least 1 thread");
}

TEST(Tensor, LayerNormWeightGradientIsTheSameBitsEveryRun) {
  // Row sums are split into fixed blocks added in order, whatever the thread timing.
  Generator gen(11);
  Tensor x = Tensor::randn({2000, 96}, gen), dy = Tensor::randn({2000, 96}, gen);
  Tensor w = Tensor::randn({96}, gen), b = Tensor::randn({96}, gen);
  kernels::LayerNormResult r = kernels::layer_norm(x, w, b, 1e-5);
  std::vector<float> first;
  for (int run = 0; run < 5; ++run) {
    kernels::LayerNormGrads g = kernels::layer_norm_backward(dy, x, r.mean, r.rstd, w, true, true, true);
    std::vector<float> now = g.dweight.to_vector<float>();
    for (float v : g.dbias.to_vector<float>()) now.push_back(v);
    if (run == 0) first = now;
    EXPECT_EQ(now, first) << "run " << run;
  }
}

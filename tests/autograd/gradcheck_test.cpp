// Every differentiable op against float64 finite differences (relative tolerance 1e-6), on
// random shapes with broadcasting and non-contiguous views; then float32 vs float64 forward.
#include <gtest/gtest.h>

#include <bertology/autograd/autograd.h>
#include <bertology/autograd/gradcheck.h>
#include <bertology/models/attention.h>

using namespace bertology;

namespace {

using Fn = std::function<Tensor(const std::vector<Tensor>&)>;

// How an input is made: a shape, a value range, and whether to hand the op a transposed view.
struct Input {
  Shape shape;
  double lo = -2, hi = 2;
  bool transposed = false;  // non-contiguous: built as the transpose of the last two dims
};

struct Case {
  std::string name;
  std::vector<Input> inputs;
  Fn f;
};

std::vector<Tensor> make_inputs(const std::vector<Input>& specs, Generator& gen) {
  std::vector<Tensor> out;
  for (const Input& s : specs) {
    Shape shape = s.shape;
    if (s.transposed) std::swap(shape[shape.size() - 1], shape[shape.size() - 2]);
    Tensor t = Tensor::uniform(shape, s.lo, s.hi, gen, DType::Float64);
    if (s.transposed) t = t.transpose(-1, -2);
    out.push_back(t.detach().requires_grad_());
  }
  return out;
}

Tensor ids(std::vector<int64_t> v, Shape shape) { return Tensor::from_vector(v, shape); }

// A constant operand (it takes no gradient, so the op's backward skips it), the same on every
// evaluation, in the dtype of `like`.
Tensor constant(const Shape& shape, uint64_t seed, const Tensor& like) {
  Generator gen(seed);
  return Tensor::uniform(shape, -2, 2, gen, like.dtype());
}

std::vector<Case> cases() {
  const Input positive{{3, 4}, 0.5, 2.0};
  return {
      {"add_broadcast", {{{3, 4}}, {{4}}}, [](auto x) { return x[0] + x[1]; }},
      {"add_broadcast_both", {{{3, 1}}, {{1, 4}}}, [](auto x) { return add(x[0], x[1]); }},
      {"sub", {{{2, 3, 4}}, {{3, 1}}}, [](auto x) { return x[0] - x[1]; }},
      {"mul_noncontiguous", {{{3, 4}, -2, 2, true}, {{3, 4}}}, [](auto x) { return x[0] * x[1]; }},
      {"div", {{{3, 4}}, {{4}, 0.5, 2.0}}, [](auto x) { return x[0] / x[1]; }},
      {"scalar_ops", {{{5}}}, [](auto x) { return 2.0 - (x[0] * 3.0 + 1.0) / 4.0; }},
      {"neg", {{{4, 3}, -2, 2, true}}, [](auto x) { return -x[0]; }},
      {"exp", {{{3, 4}}}, [](auto x) { return exp(x[0]); }},
      {"log", {positive}, [](auto x) { return log(x[0]); }},
      {"sqrt", {positive}, [](auto x) { return sqrt(x[0]); }},
      {"pow", {positive}, [](auto x) { return pow(x[0], 2.5); }},
      {"tanh", {{{3, 4}}}, [](auto x) { return tanh(x[0]); }},
      {"erf", {{{3, 4}}}, [](auto x) { return erf(x[0]); }},
      {"relu", {{{3, 4}, 0.1, 2}}, [](auto x) { return relu(x[0]) + relu(-x[0]); }},
      {"abs", {{{3, 4}, 0.1, 2}}, [](auto x) { return abs(x[0]) + abs(-x[0]); }},
      {"gelu_erf", {{{3, 4}, -3, 3, true}}, [](auto x) { return gelu(x[0], GeluApproximation::Erf); }},
      {"gelu_tanh", {{{3, 4}, -3, 3}}, [](auto x) { return gelu(x[0], GeluApproximation::Tanh); }},
      {"where", {{{3, 4}}, {{4}}},
       [](auto x) { return where(gt(x[0], Tensor::zeros({}, x[0].dtype())), x[0], x[1]); }},
      {"masked_fill", {{{3, 4}}},
       [](auto x) { return masked_fill(x[0], gt(x[0], Tensor::zeros({}, x[0].dtype())), 7.0); }},
      {"sum_all", {{{2, 3, 4}}}, [](auto x) { return sum(x[0]); }},
      {"sum_dims", {{{2, 3, 4}, -2, 2, true}}, [](auto x) { return sum(x[0], {0, 2}); }},
      {"sum_keepdim", {{{2, 3, 4}}}, [](auto x) { return sum(x[0], {1}, true); }},
      {"mean", {{{2, 3, 4}}}, [](auto x) { return mean(x[0], {-1}); }},
      {"max", {{{3, 5}}}, [](auto x) { return max(x[0], {1}); }},
      {"matmul_2d", {{{3, 4}}, {{4, 5}}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"matmul_transposed", {{{3, 4}, -2, 2, true}, {{4, 5}, -2, 2, true}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"matmul_batched_broadcast", {{{2, 1, 3, 4}}, {{3, 4, 2}}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"matmul_vector", {{{4}}, {{4, 3}}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"matmul_dot", {{{4}}, {{4}}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"linear", {{{2, 3, 4}}, {{5, 4}}, {{5}}}, [](auto x) { return linear(x[0], x[1], x[2]); }},
      {"linear_conv1d_weight", {{{3, 4}}, {{4, 5}}}, [](auto x) { return linear(x[0], x[1].transpose(0, 1)); }},
      {"softmax", {{{3, 5}, -2, 2, true}}, [](auto x) { return softmax(x[0]); }},
      {"log_softmax", {{{2, 3, 5}}}, [](auto x) { return log_softmax(x[0]); }},
      {"layer_norm", {{{3, 6}}, {{6}}, {{6}}}, [](auto x) { return layer_norm(x[0], x[1], x[2], 1e-5); }},
      {"layer_norm_noncontiguous", {{{6, 3}, -2, 2, true}}, [](auto x) { return layer_norm(x[0], Tensor(), Tensor(), 1e-12); }},
      {"embedding", {{{5, 3}}}, [](auto x) { return embedding(x[0], ids({4, 0, 4, 2}, {2, 2})); }},
      {"index_select", {{{3, 5}}}, [](auto x) { return index_select(x[0], 1, ids({4, 1, 1}, {3})); }},
      {"cat", {{{2, 3}}, {{4, 3}, -2, 2, true}}, [](auto x) { return cat({x[0], x[1]}, 0); }},
      {"stack", {{{2, 3}}, {{2, 3}}}, [](auto x) { return stack({x[0], x[1]}, 1); }},
      {"reshape_view", {{{2, 6}}}, [](auto x) { return x[0].reshape({3, 4}).view({4, 3}) * 2.0; }},
      {"reshape_copy", {{{3, 4}, -2, 2, true}}, [](auto x) { return x[0].reshape({12}) * 2.0; }},
      {"permute_transpose", {{{2, 3, 4}}}, [](auto x) { return x[0].permute({2, 0, 1}).transpose(0, 2) * 2.0; }},
      {"narrow_slice_select", {{{4, 6}}},
       [](auto x) { return x[0].narrow(0, 1, 2).slice(1, 0, 6, 2) + x[0].select(1, 5).unsqueeze(0).narrow(1, 0, 3); }},
      {"squeeze_unsqueeze", {{{3, 1, 4}}}, [](auto x) { return x[0].squeeze(1).unsqueeze(0).squeeze() * 2.0; }},
      {"expand", {{{3, 1}}}, [](auto x) { return x[0].expand({2, 3, 4}) * 2.0; }},
      {"contiguous_clone", {{{3, 4}, -2, 2, true}}, [](auto x) { return x[0].contiguous() * x[0].clone(); }},
      {"cross_entropy", {{{4, 5}}},
       [](auto x) { return cross_entropy(x[0], ids({1, -100, 4, 0}, {4})); }},
      {"cross_entropy_sum_3d", {{{2, 3, 5}}},
       [](auto x) { return cross_entropy(x[0], ids({1, 2, 3, 4, 0, -100}, {2, 3}), -100, Reduction::Sum); }},
      {"mse_loss", {{{3, 4}}, {{3, 4}}}, [](auto x) { return mse_loss(x[0], x[1]); }},
      {"dropout_eval_is_identity", {{{3, 4}}}, [](auto x) { return dropout(x[0], 0.5, false) * 2.0; }},
      {"dropout_train_seeded", {{{3, 4}}},
       [](auto x) {
         Generator g(7);  // same mask on every evaluation
         return dropout(x[0], 0.3, true, g);
       }},
      {"attention_like", {{{2, 3, 4}}, {{2, 3, 4}}, {{2, 3, 4}}},
       [](auto x) { return matmul(softmax(matmul(x[0], x[1].transpose(-1, -2)) * 0.5), x[2]); }},
      // The fused attention core: B = 2, S = 3, two heads of size 2; ξ takes a gradient too.
      {"attention_fused_padding", {{{2, 3, 4}}, {{2, 3, 4}, -2, 2, true}, {{2, 3, 4}}, {{1, 2, 1, 1}, 0.5, 1.5}},
       [](auto x) {
         Tensor keys = key_padding_mask(Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 0}, {2, 3}),
                                        x[0].dtype());  // the last key of example 1 is padding
         return attention({x[0], x[1], x[2]}, 2, 0.7, x[3], keys, Tensor());
       }},
      {"attention_fused_packed_causal", {{{2, 3, 12}}, {{2, 2, 1, 1}, 0.5, 1.5}},
       [](auto x) { return attention({x[0]}, 2, 0.5, x[1], causal_additive_mask(3, x[0].dtype()), Tensor()); }},
      {"attention_fused_future", {{{2, 3, 12}}},
       [](auto x) { return attention({x[0]}, 2, 1.0, Tensor(), Tensor(), future_positions(3)); }},
      // The importance pass's first layer: q, k, v are constants, only ξ (here (B, H)) takes a gradient.
      {"attention_fused_head_mask_only", {{{2, 2}, 0.5, 1.5}},
       [](auto x) {
         const Tensor q = constant({2, 3, 4}, 1, x[0]), k = constant({2, 3, 4}, 2, x[0]), v = constant({2, 3, 4}, 3, x[0]);
         return attention({q, k, v}, 2, 0.7, x[0], Tensor(), Tensor());
       }},
      // Separate q, k, v with the future mask and a (1, H) head mask; k and v are constants.
      {"attention_fused_q_only_future", {{{2, 3, 4}}, {{1, 2}, 0.5, 1.5}},
       [](auto x) {
         const Tensor k = constant({2, 3, 4}, 4, x[0]), v = constant({2, 3, 4}, 5, x[0]);
         return attention({x[0], k, v}, 2, 0.6, x[1], Tensor(), future_positions(3));
       }},
      // Gaps found by an audit: each is a backward branch the cases above did not reach.
      {"cross_entropy_none", {{{4, 5}}},
       [](auto x) { return cross_entropy(x[0], ids({1, -100, 4, 0}, {4}), -100, Reduction::None); }},
      {"mse_loss_sum", {{{3, 4}}, {{3, 4}}}, [](auto x) { return mse_loss(x[0], x[1], Reduction::Sum); }},
      {"mse_loss_none", {{{3, 4}}, {{3, 4}}}, [](auto x) { return mse_loss(x[0], x[1], Reduction::None); }},
      // 70 rows: dweight and dbias are summed over blocks of 64 rows.
      {"layer_norm_weight_only_many_rows", {{{70, 3}}, {{3}}},
       [](auto x) { return layer_norm(x[0], x[1], Tensor(), 1e-5); }},
      {"layer_norm_bias_only_3d", {{{2, 35, 4}}, {{4}}}, [](auto x) { return layer_norm(x[0], Tensor(), x[1], 1e-5); }},
      {"matmul_matrix_vector", {{{3, 4}}, {{4}}}, [](auto x) { return matmul(x[0], x[1]); }},
      {"linear_constant_weight", {{{2, 3, 4}}},
       [](auto x) { return linear(x[0], constant({5, 4}, 6, x[0]), constant({5}, 7, x[0])); }},
      {"linear_noncontiguous_x_conv1d_weight_bias", {{{3, 4}, -2, 2, true}, {{4, 5}}, {{5}}},
       [](auto x) { return linear(x[0], x[1].transpose(0, 1), x[2]); }},
      {"cat_with_constant", {{{2, 3}}}, [](auto x) { return cat({constant({1, 3}, 8, x[0]), x[0]}, 0); }},
      {"max_dims_keepdim", {{{2, 3, 4}}}, [](auto x) { return max(x[0], {0, 2}, true); }},
      {"max_all", {{{3, 4}}}, [](auto x) { return max(x[0]); }},
      {"mul_broadcast_both", {{{3, 1}}, {{1, 4}}}, [](auto x) { return x[0] * x[1]; }},
      {"sub_broadcast_first", {{{4}}, {{3, 4}}}, [](auto x) { return x[0] - x[1]; }},
      {"div_broadcast_first", {{{1, 4}}, {{3, 4}, 0.5, 2.0}}, [](auto x) { return x[0] / x[1]; }},
      {"masked_fill_broadcast_mask", {{{3, 4}}},
       [](auto x) { return masked_fill(x[0], ids({1, 0, 0, 1}, {4}).to(DType::Bool), -3.0); }},
  };
}

void PrintTo(const Case& c, std::ostream* out) { *out << c.name; }

// Ties, which finite differences cannot see: the gradient is shared equally among the maxima.
TEST(GradcheckTies, MaxSharesTheGradientAmongTies) {
  Tensor x = Tensor::from_vector(std::vector<double>{1, 3, 3, 2, 5, 0}, {2, 3}).requires_grad_();
  Tensor g = grad(sum(max(x, {1}) * Tensor::from_vector(std::vector<double>{2, 4}, {2})), {x})[0];
  EXPECT_EQ(g.to_vector<double>(), (std::vector<double>{0, 1, 1, 0, 4, 0}));
}

// Casting is exact in one direction only, so finite differences cannot check it through float32:
// the gradient of a cast is the upstream gradient cast back, to the input's dtype (and device).
TEST(GradcheckCasts, ToDtypeAndDeviceSendTheGradientBack) {
  Generator gen(5);
  Tensor x = Tensor::uniform({3, 4}, -2, 2, gen, DType::Float32).requires_grad_();
  const Tensor w = Tensor::uniform({3, 4}, -2, 2, gen, DType::Float64);
  Tensor g = grad(sum(x.to(DType::Float64).to(Device::cpu()) * w), {x})[0];
  EXPECT_EQ(g.dtype(), DType::Float32);
  EXPECT_EQ(g.to_vector<float>(), w.to(DType::Float32).to_vector<float>());
}

class Gradcheck : public ::testing::TestWithParam<Case> {};

TEST_P(Gradcheck, MatchesFiniteDifferences) {
  const Case& c = GetParam();
  Generator gen(12345);
  std::vector<Tensor> inputs = make_inputs(c.inputs, gen);
  GradcheckResult r = gradcheck(c.f, inputs);
  EXPECT_TRUE(r.ok) << c.name << ": " << r.message << " (max rel error " << r.max_rel_error << ")";
}

TEST_P(Gradcheck, Float32ForwardAgreesWithFloat64) {
  const Case& c = GetParam();
  Generator gen(999);
  std::vector<Tensor> in64 = make_inputs(c.inputs, gen), in32;
  for (const Tensor& t : in64) in32.push_back(t.detach().to(DType::Float32));
  std::vector<Tensor> plain64;
  for (const Tensor& t : in64) plain64.push_back(t.detach());
  std::vector<double> ref = c.f(plain64).to_vector<double>(), got = c.f(in32).to_vector<double>();
  ASSERT_EQ(ref.size(), got.size());
  double diff = 0, norm = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    diff += (ref[i] - got[i]) * (ref[i] - got[i]);
    norm += ref[i] * ref[i];
  }
  EXPECT_LE(std::sqrt(diff), 1e-5 * std::sqrt(norm) + 1e-7) << c.name;
}

INSTANTIATE_TEST_SUITE_P(Ops, Gradcheck, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

}  // namespace

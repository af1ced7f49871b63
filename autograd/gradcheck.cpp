// Finite differences against autograd (see gradcheck.h).
#include <bertology/autograd/functions.h>
#include <bertology/autograd/gradcheck.h>
#include <bertology/autograd/graph.h>

#include <cmath>

namespace bertology {
namespace {

// Element offsets (in storage elements) of every element of t, row-major.
std::vector<int64_t> element_offsets(const Tensor& t) {
  std::vector<int64_t> out;
  const int64_t n = t.numel();
  out.reserve(n);
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t rem = linear, off = t.offset();
    for (int64_t d = t.dim() - 1; d >= 0; --d) {
      off += (rem % t.size(d)) * t.stride(d);
      rem /= t.size(d);
    }
    out.push_back(off);
  }
  return out;
}

}  // namespace

GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options) {
  for (const Tensor& t : inputs)
    if (t.dtype() != DType::Float64 || !t.requires_grad() || !t.is_leaf())
      throw Error(concat("gradcheck: inputs must be float64 leaves that require grad, got ", dtype_name(t.dtype()),
                         " ", t.shape_str()));
  Tensor probe = f(inputs);
  Generator gen(options.seed);
  Tensor r = Tensor::randn(probe.sizes(), gen, DType::Float64);
  auto scalar_of = [&](const std::vector<Tensor>& in) { return sum(f(in) * r); };

  std::vector<Tensor> analytic = grad(scalar_of(inputs), inputs);
  GradcheckResult result;
  NoGradGuard no_grad;
  for (size_t k = 0; k < inputs.size(); ++k) {
    const Tensor& x = inputs[k];
    double* base = static_cast<double*>(x.storage()->data());
    std::vector<int64_t> offsets = element_offsets(x);
    std::vector<double> a = analytic[k].to_vector<double>();
    for (size_t i = 0; i < offsets.size(); ++i) {
      double saved = base[offsets[i]];
      base[offsets[i]] = saved + options.eps;
      double up = scalar_of(inputs).item();
      base[offsets[i]] = saved - options.eps;
      double down = scalar_of(inputs).item();
      base[offsets[i]] = saved;
      double numeric = (up - down) / (2 * options.eps);
      double abs_err = std::abs(a[i] - numeric);
      double rel_err = abs_err / std::max(std::abs(numeric), 1e-12);
      result.max_abs_error = std::max(result.max_abs_error, abs_err);
      if (abs_err > options.atol) result.max_rel_error = std::max(result.max_rel_error, rel_err);
      if (abs_err > options.atol + options.rtol * std::abs(numeric) && result.ok) {
        result.ok = false;
        result.message = concat("input ", k, " ", x.shape_str(), " element ", i, ": analytic ", a[i], " vs numeric ",
                                numeric);
      }
    }
  }
  return result;
}

}  // namespace bertology

// Parameter updates, written element-wise over contiguous parameter storage (no graph).
#include <bertology/autograd/optim.h>
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/dispatch.h>

#include <cmath>

namespace bertology {
namespace {

// Calls f(param*, grad*, i, n) for a parameter with a gradient; both must be contiguous.
template <class F>
void for_each_element(const Tensor& p, const char* op, const F& f) {
  Tensor g = p.grad();
  if (!g.defined()) return;
  require_cpu(p.device(), op);  // the updates run on the CPU only, for now
  if (!p.is_contiguous() || !g.is_contiguous() || g.sizes() != p.sizes())
    throw Error(concat(op, ": parameter ", p.shape_str(), " and its gradient ", g.shape_str(),
                       " must be contiguous and the same shape"));
  kernels::dispatch_floating(p.dtype(), op, [&](auto tag) {
    using T = decltype(tag);
    f(p.data<T>(), g.data<T>(), p.numel());
  });
  p.storage()->bump_version();
}

}  // namespace

Optimizer::Optimizer(std::vector<Tensor> params, double lr) : params_(std::move(params)), lr_(lr) {
  for (const Tensor& p : params_)
    if (!p.requires_grad() || !p.is_leaf())
      throw Error(concat("optimizer: parameter of shape ", p.shape_str(), " is not a leaf that requires grad"));
}

void Optimizer::zero_grad() {
  for (const Tensor& p : params_) p.zero_grad();
}

SGD::SGD(std::vector<Tensor> params, double lr, double momentum, double weight_decay)
    : Optimizer(std::move(params), lr), momentum_(momentum), weight_decay_(weight_decay) {
  for (const Tensor& p : params_) velocity_.push_back(Tensor::zeros(p.sizes(), p.dtype(), p.device()));
}

void SGD::step() {
  for (size_t k = 0; k < params_.size(); ++k) {
    Tensor& vel = velocity_[k];
    for_each_element(params_[k], "SGD", [&](auto* w, auto* g, int64_t n) {
      using T = std::remove_pointer_t<decltype(w)>;
      T* v = vel.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        T d = g[i] + static_cast<T>(weight_decay_) * w[i];
        v[i] = static_cast<T>(momentum_) * v[i] + d;
        w[i] -= static_cast<T>(lr_) * (momentum_ != 0 ? v[i] : d);
      }
    });
  }
}

AdamW::AdamW(std::vector<Tensor> params, double lr, double beta1, double beta2, double eps, double weight_decay)
    : Optimizer(std::move(params), lr), beta1_(beta1), beta2_(beta2), eps_(eps), weight_decay_(weight_decay) {
  for (const Tensor& p : params_) {
    m_.push_back(Tensor::zeros(p.sizes(), p.dtype(), p.device()));
    v_.push_back(Tensor::zeros(p.sizes(), p.dtype(), p.device()));
  }
}

void AdamW::step() {
  ++steps_;
  const double bias1 = 1.0 - std::pow(beta1_, static_cast<double>(steps_));
  const double bias2 = 1.0 - std::pow(beta2_, static_cast<double>(steps_));
  for (size_t k = 0; k < params_.size(); ++k) {
    Tensor &m_t = m_[k], &v_t = v_[k];
    for_each_element(params_[k], "AdamW", [&](auto* w, auto* g, int64_t n) {
      using T = std::remove_pointer_t<decltype(w)>;
      T* m = m_t.data<T>();
      T* v = v_t.data<T>();
      for (int64_t i = 0; i < n; ++i) {
        w[i] -= static_cast<T>(lr_ * weight_decay_) * w[i];  // decoupled weight decay
        m[i] = static_cast<T>(beta1_ * m[i] + (1 - beta1_) * g[i]);
        v[i] = static_cast<T>(beta2_ * v[i] + (1 - beta2_) * g[i] * g[i]);
        double m_hat = m[i] / bias1, v_hat = v[i] / bias2;
        w[i] -= static_cast<T>(lr_ * m_hat / (std::sqrt(v_hat) + eps_));
      }
    });
  }
}

double linear_schedule(int64_t step, int64_t warmup_steps, int64_t total_steps) {
  if (step < warmup_steps) return static_cast<double>(step) / static_cast<double>(std::max<int64_t>(1, warmup_steps));
  return std::max(0.0, static_cast<double>(total_steps - step) /
                           static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps)));
}

double clip_grad_norm(const std::vector<Tensor>& params, double max_norm) {
  double total = 0;
  for (const Tensor& p : params) {
    Tensor g = p.grad();
    if (!g.defined()) continue;
    for (double v : g.to_vector<double>()) total += v * v;
  }
  double norm = std::sqrt(total);
  if (norm > max_norm && norm > 0) {
    double scale = max_norm / (norm + 1e-6);
    for (const Tensor& p : params) {
      Tensor g = p.grad();
      if (!g.defined()) continue;
      kernels::dispatch_floating(g.dtype(), "clip_grad_norm", [&](auto tag) {
        using T = decltype(tag);
        Tensor c = g.contiguous();
        T* d = c.data<T>();
        for (int64_t i = 0; i < c.numel(); ++i) d[i] = static_cast<T>(d[i] * scale);
        p.set_grad(c);
      });
    }
  }
  return norm;
}

}  // namespace bertology

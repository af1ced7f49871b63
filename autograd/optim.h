// Optimizers over a list of parameters: SGD (with momentum) and AdamW (decoupled weight decay),
// a linear warmup/decay learning-rate schedule, and gradient-norm clipping.
#pragma once
#include <cstdint>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

class Optimizer {
 public:
  explicit Optimizer(std::vector<Tensor> params, double lr);
  virtual ~Optimizer() = default;
  virtual void step() = 0;  // updates every parameter that has a gradient
  void zero_grad();         // drops every parameter's gradient
  double lr() const { return lr_; }
  void set_lr(double lr) { lr_ = lr; }
  const std::vector<Tensor>& params() const { return params_; }

 protected:
  std::vector<Tensor> params_;
  double lr_;
};

class SGD : public Optimizer {
 public:
  SGD(std::vector<Tensor> params, double lr, double momentum = 0.0, double weight_decay = 0.0);
  void step() override;

 private:
  double momentum_, weight_decay_;
  std::vector<Tensor> velocity_;
};

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<Tensor> params, double lr, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weight_decay = 0.01);
  void step() override;

 private:
  double beta1_, beta2_, eps_, weight_decay_;
  int64_t steps_ = 0;
  std::vector<Tensor> m_, v_;  // first and second moments, float64-free: same dtype as params
};

// Learning-rate multiplier: rises linearly from 0 over warmup steps, then falls linearly to 0
// at total steps (the schedule of HF's get_linear_schedule_with_warmup).
double linear_schedule(int64_t step, int64_t warmup_steps, int64_t total_steps);

// Scales all gradients so their joint L2 norm is at most max_norm; returns the norm before.
double clip_grad_norm(const std::vector<Tensor>& params, double max_norm);

}  // namespace bertology

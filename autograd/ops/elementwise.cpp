// Differentiable element-wise functions: arithmetic with broadcasting (gradients reduced back
// by sum_to), unary math, activations, comparisons, where and masked_fill.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

namespace bertology {
using kernels::Binary;
using kernels::Unary;

Tensor add(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary(Binary::Add, a, b);
  if (grad_needed({a, b}))
    record_node(y, "add", {a, b}, [sa = a.sizes(), sb = b.sizes()](const Tensor& dy, const std::vector<bool>& need) {
      return Grads{need[0] ? sum_to(dy, sa) : Tensor(), need[1] ? sum_to(dy, sb) : Tensor()};
    });
  return y;
}

Tensor sub(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary(Binary::Sub, a, b);
  if (grad_needed({a, b}))
    record_node(y, "sub", {a, b}, [sa = a.sizes(), sb = b.sizes()](const Tensor& dy, const std::vector<bool>& need) {
      return Grads{need[0] ? sum_to(dy, sa) : Tensor(), need[1] ? sum_to(neg(dy), sb) : Tensor()};
    });
  return y;
}

Tensor mul(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary(Binary::Mul, a, b);
  if (grad_needed({a, b}))
    record_node(y, "mul", {a, b},
                [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& dy, const std::vector<bool>& need) {
                  const Tensor& a = sa.unpack("mul");
                  const Tensor& b = sb.unpack("mul");
                  return Grads{need[0] ? sum_to(dy * b, a.sizes()) : Tensor(),
                               need[1] ? sum_to(dy * a, b.sizes()) : Tensor()};
                });
  return y;
}

Tensor div(const Tensor& a, const Tensor& b) {
  Tensor y = kernels::binary(Binary::Div, a, b);
  if (grad_needed({a, b}))
    record_node(y, "div", {a, b},
                [sa = SavedTensor(a), sb = SavedTensor(b)](const Tensor& dy, const std::vector<bool>& need) {
                  const Tensor& a = sa.unpack("div");
                  const Tensor& b = sb.unpack("div");
                  return Grads{need[0] ? sum_to(dy / b, a.sizes()) : Tensor(),
                               need[1] ? sum_to(neg(dy * a / (b * b)), b.sizes()) : Tensor()};
                });
  return y;
}

Tensor add(const Tensor& a, double b) {
  Tensor y = kernels::add_scalar(a, b);
  if (grad_needed({a}))
    record_node(y, "add", {a}, [](const Tensor& dy, const std::vector<bool>&) { return Grads{dy}; });
  return y;
}

Tensor mul(const Tensor& a, double b) {
  Tensor y = kernels::mul_scalar(a, b);
  if (grad_needed({a}))
    record_node(y, "mul", {a}, [b](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::mul_scalar(dy, b)};
    });
  return y;
}

namespace {
// y = f(x) whose derivative is computed from x (saved) and dy by `derivative`.
template <class Derivative>
Tensor unary_op(Unary op, const char* name, const Tensor& x, Derivative derivative) {
  Tensor y = kernels::unary(op, x);
  if (grad_needed({x}))
    record_node(y, name, {x}, [sx = SavedTensor(x), sy = SavedTensor(y), name, derivative](
                                  const Tensor& dy, const std::vector<bool>&) {
      return Grads{derivative(dy, sx.unpack(name), sy.unpack(name))};
    });
  return y;
}
}  // namespace

Tensor neg(const Tensor& x) {
  Tensor y = kernels::unary(Unary::Neg, x);
  if (grad_needed({x}))
    record_node(y, "neg", {x}, [](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::unary(Unary::Neg, dy)};
    });
  return y;
}

Tensor exp(const Tensor& x) {
  return unary_op(Unary::Exp, "exp", x, [](const Tensor& dy, const Tensor&, const Tensor& y) { return dy * y; });
}

Tensor log(const Tensor& x) {
  return unary_op(Unary::Log, "log", x, [](const Tensor& dy, const Tensor& x, const Tensor&) { return dy / x; });
}

Tensor sqrt(const Tensor& x) {
  return unary_op(Unary::Sqrt, "sqrt", x,
                  [](const Tensor& dy, const Tensor&, const Tensor& y) { return dy / (y * 2.0); });
}

Tensor tanh(const Tensor& x) {
  return unary_op(Unary::Tanh, "tanh", x,
                  [](const Tensor& dy, const Tensor&, const Tensor& y) { return dy * (1.0 - y * y); });
}

Tensor erf(const Tensor& x) {
  // d/dx erf(x) = 2/√π · exp(-x²)
  return unary_op(Unary::Erf, "erf", x, [](const Tensor& dy, const Tensor& x, const Tensor&) {
    return dy * exp(neg(x * x)) * 1.1283791670955126;
  });
}

Tensor relu(const Tensor& x) {
  return unary_op(Unary::Relu, "relu", x,
                  [](const Tensor& dy, const Tensor& x, const Tensor&) { return kernels::relu_backward(dy, x); });
}

Tensor abs(const Tensor& x) {
  return unary_op(Unary::Abs, "abs", x,
                  [](const Tensor& dy, const Tensor& x, const Tensor&) { return dy * kernels::unary(Unary::Sign, x); });
}

Tensor gelu(const Tensor& x, GeluApproximation approximation) {
  const bool tanh_form = approximation == GeluApproximation::Tanh;
  Tensor y = kernels::unary(tanh_form ? Unary::GeluTanh : Unary::GeluErf, x);
  if (grad_needed({x}))
    record_node(y, "gelu", {x}, [sx = SavedTensor(x), tanh_form](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::gelu_backward(dy, sx.unpack("gelu"), tanh_form)};
    });
  return y;
}

Tensor pow(const Tensor& x, double exponent) {
  Tensor y = kernels::pow_scalar(x, exponent);
  if (grad_needed({x}))
    record_node(y, "pow", {x}, [sx = SavedTensor(x), exponent](const Tensor& dy, const std::vector<bool>&) {
      return Grads{dy * kernels::pow_scalar(sx.unpack("pow"), exponent - 1.0) * exponent};
    });
  return y;
}

Tensor operator+(const Tensor& a, const Tensor& b) { return add(a, b); }
Tensor operator-(const Tensor& a, const Tensor& b) { return sub(a, b); }
Tensor operator*(const Tensor& a, const Tensor& b) { return mul(a, b); }
Tensor operator/(const Tensor& a, const Tensor& b) { return div(a, b); }
Tensor operator+(const Tensor& a, double b) { return add(a, b); }
Tensor operator-(const Tensor& a, double b) { return add(a, -b); }
Tensor operator*(const Tensor& a, double b) { return mul(a, b); }
Tensor operator/(const Tensor& a, double b) { return mul(a, 1.0 / b); }
Tensor operator*(double a, const Tensor& b) { return mul(b, a); }
Tensor operator+(double a, const Tensor& b) { return add(b, a); }
Tensor operator-(double a, const Tensor& b) { return add(neg(b), a); }
Tensor operator-(const Tensor& x) { return neg(x); }

Tensor eq(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Eq, a, b); }
Tensor ne(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ne, a, b); }
Tensor lt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Lt, a, b); }
Tensor le(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Le, a, b); }
Tensor gt(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Gt, a, b); }
Tensor ge(const Tensor& a, const Tensor& b) { return kernels::binary(Binary::Ge, a, b); }

Tensor where(const Tensor& condition, const Tensor& a, const Tensor& b) {
  Tensor y = kernels::where(condition, a, b);
  if (grad_needed({a, b}))
    record_node(y, "where", {a, b},
                [c = SavedTensor(condition), sa = a.sizes(), sb = b.sizes()](const Tensor& dy, const std::vector<bool>& need) {
                  const Tensor& cond = c.unpack("where");
                  Tensor zero = Tensor::zeros({}, dy.dtype(), dy.device());
                  return Grads{need[0] ? sum_to(kernels::where(cond, dy, zero), sa) : Tensor(),
                               need[1] ? sum_to(kernels::where(cond, zero, dy), sb) : Tensor()};
                });
  return y;
}

Tensor masked_fill(const Tensor& x, const Tensor& mask, double value) {
  Tensor y = kernels::masked_fill(x, mask, value);
  if (grad_needed({x}))
    record_node(y, "masked_fill", {x}, [m = SavedTensor(mask)](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::masked_fill(dy, m.unpack("masked_fill"), 0.0)};
    });
  return y;
}

}  // namespace bertology

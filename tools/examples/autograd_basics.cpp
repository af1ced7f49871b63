// The autograd engine on a toy attention head: a differentiable mask on the head's output, and
// the gradient of the loss with respect to the mask alone (no weight-gradient product runs).
#include <bertology/autograd/autograd.h>

#include <cmath>

int main() {
  using namespace bertology;
  Generator gen(0);

  // A toy attention head: scores, softmax, a differentiable mask on the head's output.
  Tensor x = Tensor::randn({2, 5, 8}, gen);                    // (B, S, E)
  Tensor wq = Tensor::randn({8, 8}, gen).requires_grad_();     // (E, E), a weight
  Tensor head_mask = Tensor::ones({2}).requires_grad_();       // one number per example
  Tensor q = linear(x, wq);                                    // (B, S, E)
  Tensor p = softmax(matmul(q, x.transpose(-1, -2)) / std::sqrt(8.0));  // (B, S, S)
  Tensor ctx = matmul(p, x) * head_mask.reshape({2, 1, 1});    // (B, S, E)
  Tensor loss = sum(ctx * ctx);

  // Only the mask's gradient: no weight-gradient product is computed.
  std::vector<Tensor> g = grad(loss, {head_mask});
  if (g[0].sizes() != Shape{2}) return 1;
  // d loss / d mask_b = 2 * mask_b * sum(ctx_b^2) / mask_b^2 = 2 * sum(ctx_b^2) at mask = 1
  double expected = 2 * sum(ctx.select(0, 0) * ctx.select(0, 0)).item();
  if (std::abs(g[0].at({0}) - expected) > 1e-3 * expected) return 1;
  if (wq.grad().defined()) return 1;
  return 0;
}

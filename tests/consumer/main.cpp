// A program outside the project that uses the installed library: a tiny autograd computation.
#include <cstdio>

#include <bertology/autograd/autograd.h>

int main() {
  using namespace bertology;
  Tensor w = Tensor::from_vector(std::vector<float>{1, 2, 3}, {3}).requires_grad_();
  Tensor x = Tensor::from_vector(std::vector<float>{4, 5, 6}, {3});
  Tensor loss = sum(w * x);  // d loss / d w = x
  loss.backward();
  std::vector<float> g = w.grad().to_vector<float>();
  std::printf("loss %.1f, grad [%.1f, %.1f, %.1f]\n", loss.item(), g[0], g[1], g[2]);
  return (loss.item() == 32.0 && g[0] == 4 && g[1] == 5 && g[2] == 6) ? 0 : 1;
}

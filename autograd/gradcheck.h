// A float64 finite-difference gradient checker: compares the gradients autograd computes for
// f(inputs) with central differences, input element by input element.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <bertology/tensor/tensor.h>

namespace bertology {

struct GradcheckResult {
  bool ok = true;
  double max_abs_error = 0, max_rel_error = 0;
  std::string message;  // first mismatch: input, element, analytic vs numeric
};

struct GradcheckOptions {
  double eps = 1e-6;
  double rtol = 1e-6;
  double atol = 1e-8;
  uint64_t seed = 0;  // for the random projection of non-scalar outputs
};

// inputs: float64 leaves (any strides) that require grad. A non-scalar output y is reduced to
// the scalar Σ y·r with a fixed random r, so every output element is checked at once.
GradcheckResult gradcheck(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                          const std::vector<Tensor>& inputs, const GradcheckOptions& options = {});

}  // namespace bertology

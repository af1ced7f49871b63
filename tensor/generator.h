// A seeded random generator (for randn/uniform/dropout), so every run can be reproduced.
#pragma once
#include <cstdint>
#include <random>

namespace bertology {

class Generator {
 public:
  explicit Generator(uint64_t seed = 0) : engine_(seed) {}
  void seed(uint64_t s) { engine_.seed(s); }
  std::mt19937_64& engine() { return engine_; }
  double normal() { return std::normal_distribution<double>(0.0, 1.0)(engine_); }
  double uniform(double lo = 0.0, double hi = 1.0) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
  }

 private:
  std::mt19937_64 engine_;
};

// The generator used when none is passed.
Generator& default_generator();

}  // namespace bertology

// Float exp, tanh and erf written without branches or library calls, so that a loop over a
// float array compiles to SIMD code (glibc's expf/tanhf/erff are scalar calls: GELU and its
// backward over (B, S, 3072) activations spent more time in them than in some of the GEMMs).
// Accuracy, checked against double precision over [-10, 10] by tests/tensor/fast_math_test.cpp:
// exp_f within 2 ulp (relative), tanh_f within 2e-7 and erf_f within 6e-7 absolute: a few ulp
// of the 1 + tanh / 1 + erf that GELU uses. Double tensors keep std:: math. The loops calling
// these vectorise only with -fno-trapping-math (set on elementwise.cpp in CMakeLists.txt).
#pragma once
#include <cstdint>
#include <cstring>

namespace bertology::kernels::fast {

// e^x, with x clamped to [-87.3, 88] (e^88 ≈ 1.7e38, below float's largest; 2^128 would be inf).
inline float exp_f(float x) {
  x = x < -87.3f ? -87.3f : x;
  x = x > 88.0f ? 88.0f : x;
  // x = n·ln2 + r, |r| ≤ ln2 / 2; n rounded to nearest by the 1.5·2^23 trick (no SSE4.1 needed).
  const float shifter = 12582912.0f;
  const float n = (x * 1.44269504088896341f + shifter) - shifter;
  const float r = (x - n * 0.693359375f) + n * 2.12194440e-4f;  // ln2 in two parts (Cephes)
  // e^r by Cephes's expf polynomial.
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float er = p * r * r + r + 1.0f;
  // · 2^n, built in the exponent bits.
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return er * scale;
}

// tanh x = (e^2x − 1) / (e^2x + 1); |x| ≥ 9 gives ±1 to float precision.
inline float tanh_f(float x) {
  x = x < -9.0f ? -9.0f : x;
  x = x > 9.0f ? 9.0f : x;
  const float e = exp_f(2.0f * x);
  return (e - 1.0f) / (e + 1.0f);
}

// erf x by Abramowitz & Stegun 7.1.26: 1 − (a1·t + … + a5·t⁵)·e^(−x²), t = 1 / (1 + p·|x|).
inline float erf_f(float x) {
  const float ax = x < 0 ? -x : x;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float y = 1.0f - poly * t * exp_f(-ax * ax);
  return x < 0 ? -y : y;
}

}  // namespace bertology::kernels::fast

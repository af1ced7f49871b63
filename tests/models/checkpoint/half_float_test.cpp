// F16 and BF16 conversions: exact round trips over every 16-bit pattern, round-to-nearest-even
// on ties, overflow, subnormals and NaN, and nearest-value rounding checked against brute force.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include <bertology/models/checkpoint/half_float.h>

namespace bertology {
namespace {

float from_bits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, 4);
  return value;
}

TEST(HalfFloat, EveryHalfSurvivesARoundTripThroughFloat) {
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const float value = half_bits_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(half_bits_to_float(float_to_half_bits(value)))) << bits;
      continue;
    }
    EXPECT_EQ(float_to_half_bits(value), bits) << "half bits " << bits;
  }
}

TEST(HalfFloat, KnownValues) {
  EXPECT_EQ(half_bits_to_float(0x3c00), 1.0f);
  EXPECT_EQ(half_bits_to_float(0xc000), -2.0f);
  EXPECT_EQ(half_bits_to_float(0x7bff), 65504.0f);
  EXPECT_EQ(half_bits_to_float(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(half_bits_to_float(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_TRUE(std::isinf(half_bits_to_float(0x7c00)));
  EXPECT_TRUE(std::isnan(half_bits_to_float(0x7e00)));
  EXPECT_EQ(float_to_half_bits(-0.0f), 0x8000);
}

TEST(HalfFloat, TiesRoundToEven) {
  EXPECT_EQ(float_to_half_bits(1.0f + std::ldexp(1.0f, -11)), 0x3c00);      // halfway to 0x3c01: down to even
  EXPECT_EQ(float_to_half_bits(1.0f + 3 * std::ldexp(1.0f, -11)), 0x3c02);  // halfway to 0x3c02: up to even
  EXPECT_EQ(float_to_half_bits(std::ldexp(1.0f, -25)), 0x0000);             // half the smallest subnormal
  EXPECT_EQ(float_to_half_bits(3 * std::ldexp(1.0f, -25)), 0x0002);         // 1.5 subnormals -> 2
  EXPECT_EQ(float_to_half_bits(65520.0f), 0x7c00);                          // tie above 65504 -> inf
  EXPECT_EQ(float_to_half_bits(65519.0f), 0x7bff);
}

TEST(HalfFloat, OverflowAndNaN) {
  EXPECT_EQ(float_to_half_bits(1e10f), 0x7c00);
  EXPECT_EQ(float_to_half_bits(-INFINITY), 0xfc00);
  EXPECT_EQ(float_to_half_bits(NAN) & 0x7fff, 0x7e00);
  EXPECT_EQ(float_to_half_bits(1e-10f), 0x0000);
}

// For random floats the chosen half must be at least as close as both neighbours, and even on a tie.
TEST(HalfFloat, RoundsToTheNearestHalf) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> exponent(-26.0f, 16.5f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::exp2(exponent(rng)) * (i % 2 ? -1.0f : 1.0f);
    const uint16_t h = float_to_half_bits(x);
    const double error = std::fabs(double(x) - half_bits_to_float(h));
    if ((h & 0x7fff) == 0x7c00) {
      EXPECT_GE(std::fabs(x), 65520.0f);
      continue;
    }
    for (int step : {-1, 1}) {
      const uint16_t neighbour = static_cast<uint16_t>(h + step);
      if ((neighbour & 0x7fff) >= 0x7c00 || ((h & 0x7fff) == 0 && step < 0)) continue;
      const double other = std::fabs(double(x) - half_bits_to_float(neighbour));
      EXPECT_LE(error, other) << x;
      if (error == other) {
        EXPECT_EQ(h & 1, 0) << "tie not rounded to even for " << x;
      }
    }
  }
}

TEST(BFloat16, EveryPatternSurvivesARoundTrip) {
  for (uint32_t bits = 0; bits < 65536; ++bits) {
    const float value = bfloat16_bits_to_float(static_cast<uint16_t>(bits));
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(bfloat16_bits_to_float(float_to_bfloat16_bits(value))));
      continue;
    }
    EXPECT_EQ(float_to_bfloat16_bits(value), bits);
  }
}

TEST(BFloat16, TiesRoundToEvenAndNaNStaysNaN) {
  EXPECT_EQ(float_to_bfloat16_bits(1.0f), 0x3f80);
  EXPECT_EQ(float_to_bfloat16_bits(from_bits(0x3f808000)), 0x3f80);  // tie, down to even
  EXPECT_EQ(float_to_bfloat16_bits(from_bits(0x3f818000)), 0x3f82);  // tie, up to even
  EXPECT_EQ(float_to_bfloat16_bits(from_bits(0x3f808001)), 0x3f81);  // above the tie
  EXPECT_EQ(float_to_bfloat16_bits(from_bits(0x7f7fffff)), 0x7f80);  // float max rounds to inf
  EXPECT_TRUE(std::isnan(bfloat16_bits_to_float(float_to_bfloat16_bits(from_bits(0x7f800001)))));
}

}  // namespace
}  // namespace bertology

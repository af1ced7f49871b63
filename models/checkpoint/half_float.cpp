// Half and bfloat16 conversions. The float -> half path follows the well-known branch-light
// method (as in PyTorch's c10/util/Half.h): the subnormal range lets the FPU do the rounding.
#include "half_float.h"

#include <cstring>

namespace bertology {
namespace {

uint32_t float_bits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float bits_float(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

}  // namespace

float half_bits_to_float(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {
    // Zero or subnormal: mantissa * 2^-24, exact in float.
    const float magnitude = static_cast<float>(mantissa) * bits_float(0x33800000u);  // 2^-24
    return bits_float(sign | float_bits(magnitude));
  }
  if (exponent == 31) return bits_float(sign | 0x7f800000u | (mantissa << 13));  // inf / NaN
  return bits_float(sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13));
}

uint16_t float_to_half_bits(float value) {
  uint32_t bits = float_bits(value);
  const uint32_t sign = bits & 0x80000000u;
  bits ^= sign;  // magnitude only from here on
  uint32_t half;
  if (bits >= ((127u + 16) << 23)) {
    // >= 65536, inf or NaN. (65520..65536 rounds up to inf in the normal branch below.)
    half = bits > 0x7f800000u ? 0x7e00u : 0x7c00u;
  } else if (bits < (113u << 23)) {
    // Result is a half subnormal or zero (< 2^-14). Adding 0.5 lines the half's last mantissa
    // bit up with the float's, so the float addition rounds to nearest even for us.
    const uint32_t magic_bits = ((127u - 15) + (23 - 10) + 1) << 23;
    half = float_bits(bits_float(bits) + bits_float(magic_bits)) - magic_bits;
  } else {
    const uint32_t mantissa_is_odd = (bits >> 13) & 1u;
    bits += (static_cast<uint32_t>(15 - 127) << 23) + 0xfffu;  // rebias, round half up...
    bits += mantissa_is_odd;                                    // ...or to even on a tie
    half = bits >> 13;
  }
  return static_cast<uint16_t>(half | (sign >> 16));
}

float bfloat16_bits_to_float(uint16_t bits) { return bits_float(static_cast<uint32_t>(bits) << 16); }

uint16_t float_to_bfloat16_bits(float value) {
  const uint32_t bits = float_bits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);  // ties to even
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

}  // namespace bertology

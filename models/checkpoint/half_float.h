// Bit-level conversions between float and the two 16-bit float formats found in checkpoints:
// IEEE half (F16) and bfloat16 (BF16). Narrowing rounds to nearest, ties to even, like PyTorch.
#pragma once
#include <cstdint>

namespace bertology {

float half_bits_to_float(uint16_t bits);
uint16_t float_to_half_bits(float value);  // overflow -> inf, NaN -> quiet NaN

float bfloat16_bits_to_float(uint16_t bits);
uint16_t float_to_bfloat16_bits(float value);  // NaN -> quiet NaN

}  // namespace bertology

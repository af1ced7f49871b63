// Element types and devices a tensor can have.
// float32 computes, float64 checks gradients and holds references, int64 holds ids, bool masks.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace bertology {

enum class DType : uint8_t { Float32, Float64, Int64, Bool };

size_t element_size(DType dtype);
const char* dtype_name(DType dtype);
inline bool is_floating(DType dtype) { return dtype == DType::Float32 || dtype == DType::Float64; }

// C++ type -> DType, for templated accessors.
template <class T> struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::Float32; };
template <> struct DTypeOf<double> { static constexpr DType value = DType::Float64; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::Int64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::Bool; };

// Where a tensor's memory lives: the CPU, or a CUDA GPU when the build has the CUDA backend
// (see tensor/backend.h).
struct Device {
  enum class Type : uint8_t { CPU, CUDA };
  Type type = Type::CPU;
  int index = 0;

  static Device cpu() { return {}; }
  static Device cuda(int index = 0) { return {Type::CUDA, index}; }
  bool is_cpu() const { return type == Type::CPU; }
  bool is_cuda() const { return type == Type::CUDA; }
  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string str() const;
};

// "cpu", "cuda" or "cuda:N"; anything else is an Error saying what is accepted.
Device parse_device(const std::string& name);

}  // namespace bertology

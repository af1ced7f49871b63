// Stored element types: names, sizes and the conversion loops used by every checkpoint reader
// and writer. Files are little-endian, and so is every host this library supports.
#include "stored_dtype.h"

#include <cstring>
#include <type_traits>

#include <bertology/tensor/error.h>

#include "half_float.h"

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "checkpoint files are little-endian; a big-endian host needs byte swapping here");

namespace bertology {
namespace {

struct StoredDTypeInfo {
  StoredDType dtype;
  const char* name;
  size_t size;
};

const StoredDTypeInfo kStoredDTypes[] = {
    {StoredDType::F64, "F64", 8}, {StoredDType::F32, "F32", 4}, {StoredDType::F16, "F16", 2},
    {StoredDType::BF16, "BF16", 2}, {StoredDType::I64, "I64", 8}, {StoredDType::I32, "I32", 4},
    {StoredDType::I16, "I16", 2}, {StoredDType::I8, "I8", 1},   {StoredDType::U8, "U8", 1},
    {StoredDType::BOOL, "BOOL", 1},
};

const StoredDTypeInfo& info(StoredDType dtype) { return kStoredDTypes[static_cast<int>(dtype)]; }

template <class T>
T load(const uint8_t* p) {
  T value;
  std::memcpy(&value, p, sizeof value);
  return value;
}

// One stored element as the widest type of its family: double for floats, int64 otherwise.
template <StoredDType kStored>
auto read_element(const uint8_t* p) {
  if constexpr (kStored == StoredDType::F64) return load<double>(p);
  if constexpr (kStored == StoredDType::F32) return static_cast<double>(load<float>(p));
  if constexpr (kStored == StoredDType::F16) return static_cast<double>(half_bits_to_float(load<uint16_t>(p)));
  if constexpr (kStored == StoredDType::BF16) return static_cast<double>(bfloat16_bits_to_float(load<uint16_t>(p)));
  if constexpr (kStored == StoredDType::I64) return load<int64_t>(p);
  if constexpr (kStored == StoredDType::I32) return static_cast<int64_t>(load<int32_t>(p));
  if constexpr (kStored == StoredDType::I16) return static_cast<int64_t>(load<int16_t>(p));
  if constexpr (kStored == StoredDType::I8) return static_cast<int64_t>(load<int8_t>(p));
  if constexpr (kStored == StoredDType::U8) return static_cast<int64_t>(load<uint8_t>(p));
  if constexpr (kStored == StoredDType::BOOL) return static_cast<int64_t>(load<uint8_t>(p) != 0);
}

template <StoredDType kStored, class Out>
void convert_loop(const uint8_t* src, int64_t src_stride, int64_t count, Out* dst) {
  const int64_t step = src_stride * static_cast<int64_t>(info(kStored).size);
  for (int64_t i = 0; i < count; ++i) dst[i] = static_cast<Out>(read_element<kStored>(src + i * step));
}

template <class Out>
void convert_into(const uint8_t* src, StoredDType stored, int64_t src_stride, int64_t count, Out* dst) {
  switch (stored) {
    case StoredDType::F64: return convert_loop<StoredDType::F64>(src, src_stride, count, dst);
    case StoredDType::F32:
      // The common case (float32 weights, contiguous): a plain copy.
      if constexpr (std::is_same_v<Out, float>)
        if (src_stride == 1) return void(std::memcpy(dst, src, count * sizeof(float)));
      return convert_loop<StoredDType::F32>(src, src_stride, count, dst);
    case StoredDType::F16: return convert_loop<StoredDType::F16>(src, src_stride, count, dst);
    case StoredDType::BF16: return convert_loop<StoredDType::BF16>(src, src_stride, count, dst);
    case StoredDType::I64: return convert_loop<StoredDType::I64>(src, src_stride, count, dst);
    case StoredDType::I32: return convert_loop<StoredDType::I32>(src, src_stride, count, dst);
    case StoredDType::I16: return convert_loop<StoredDType::I16>(src, src_stride, count, dst);
    case StoredDType::I8: return convert_loop<StoredDType::I8>(src, src_stride, count, dst);
    case StoredDType::U8: return convert_loop<StoredDType::U8>(src, src_stride, count, dst);
    case StoredDType::BOOL: return convert_loop<StoredDType::BOOL>(src, src_stride, count, dst);
  }
}

template <class In>
void store_all(const In* src, int64_t count, StoredDType stored, uint8_t* dst) {
  const size_t size = info(stored).size;
  for (int64_t i = 0; i < count; ++i, dst += size) {
    switch (stored) {
      case StoredDType::F64: { double v = static_cast<double>(src[i]); std::memcpy(dst, &v, 8); break; }
      case StoredDType::F32: { float v = static_cast<float>(src[i]); std::memcpy(dst, &v, 4); break; }
      case StoredDType::F16: { uint16_t v = float_to_half_bits(static_cast<float>(src[i])); std::memcpy(dst, &v, 2); break; }
      case StoredDType::BF16: { uint16_t v = float_to_bfloat16_bits(static_cast<float>(src[i])); std::memcpy(dst, &v, 2); break; }
      case StoredDType::I64: { int64_t v = static_cast<int64_t>(src[i]); std::memcpy(dst, &v, 8); break; }
      case StoredDType::I32: { int32_t v = static_cast<int32_t>(src[i]); std::memcpy(dst, &v, 4); break; }
      case StoredDType::I16: { int16_t v = static_cast<int16_t>(src[i]); std::memcpy(dst, &v, 2); break; }
      case StoredDType::I8: { int8_t v = static_cast<int8_t>(src[i]); std::memcpy(dst, &v, 1); break; }
      case StoredDType::U8: { uint8_t v = static_cast<uint8_t>(src[i]); std::memcpy(dst, &v, 1); break; }
      case StoredDType::BOOL: { uint8_t v = src[i] ? 1 : 0; std::memcpy(dst, &v, 1); break; }
    }
  }
}

}  // namespace

std::optional<StoredDType> stored_dtype_from_name(const std::string& name) {
  for (const StoredDTypeInfo& entry : kStoredDTypes)
    if (name == entry.name) return entry.dtype;
  return std::nullopt;
}

const char* stored_dtype_name(StoredDType dtype) { return info(dtype).name; }
size_t stored_dtype_size(StoredDType dtype) { return info(dtype).size; }

bool is_floating_point(StoredDType dtype) {
  return dtype == StoredDType::F64 || dtype == StoredDType::F32 || dtype == StoredDType::F16 ||
         dtype == StoredDType::BF16;
}

const char* supported_stored_dtype_names() { return "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL"; }

DType loaded_dtype(StoredDType stored, bool convert_to_float32) {
  if (stored == StoredDType::BOOL) return DType::Bool;
  if (!is_floating_point(stored)) return DType::Int64;
  if (stored == StoredDType::F64 && !convert_to_float32) return DType::Float64;
  return DType::Float32;
}

void convert_from_stored(const uint8_t* src, StoredDType stored, int64_t src_stride, int64_t count,
                         void* dst, DType dst_dtype) {
  switch (dst_dtype) {
    case DType::Float32: return convert_into(src, stored, src_stride, count, static_cast<float*>(dst));
    case DType::Float64: return convert_into(src, stored, src_stride, count, static_cast<double*>(dst));
    case DType::Int64: return convert_into(src, stored, src_stride, count, static_cast<int64_t*>(dst));
    case DType::Bool: return convert_into(src, stored, src_stride, count, static_cast<bool*>(dst));
  }
}

bool can_store_as(DType src_dtype, StoredDType stored) {
  switch (src_dtype) {
    case DType::Float32:
    case DType::Float64: return is_floating_point(stored);
    case DType::Int64: return stored == StoredDType::I64;
    case DType::Bool: return stored == StoredDType::BOOL;
  }
  return false;
}

void convert_to_stored(const void* src, DType src_dtype, int64_t count, StoredDType stored, uint8_t* dst) {
  if (!can_store_as(src_dtype, stored))
    throw Error(concat("cannot store ", dtype_name(src_dtype), " values as ", stored_dtype_name(stored)));
  switch (src_dtype) {
    case DType::Float32: return store_all(static_cast<const float*>(src), count, stored, dst);
    case DType::Float64: return store_all(static_cast<const double*>(src), count, stored, dst);
    case DType::Int64: return store_all(static_cast<const int64_t*>(src), count, stored, dst);
    case DType::Bool: return store_all(static_cast<const bool*>(src), count, stored, dst);
  }
}

}  // namespace bertology

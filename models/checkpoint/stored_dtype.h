// The element types a checkpoint file stores ("F32", "BF16", "I64", ... as safetensors names
// them), their sizes, and conversion between stored bytes and the tensor library's dtypes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <bertology/tensor/dtype.h>

namespace bertology {

enum class StoredDType { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::optional<StoredDType> stored_dtype_from_name(const std::string& name);  // "F16" -> F16
const char* stored_dtype_name(StoredDType dtype);                             // F16 -> "F16"
size_t stored_dtype_size(StoredDType dtype);                                  // in bytes
bool is_floating_point(StoredDType dtype);
// "F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL", for error messages.
const char* supported_stored_dtype_names();

// The dtype a stored element type becomes in memory: floating types -> Float32 (F64 stays
// Float64 when convert_to_float32 is false), integer types -> Int64, BOOL -> Bool.
DType loaded_dtype(StoredDType stored, bool convert_to_float32 = true);

// Reads count elements of type `stored` from src, element i at src + i * src_stride elements,
// and writes them converted into dst, a contiguous array of dst_dtype.
void convert_from_stored(const uint8_t* src, StoredDType stored, int64_t src_stride, int64_t count,
                         void* dst, DType dst_dtype);

// Whether a tensor of src_dtype may be written as `stored` (floats as any floating type,
// Int64 as I64, Bool as BOOL): writing never silently changes integers or booleans.
bool can_store_as(DType src_dtype, StoredDType stored);
// Converts count contiguous elements of src_dtype into stored bytes (little-endian) at dst.
void convert_to_stored(const void* src, DType src_dtype, int64_t count, StoredDType stored,
                       uint8_t* dst);

}  // namespace bertology

// Reading and writing safetensors files (HuggingFace's checkpoint format): an 8-byte header
// length, a JSON header naming each tensor's dtype, shape and byte range, then the raw data.
#pragma once
#include <map>
#include <string>

#include <bertology/models/checkpoint/state_dict.h>

namespace bertology {

struct SafetensorsFile {
  StateDict tensors;
  std::map<std::string, std::string> metadata;  // the header's "__metadata__"
  std::map<std::string, std::string> dtypes;    // stored dtype per tensor: "F32", "F16", ...
};

// Maps the file and validates the whole header before any tensor is read; errors name the file
// and the tensor. Floating tensors load as Float32 (F64 stays Float64 when convert_to_float32 is
// false), integer tensors as Int64, BOOL as Bool. Float32 tensors alias the mapping (no copy)
// when aligned.
SafetensorsFile read_safetensors(const std::string& path, bool convert_to_float32 = true);

// Writes tensors to path atomically (temporary file, then rename). dtype_per_tensor gives the
// stored dtype by name ("F32", "F16", "BF16", "F64" for floating tensors); floating tensors not
// named there are stored as F32, Int64 tensors as I64 and Bool tensors as BOOL. The layout is
// that of the Python library (tensors ordered by dtype, widest first, then by name; header
// padded with spaces to 8 bytes), so the same inputs give byte-identical files.
void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& dtype_per_tensor = {},
                       const std::map<std::string, std::string>& metadata = {});

// dtype_per_tensor that stores every floating tensor of `tensors` as `dtype` (e.g. "F16").
std::map<std::string, std::string> float_dtype_for_all(const StateDict& tensors, const std::string& dtype);

}  // namespace bertology

// read_safetensors: map the file, validate the header, then turn each entry into a tensor —
// aliasing the mapping when the stored bytes already are the in-memory dtype, else converting.
#include <bertology/models/checkpoint/safetensors.h>

#include <cstdint>

#include <bertology/tensor/system_memory.h>

#include "mapped_file.h"
#include "safetensors_header.h"

namespace bertology {
namespace {

// Whether `stored` is bit-for-bit the in-memory representation of `dtype`.
bool same_representation(StoredDType stored, DType dtype) {
  return (stored == StoredDType::F32 && dtype == DType::Float32) ||
         (stored == StoredDType::F64 && dtype == DType::Float64) ||
         (stored == StoredDType::I64 && dtype == DType::Int64);
}

Tensor load_entry(const std::shared_ptr<MappedFile>& file, const SafetensorsEntry& entry,
                  uint64_t data_start, bool convert_to_float32) {
  const DType dtype = loaded_dtype(entry.dtype, convert_to_float32);
  uint8_t* bytes = file->mutable_data() + data_start + entry.begin;
  const uint64_t nbytes = entry.end - entry.begin;
  const bool aligned = reinterpret_cast<uintptr_t>(bytes) % element_size(dtype) == 0;
  if (nbytes > 0 && aligned && same_representation(entry.dtype, dtype)) {
    // The storage keeps the mapping alive; the mapping is private, so writes stay in memory.
    auto storage = std::make_shared<Storage>(bytes, nbytes, Device::cpu(), [file](void*) {});
    return Tensor::from_storage(std::move(storage), entry.shape, dtype);
  }
  Tensor tensor = Tensor::empty(entry.shape, dtype);
  if (nbytes > 0) convert_from_stored(bytes, entry.dtype, 1, tensor.numel(), tensor.raw_data(), dtype);
  return tensor;
}

}  // namespace

SafetensorsFile read_safetensors(const std::string& path, bool convert_to_float32) {
  std::shared_ptr<MappedFile> file = MappedFile::open(path);
  const SafetensorsHeader header = parse_safetensors_header(file->data(), file->size(), path);
  // Tensors stored as they are loaded stay in the (lazily read) mapping; the others are
  // converted into new memory, which must exist.
  double converted_bytes = 0;
  for (const SafetensorsEntry& entry : header.entries) {
    const DType dtype = loaded_dtype(entry.dtype, convert_to_float32);
    if (!same_representation(entry.dtype, dtype))
      converted_bytes += static_cast<double>(entry.end - entry.begin) / stored_dtype_size(entry.dtype) *
                         static_cast<double>(element_size(dtype));
  }
  require_memory(converted_bytes, "its tensors in float32", path);
  SafetensorsFile result;
  result.metadata = header.metadata;
  for (const SafetensorsEntry& entry : header.entries) {
    result.tensors[entry.name] = load_entry(file, entry, header.data_start, convert_to_float32);
    result.dtypes[entry.name] = stored_dtype_name(entry.dtype);
  }
  return result;
}

}  // namespace bertology

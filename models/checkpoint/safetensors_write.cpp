// write_safetensors: lays tensors out as the Python safetensors library does (same order, same
// compact JSON, same space padding) and writes the file atomically.
#include <bertology/models/checkpoint/safetensors.h>

#include <algorithm>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

#include <bertology/tensor/error.h>

#include "atomic_file.h"
#include "stored_dtype.h"

namespace bertology {
namespace {

struct PlannedTensor {
  std::string name;
  Tensor tensor;  // contiguous, detached
  StoredDType stored;
  uint64_t begin = 0;
  uint64_t end = 0;
};

// The Python library orders tensors by its dtype enum, highest first (I64, F64, F32, I32,
// BF16, F16, I16, I8, U8, BOOL), which keeps every tensor aligned to its element size.
int python_dtype_rank(StoredDType dtype) {
  switch (dtype) {
    case StoredDType::BOOL: return 0;
    case StoredDType::U8: return 1;
    case StoredDType::I8: return 2;
    case StoredDType::I16: return 5;
    case StoredDType::F16: return 7;
    case StoredDType::BF16: return 8;
    case StoredDType::I32: return 9;
    case StoredDType::F32: return 11;
    case StoredDType::F64: return 12;
    case StoredDType::I64: return 13;
  }
  return 0;
}

StoredDType default_stored_dtype(DType dtype) {
  switch (dtype) {
    case DType::Int64: return StoredDType::I64;
    case DType::Bool: return StoredDType::BOOL;
    default: return StoredDType::F32;
  }
}

std::vector<PlannedTensor> plan_layout(const std::string& path, const StateDict& tensors,
                                       const std::map<std::string, std::string>& dtype_per_tensor) {
  for (const auto& [name, dtype] : dtype_per_tensor)
    if (!tensors.count(name))
      throw Error(concat(path, ": dtype ", dtype, " given for '", name, "', which is not among the tensors to write"));

  std::vector<PlannedTensor> planned;
  for (const auto& [name, tensor] : tensors) {
    const std::string where = concat(path, ": tensor '", name, "': ");
    if (name == "__metadata__") throw Error(where + "this name is reserved for the metadata");
    if (!tensor.defined()) throw Error(where + "tensor is undefined");
    StoredDType stored = default_stored_dtype(tensor.dtype());
    auto requested = dtype_per_tensor.find(name);
    if (requested != dtype_per_tensor.end()) {
      std::optional<StoredDType> parsed = stored_dtype_from_name(requested->second);
      if (!parsed) throw Error(concat(where, "unknown dtype '", requested->second, "'"));
      stored = *parsed;
    }
    if (!can_store_as(tensor.dtype(), stored))
      throw Error(concat(where, "cannot store ", dtype_name(tensor.dtype()), " values as ", stored_dtype_name(stored)));
    planned.push_back({name, tensor.detach().to(Device::cpu()).contiguous(), stored});  // a GPU tensor is copied
  }
  std::stable_sort(planned.begin(), planned.end(), [](const PlannedTensor& a, const PlannedTensor& b) {
    return python_dtype_rank(a.stored) > python_dtype_rank(b.stored);  // names already sorted
  });
  uint64_t offset = 0;
  for (PlannedTensor& entry : planned) {
    entry.begin = offset;
    offset += static_cast<uint64_t>(entry.tensor.numel()) * stored_dtype_size(entry.stored);
    entry.end = offset;
  }
  return planned;
}

std::string quoted(const std::string& text) { return nlohmann::json(text).dump(); }

// Compact JSON, "__metadata__" first, tensors in data order, padded with spaces to 8 bytes.
std::string header_json(const std::vector<PlannedTensor>& planned, const std::map<std::string, std::string>& metadata) {
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [key, value] : metadata) {
      header += (first ? "" : ",") + quoted(key) + ":" + quoted(value);
      first = false;
    }
    header += "}";
  }
  for (const PlannedTensor& entry : planned) {
    if (header.size() > 1) header += ",";
    header += quoted(entry.name) + ":{\"dtype\":\"" + stored_dtype_name(entry.stored) + "\",\"shape\":[";
    for (size_t d = 0; d < entry.tensor.sizes().size(); ++d)
      header += (d ? "," : "") + std::to_string(entry.tensor.sizes()[d]);
    header += "],\"data_offsets\":[" + std::to_string(entry.begin) + "," + std::to_string(entry.end) + "]}";
  }
  header += "}";
  header.append((8 - header.size() % 8) % 8, ' ');
  return header;
}

void write_tensor_data(AtomicFileWriter& out, const PlannedTensor& entry) {
  const Tensor& tensor = entry.tensor;
  if (entry.stored == StoredDType::F32 && tensor.dtype() == DType::Float32) {
    out.write(tensor.raw_data(), entry.end - entry.begin);
    return;
  }
  // Convert in chunks so a large tensor needs no second full-size buffer.
  constexpr int64_t kChunkElements = 1 << 20;
  const size_t in_size = element_size(tensor.dtype());
  const size_t out_size = stored_dtype_size(entry.stored);
  std::vector<uint8_t> buffer(static_cast<size_t>(std::min(tensor.numel(), kChunkElements)) * out_size);
  const uint8_t* source = static_cast<const uint8_t*>(tensor.numel() > 0 ? tensor.raw_data() : nullptr);
  for (int64_t start = 0; start < tensor.numel(); start += kChunkElements) {
    const int64_t count = std::min(kChunkElements, tensor.numel() - start);
    convert_to_stored(source + start * in_size, tensor.dtype(), count, entry.stored, buffer.data());
    out.write(buffer.data(), static_cast<size_t>(count) * out_size);
  }
}

}  // namespace

void write_safetensors(const std::string& path, const StateDict& tensors,
                       const std::map<std::string, std::string>& dtype_per_tensor,
                       const std::map<std::string, std::string>& metadata) {
  const std::vector<PlannedTensor> planned = plan_layout(path, tensors, dtype_per_tensor);
  const std::string header = header_json(planned, metadata);
  const uint64_t header_size = header.size();
  uint8_t length_bytes[8];
  std::memcpy(length_bytes, &header_size, 8);  // little-endian host (see stored_dtype.cpp)

  AtomicFileWriter out(path);
  out.write(length_bytes, 8);
  out.write(header);
  for (const PlannedTensor& entry : planned)
    if (entry.end > entry.begin) write_tensor_data(out, entry);
  out.commit();
}

std::map<std::string, std::string> float_dtype_for_all(const StateDict& tensors, const std::string& dtype) {
  std::map<std::string, std::string> dtypes;
  for (const auto& [name, tensor] : tensors)
    if (tensor.defined() && is_floating(tensor.dtype())) dtypes[name] = dtype;
  return dtypes;
}

}  // namespace bertology

// Parsing and validating a safetensors header, separate from reading the data, so that every
// check runs before any tensor byte is touched.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <bertology/models/checkpoint/stored_dtype.h>
#include <bertology/tensor/tensor.h>

namespace bertology {

struct SafetensorsEntry {
  std::string name;
  StoredDType dtype;
  Shape shape;
  uint64_t begin = 0;  // byte range [begin, end) relative to the start of the data
  uint64_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t data_start = 0;                // 8 + header length: where offset 0 lies in the file
};

// Largest header accepted (as the Python library).
constexpr uint64_t kMaxSafetensorsHeaderBytes = 100'000'000;

// Validates the header of a file whose bytes are file[0, file_size); throws Error naming
// `path` (and the tensor) on the first problem.
SafetensorsHeader parse_safetensors_header(const uint8_t* file, uint64_t file_size, const std::string& path);

}  // namespace bertology

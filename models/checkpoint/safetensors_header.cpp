// Safetensors header validation: length, JSON, then each entry's dtype, shape and byte range,
// and finally that no two tensors share bytes. Errors read "<file>: tensor '<name>': ...".
#include "safetensors_header.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include <bertology/tensor/error.h>

namespace bertology {
namespace {

using nlohmann::json;

// A valid header nests three levels ({"name": {"shape": [..]}}); nlohmann's parser is not
// bounded, so deeper input is refused before parsing.
constexpr int kMaxHeaderNesting = 8;

bool nests_too_deep(const char* text, size_t size) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < size; ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;  // skip the escaped character
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxHeaderNesting) return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

std::string range_str(uint64_t begin, uint64_t end) { return concat("[", begin, ", ", end, ")"); }

// Non-negative JSON integer (nlohmann parses those as number_unsigned).
bool read_count(const json& value, uint64_t& out) {
  if (!value.is_number_unsigned()) return false;
  out = value.get<uint64_t>();
  return true;
}

// numel(shape) * element_size, or false on 64-bit overflow.
bool byte_size(const Shape& shape, size_t element_size, uint64_t& out) {
  uint64_t bytes = element_size;
  for (int64_t dim : shape)
    if (__builtin_mul_overflow(bytes, static_cast<uint64_t>(dim), &bytes)) return false;
  out = bytes;
  return true;
}

SafetensorsEntry parse_entry(const std::string& name, const json& value, uint64_t data_size,
                             const std::string& path) {
  const std::string where = concat(path, ": tensor '", name, "': ");
  if (!value.is_object()) throw Error(where + "entry is not a JSON object");
  SafetensorsEntry entry;
  entry.name = name;

  auto dtype = value.find("dtype");
  if (dtype == value.end() || !dtype->is_string()) throw Error(where + "'dtype' is missing or not a string");
  const std::string dtype_name = dtype->get<std::string>();
  std::optional<StoredDType> stored = stored_dtype_from_name(dtype_name);
  if (!stored)
    throw Error(concat(where, "unknown dtype '", dtype_name, "' (supported: ", supported_stored_dtype_names(), ")"));
  entry.dtype = *stored;

  auto shape = value.find("shape");
  if (shape == value.end() || !shape->is_array())
    throw Error(where + "'shape' must be a list of non-negative integers");
  for (const json& dim : *shape) {
    uint64_t size = 0;
    if (!read_count(dim, size) || size > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      throw Error(where + "'shape' must be a list of non-negative integers");
    entry.shape.push_back(static_cast<int64_t>(size));
  }

  auto offsets = value.find("data_offsets");
  if (offsets == value.end() || !offsets->is_array() || offsets->size() != 2 ||
      !read_count((*offsets)[0], entry.begin) || !read_count((*offsets)[1], entry.end))
    throw Error(where + "'data_offsets' must be two non-negative integers");
  const std::string range = range_str(entry.begin, entry.end);
  if (entry.begin > entry.end) throw Error(concat(where, "data_offsets ", range, " end before they begin"));
  if (entry.end > data_size)
    throw Error(concat(where, "data_offsets ", range, " run past the end of the data (", data_size, " bytes)"));

  uint64_t expected_bytes = 0;
  const char* stored_name = stored_dtype_name(entry.dtype);
  if (!byte_size(entry.shape, stored_dtype_size(entry.dtype), expected_bytes))
    throw Error(concat(where, "shape ", shape_str(entry.shape), " of ", stored_name, " is too large"));
  if (expected_bytes != entry.end - entry.begin)
    throw Error(concat(where, "data_offsets ", range, " do not match shape ", shape_str(entry.shape), " of ",
                       stored_name, " (", expected_bytes, " bytes)"));
  return entry;
}

std::map<std::string, std::string> parse_metadata(const json& value, const std::string& path) {
  std::map<std::string, std::string> metadata;
  if (value.is_object())
    for (auto item = value.begin(); item != value.end(); ++item)
      if (item.value().is_string()) metadata[item.key()] = item.value().get<std::string>();
      else throw Error(concat(path, ": __metadata__ value of '", item.key(), "' is not a string"));
  else if (!value.is_null())
    throw Error(concat(path, ": __metadata__ is not a JSON object"));
  return metadata;
}

void check_no_overlap(std::vector<SafetensorsEntry> entries, const std::string& path) {
  std::sort(entries.begin(), entries.end(),
            [](const SafetensorsEntry& a, const SafetensorsEntry& b) { return a.begin < b.begin; });
  const SafetensorsEntry* previous = nullptr;  // the non-empty range that ends last so far
  for (const SafetensorsEntry& entry : entries) {
    if (entry.begin == entry.end) continue;  // an empty tensor owns no bytes
    if (previous && entry.begin < previous->end)
      throw Error(concat(path, ": tensors '", previous->name, "' ", range_str(previous->begin, previous->end),
                         " and '", entry.name, "' ", range_str(entry.begin, entry.end), " overlap"));
    if (!previous || entry.end > previous->end) previous = &entry;
  }
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* file, uint64_t file_size, const std::string& path) {
  if (file_size < 8)
    throw Error(concat(path, ": file is ", file_size, " bytes, too short for the 8-byte header length"));
  uint64_t header_size = 0;
  std::memcpy(&header_size, file, 8);
  if (header_size > kMaxSafetensorsHeaderBytes)
    throw Error(concat(path, ": header length ", header_size, " exceeds the limit of ",
                       kMaxSafetensorsHeaderBytes, " bytes"));
  if (header_size > file_size - 8)
    throw Error(concat(path, ": header length ", header_size, " runs past the end of the file (",
                       file_size, " bytes)"));

  const char* text = reinterpret_cast<const char*>(file + 8);
  if (nests_too_deep(text, header_size))
    throw Error(concat(path, ": header JSON nests more than ", kMaxHeaderNesting, " levels deep"));
  json header;
  try {
    header = json::parse(text, text + header_size);
  } catch (const json::parse_error& error) {
    throw Error(concat(path, ": header is not valid JSON (error at byte ", error.byte, " of the header)"));
  } catch (const json::exception&) {  // e.g. out_of_range for 1e999
    throw Error(concat(path, ": header is not valid JSON (a number is out of range)"));
  }
  if (!header.is_object()) throw Error(concat(path, ": header is not a JSON object"));

  SafetensorsHeader result;
  result.data_start = 8 + header_size;
  const uint64_t data_size = file_size - result.data_start;
  for (auto item = header.begin(); item != header.end(); ++item) {
    if (item.key() == "__metadata__") result.metadata = parse_metadata(item.value(), path);
    else result.entries.push_back(parse_entry(item.key(), item.value(), data_size, path));
  }
  check_no_overlap(result.entries, path);
  return result;
}

}  // namespace bertology

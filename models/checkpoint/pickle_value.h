// The values the restricted unpickler builds from a PyTorch state-dict pickle. They live in an
// arena and point at each other with plain pointers: hostile nesting or reference cycles can
// neither recurse on destruction nor leak.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

#include <bertology/models/checkpoint/stored_dtype.h>
#include <bertology/tensor/tensor.h>

namespace bertology {

// A torch storage named by a persistent id: ("storage", torch.FloatStorage, key, location, numel).
struct StorageReference {
  std::string key;               // "0", "1", ...: the zip entry "<archive>/data/<key>" or legacy key
  StoredDType dtype = StoredDType::F32;
  int64_t numel = 0;             // elements in the whole storage
  int64_t element_offset = 0;    // legacy storage views: where the view starts in the root storage
};

// torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, ...): a strided view.
struct TensorReference {
  StorageReference storage;
  int64_t storage_offset = 0;  // in elements
  Shape sizes;
  Shape strides;               // in elements
};

struct PickleValue {
  enum class Kind { None, Bool, Int, LongInt, Float, String, Bytes, Tuple, List, Dict, Global, Storage, Tensor };
  Kind kind = Kind::None;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;  // String; Bytes; Global "module.name"; LongInt: little-endian two's complement
  std::vector<PickleValue*> items;                             // Tuple, List
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;  // Dict, in insertion order
  StorageReference storage;                                    // Storage
  TensorReference tensor;                                      // Tensor
};

const char* kind_name(PickleValue::Kind kind);  // "tuple", "dict", ... for error messages

// Owns every value of one or more unpickled objects.
class PickleArena {
 public:
  PickleValue* make(PickleValue::Kind kind) {
    values_.emplace_back();
    values_.back().kind = kind;
    return &values_.back();
  }
  const std::deque<PickleValue>& values() const { return values_; }

 private:
  std::deque<PickleValue> values_;  // a deque never moves its elements
};

}  // namespace bertology

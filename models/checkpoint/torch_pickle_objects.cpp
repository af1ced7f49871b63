// The allowed globals and how each is "called". Nothing here runs code from the file: a call
// only builds a description (a dict, a storage reference, a tensor view) checked field by field.
#include "torch_pickle_objects.h"

#include <bertology/tensor/error.h>

namespace bertology {
namespace {

using Kind = PickleValue::Kind;

struct StorageType {
  const char* name;
  StoredDType dtype;
};

const StorageType kStorageTypes[] = {
    {"torch.FloatStorage", StoredDType::F32},   {"torch.DoubleStorage", StoredDType::F64},
    {"torch.HalfStorage", StoredDType::F16},    {"torch.BFloat16Storage", StoredDType::BF16},
    {"torch.LongStorage", StoredDType::I64},    {"torch.IntStorage", StoredDType::I32},
    {"torch.ShortStorage", StoredDType::I16},   {"torch.CharStorage", StoredDType::I8},
    {"torch.ByteStorage", StoredDType::U8},     {"torch.BoolStorage", StoredDType::BOOL},
};

const char* const kOrderedDict = "collections.OrderedDict";
const char* const kRebuildTensorV2 = "torch._utils._rebuild_tensor_v2";
const char* const kRebuildTensor = "torch._utils._rebuild_tensor";
const char* const kRebuildParameter = "torch._utils._rebuild_parameter";

const StorageType* find_storage_type(const std::string& name) {
  for (const StorageType& type : kStorageTypes)
    if (name == type.name) return &type;
  return nullptr;
}

bool is(const PickleValue* value, Kind kind) { return value && value->kind == kind; }

// A tuple of non-negative ints (sizes or strides).
bool read_dims(const PickleValue* value, Shape& out) {
  if (!is(value, Kind::Tuple) || value->items.size() > 64) return false;
  for (const PickleValue* item : value->items) {
    if (!is(item, Kind::Int) || item->integer < 0) return false;
    out.push_back(item->integer);
  }
  return true;
}

PickleValue* rebuild_tensor(const PickleValue& args, PickleArena& arena, const std::string& path) {
  const std::vector<PickleValue*>& a = args.items;
  PickleValue* tensor = arena.make(Kind::Tensor);
  if (a.size() < 4 || !is(a[0], Kind::Storage) || !is(a[1], Kind::Int) || a[1]->integer < 0 ||
      !read_dims(a[2], tensor->tensor.sizes) || !read_dims(a[3], tensor->tensor.strides) ||
      tensor->tensor.sizes.size() != tensor->tensor.strides.size())
    throw Error(concat(path, ": malformed tensor rebuild arguments (expected storage, offset, sizes, strides)"));
  tensor->tensor.storage = a[0]->storage;
  tensor->tensor.storage_offset = a[1]->integer;
  return tensor;
}

}  // namespace

bool is_allowed_global(const std::string& name) {
  return name == kOrderedDict || name == kRebuildTensorV2 || name == kRebuildTensor || name == kRebuildParameter ||
         find_storage_type(name) != nullptr;
}

PickleValue* call_allowed_global(const PickleValue& callable, const PickleValue& args, PickleArena& arena,
                                 const std::string& path) {
  if (callable.kind != Kind::Global || args.kind != Kind::Tuple)
    throw Error(concat(path, ": pickle calls a ", kind_name(callable.kind), " with a ", kind_name(args.kind),
                       " (only tensor rebuild functions and OrderedDict can be called)"));
  const std::string& name = callable.text;
  if (name == kOrderedDict) {
    if (!args.items.empty()) throw Error(concat(path, ": OrderedDict called with arguments (not supported)"));
    return arena.make(Kind::Dict);
  }
  if (name == kRebuildTensorV2 || name == kRebuildTensor) return rebuild_tensor(args, arena, path);
  if (name == kRebuildParameter) {
    if (args.items.empty() || !is(args.items[0], Kind::Tensor))
      throw Error(concat(path, ": malformed parameter rebuild arguments (expected a tensor)"));
    return args.items[0];
  }
  throw Error(concat(path, ": pickle calls '", name, "', which cannot be called"));
}

PickleValue* storage_from_persistent_id(const PickleValue& pid, PickleArena& arena, const std::string& path) {
  const std::vector<PickleValue*>& a = pid.items;
  const bool well_formed = pid.kind == Kind::Tuple && (a.size() == 5 || a.size() == 6) &&
                           is(a[0], Kind::String) && a[0]->text == "storage" && is(a[1], Kind::Global) &&
                           is(a[2], Kind::String) && is(a[4], Kind::Int) && a[4]->integer >= 0;
  if (!well_formed)
    throw Error(concat(path, ": malformed persistent id (expected ('storage', type, key, location, numel))"));
  const StorageType* type = find_storage_type(a[1]->text);
  if (!type) throw Error(concat(path, ": persistent id names '", a[1]->text, "', which is not a storage type"));

  PickleValue* storage = arena.make(Kind::Storage);
  storage->storage.key = a[2]->text;
  storage->storage.dtype = type->dtype;
  storage->storage.numel = a[4]->integer;
  // Legacy files may add view metadata (view_key, offset, view_size): a view into this storage.
  if (a.size() == 6 && !is(a[5], Kind::None)) {
    const PickleValue* view = a[5];
    if (!is(view, Kind::Tuple) || view->items.size() != 3 || !is(view->items[1], Kind::Int) ||
        view->items[1]->integer < 0)
      throw Error(concat(path, ": malformed storage view metadata"));
    storage->storage.element_offset = view->items[1]->integer;
  }
  return storage;
}

}  // namespace bertology

// pytorch_model.bin: find the pickle and the storages (zip entries, or the legacy layout of
// consecutive pickles followed by raw storages), unpickle, then copy each tensor view out.
#include <bertology/models/checkpoint/pytorch_bin.h>

#include <cstring>

#include <bertology/tensor/error.h>

#include "mapped_file.h"
#include "restricted_unpickler.h"
#include "zip_archive.h"

namespace bertology {
namespace {

using Kind = PickleValue::Kind;

// Where one storage's elements lie in the mapped file.
struct StorageBytes {
  const uint8_t* data = nullptr;
  uint64_t numel = 0;
  StoredDType dtype = StoredDType::F32;
};
using StorageTable = std::map<std::string, StorageBytes>;  // by storage key

bool checked_byte_count(uint64_t numel, StoredDType dtype, uint64_t& bytes) {
  return !__builtin_mul_overflow(numel, static_cast<uint64_t>(stored_dtype_size(dtype)), &bytes);
}

// The top-level dict: parameter name -> tensor view.
std::map<std::string, const TensorReference*> state_dict_entries(const PickleValue* root, const std::string& path) {
  if (root->kind != Kind::Dict)
    throw Error(concat(path, ": the pickle holds a ", kind_name(root->kind), ", not a state dict"));
  std::map<std::string, const TensorReference*> entries;
  for (const auto& [key, value] : root->entries) {
    if (key->kind != Kind::String) throw Error(concat(path, ": state dict has a ", kind_name(key->kind), " key"));
    if (value->kind != Kind::Tensor)
      throw Error(concat(path, ": state dict entry '", key->text, "' is a ", kind_name(value->kind), ", not a tensor"));
    entries[key->text] = &value->tensor;
  }
  return entries;
}

// Every storage key the pickle refers to, with its dtype and element count.
std::map<std::string, StorageReference> referenced_storages(const PickleArena& arena, const std::string& path) {
  std::map<std::string, StorageReference> storages;
  for (const PickleValue& value : arena.values()) {
    if (value.kind != Kind::Storage) continue;
    auto [it, inserted] = storages.emplace(value.storage.key, value.storage);
    if (!inserted && (it->second.dtype != value.storage.dtype || it->second.numel != value.storage.numel))
      throw Error(concat(path, ": storage '", value.storage.key, "' is described in two different ways"));
  }
  return storages;
}

// Copies the strided view (sizes, strides, offset) of a storage into a new contiguous tensor.
Tensor copy_view(const StorageBytes& storage, int64_t offset, const Shape& sizes, const Shape& strides) {
  const DType dtype = loaded_dtype(storage.dtype);
  Tensor out = Tensor::empty(sizes, dtype);
  const int64_t numel = out.numel();
  if (numel == 0) return out;
  const size_t in_size = stored_dtype_size(storage.dtype);
  uint8_t* dst = static_cast<uint8_t*>(out.raw_data());
  if (sizes.empty() || strides == contiguous_strides(sizes)) {
    convert_from_stored(storage.data + offset * in_size, storage.dtype, 1, numel, dst, dtype);
    return out;
  }
  // One row (last dimension) at a time; `index` counts over the outer dimensions.
  const int64_t row_length = sizes.back();
  const size_t row_bytes = static_cast<size_t>(row_length) * element_size(dtype);
  std::vector<int64_t> index(sizes.size() - 1, 0);
  for (int64_t row = 0; row < numel / row_length; ++row) {
    int64_t start = offset;
    for (size_t d = 0; d < index.size(); ++d) start += index[d] * strides[d];
    convert_from_stored(storage.data + start * in_size, storage.dtype, strides.back(), row_length, dst + row * row_bytes,
                        dtype);
    for (size_t d = index.size(); d-- > 0;) {
      if (++index[d] < sizes[d]) break;
      index[d] = 0;
    }
  }
  return out;
}

// Checks that the view stays inside its storage, then copies it.
Tensor materialize(const std::string& name, const TensorReference& view, const StorageBytes& storage,
                   const std::string& path) {
  const std::string where = concat(path, ": tensor '", name, "': ");
  uint64_t numel = 1, last = 0;  // last: largest element index the view touches
  bool overflow = __builtin_add_overflow(static_cast<uint64_t>(view.storage_offset),
                                         static_cast<uint64_t>(view.storage.element_offset), &last);
  for (size_t d = 0; d < view.sizes.size(); ++d) {
    const uint64_t size = static_cast<uint64_t>(view.sizes[d]);
    overflow = overflow || __builtin_mul_overflow(numel, size, &numel);
    uint64_t reach = 0;
    if (size > 0) overflow = overflow || __builtin_mul_overflow(size - 1, static_cast<uint64_t>(view.strides[d]), &reach) ||
                             __builtin_add_overflow(last, reach, &last);
  }
  if (overflow || (numel > 0 && last >= storage.numel))
    throw Error(concat(where, "view (offset ", view.storage_offset, ", sizes ", shape_str(view.sizes), ", strides ",
                       shape_str(view.strides), ") reaches past the end of storage '", view.storage.key, "' (",
                       storage.numel, " elements)"));
  // State dicts hold parameters and buffers, never expanded views bigger than their storage;
  // refusing those bounds the memory a file can make us allocate by the file's own size.
  if (numel > storage.numel)
    throw Error(concat(where, "view of ", numel, " elements is larger than its storage '", view.storage.key, "' (",
                       storage.numel, " elements)"));
  return copy_view(storage, view.storage_offset + view.storage.element_offset, view.sizes, view.strides);
}

PytorchBinFile build_tensors(const PickleValue* root, const StorageTable& table, const std::string& path) {
  PytorchBinFile result;
  for (const auto& [name, view] : state_dict_entries(root, path)) {
    const StorageBytes& storage = table.at(view->storage.key);
    result.tensors[name] = materialize(name, *view, storage, path);
    result.dtypes[name] = stored_dtype_name(storage.dtype);
  }
  return result;
}

// ---- zip format: <archive>/data.pkl and <archive>/data/<key> ------------------------------

std::string archive_folder(const ZipArchive& archive, const std::string& path) {
  std::string folder;
  for (const ZipEntry& entry : archive.entries()) {
    const size_t slash = entry.name.find('/');
    if (slash == std::string::npos || entry.name.compare(slash, std::string::npos, "/data.pkl") != 0) continue;
    if (!folder.empty()) throw Error(concat(path, ": zip archive holds more than one '*/data.pkl'"));
    folder = entry.name.substr(0, slash);
  }
  if (folder.empty()) throw Error(concat(path, ": zip archive has no '*/data.pkl': not a PyTorch checkpoint"));
  return folder;
}

PytorchBinFile read_zip_checkpoint(const MappedFile& file, const std::string& path) {
  const ZipArchive archive(file.data(), file.size(), path);
  const std::string folder = archive_folder(archive, path);
  if (const ZipEntry* byteorder = archive.find(folder + "/byteorder")) {
    const std::string order(reinterpret_cast<const char*>(archive.data(*byteorder)), byteorder->size);
    if (order != "little") throw Error(concat(path, ": stored with byte order '", order, "' (only little-endian is supported)"));
  }
  const ZipEntry& pickle = *archive.find(folder + "/data.pkl");
  PickleArena arena;
  const PickleValue* root = unpickle(archive.data(pickle), pickle.size, arena, path);

  StorageTable table;
  for (const auto& [key, storage] : referenced_storages(arena, path)) {
    const std::string entry_name = folder + "/data/" + key;
    const ZipEntry* entry = archive.find(entry_name);
    if (!entry) throw Error(concat(path, ": storage '", key, "' is missing (no zip entry '", entry_name, "')"));
    uint64_t bytes = 0;
    if (!checked_byte_count(static_cast<uint64_t>(storage.numel), storage.dtype, bytes) || bytes > entry->size)
      throw Error(concat(path, ": storage '", key, "' should hold ", storage.numel, " ", stored_dtype_name(storage.dtype),
                         " elements but its zip entry has ", entry->size, " bytes"));
    table[key] = {archive.data(*entry), static_cast<uint64_t>(storage.numel), storage.dtype};
  }
  return build_tensors(root, table, path);
}

// ---- legacy format: magic, protocol, sys_info, state dict, storage keys, then storages -------

// torch/serialization.py MAGIC_NUMBER = 0x1950a86a20f9469cfc6c, little-endian.
const uint8_t kLegacyMagic[] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
constexpr int64_t kLegacyProtocolVersion = 1001;

const PickleValue* find_entry(const PickleValue& dict, const std::string& key) {
  for (const auto& [k, v] : dict.entries)
    if (k->kind == Kind::String && k->text == key) return v;
  return nullptr;
}

PytorchBinFile read_legacy_checkpoint(const MappedFile& file, const std::string& path) {
  PickleArena arena;
  uint64_t at = 0;
  auto next_pickle = [&]() {
    size_t length = 0;
    const PickleValue* value = unpickle(file.data() + at, file.size() - at, arena, path, &length);
    at += length;
    return value;
  };
  const PickleValue* magic = next_pickle();
  if (magic->kind != Kind::LongInt || magic->text != std::string(std::begin(kLegacyMagic), std::end(kLegacyMagic)))
    throw Error(concat(path, ": not a PyTorch checkpoint (no legacy magic number and not a zip archive)"));
  const PickleValue* protocol = next_pickle();
  if (protocol->kind != Kind::Int || protocol->integer != kLegacyProtocolVersion)
    throw Error(concat(path, ": unsupported legacy checkpoint protocol version"));
  const PickleValue* sys_info = next_pickle();
  if (sys_info->kind == Kind::Dict) {
    const PickleValue* little_endian = find_entry(*sys_info, "little_endian");
    if (little_endian && little_endian->kind == Kind::Bool && !little_endian->boolean)
      throw Error(concat(path, ": stored on a big-endian machine (only little-endian is supported)"));
  }
  const PickleValue* root = next_pickle();
  const PickleValue* keys = next_pickle();
  if (keys->kind != Kind::List) throw Error(concat(path, ": malformed legacy checkpoint (no storage key list)"));

  const std::map<std::string, StorageReference> storages = referenced_storages(arena, path);
  StorageTable table;
  for (const PickleValue* key : keys->items) {
    if (key->kind != Kind::String) throw Error(concat(path, ": malformed legacy checkpoint (storage key is not a string)"));
    auto storage = storages.find(key->text);
    if (storage == storages.end())
      throw Error(concat(path, ": storage '", key->text, "' is not used by any tensor, so its element size is unknown"));
    if (file.size() - at < 8) throw Error(concat(path, ": file ends before storage '", key->text, "'"));
    uint64_t numel = 0, bytes = 0;
    std::memcpy(&numel, file.data() + at, 8);
    at += 8;
    if (!checked_byte_count(numel, storage->second.dtype, bytes) || bytes > file.size() - at)
      throw Error(concat(path, ": storage '", key->text, "' declares ", numel, " elements, past the end of the file (",
                         file.size(), " bytes)"));
    if (numel != static_cast<uint64_t>(storage->second.numel))
      throw Error(concat(path, ": storage '", key->text, "' holds ", numel, " elements but the pickle says ",
                         storage->second.numel));
    table[key->text] = {file.data() + at, numel, storage->second.dtype};
    at += bytes;
  }
  for (const auto& [key, storage] : storages)
    if (!table.count(key)) throw Error(concat(path, ": storage '", key, "' is missing from the file"));
  return build_tensors(root, table, path);
}

}  // namespace

PytorchBinFile read_pytorch_bin_file(const std::string& path) {
  const std::shared_ptr<MappedFile> file = MappedFile::open(path);
  if (looks_like_zip(file->data(), file->size())) return read_zip_checkpoint(*file, path);
  if (file->size() > 0 && file->data()[0] == 0x80) return read_legacy_checkpoint(*file, path);
  throw Error(concat(path, ": not a PyTorch checkpoint (neither a zip archive nor a pickle)"));
}

StateDict read_pytorch_bin(const std::string& path) { return read_pytorch_bin_file(path).tensors; }

}  // namespace bertology

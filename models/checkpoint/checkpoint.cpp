// load_checkpoint: choose the file(s) in a model folder, read them (shards each validated, and
// checked against the index's weight_map), and summarise the stored dtype.
#include <bertology/models/checkpoint/checkpoint.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include <bertology/models/checkpoint/pytorch_bin.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/text_file.h>
#include <bertology/tensor/error.h>

#include "stored_dtype.h"

namespace bertology {
namespace {

namespace fs = std::filesystem;

// One file's tensors with their stored dtype names (both formats reduce to this).
struct LoadedFile {
  StateDict tensors;
  std::map<std::string, std::string> dtypes;
};

LoadedFile read_safetensors_file(const std::string& path) {
  SafetensorsFile file = read_safetensors(path);
  return {std::move(file.tensors), std::move(file.dtypes)};
}

LoadedFile read_bin_file(const std::string& path) {
  PytorchBinFile file = read_pytorch_bin_file(path);
  return {std::move(file.tensors), std::move(file.dtypes)};
}

using FileReader = LoadedFile (*)(const std::string&);

nlohmann::json read_index(const std::string& path) {
  constexpr std::uintmax_t kMaxIndexBytes = 100'000'000;
  std::error_code error;
  if (fs::file_size(path, error) > kMaxIndexBytes) throw Error(concat(path, ": index file is too large"));
  return parse_json(read_text_file(path), path);
}

// A shard must be a plain file name inside the model folder (no "../", no absolute paths).
bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

// index.json: {"metadata": {...}, "weight_map": {"tensor name": "shard file name", ...}}
LoadedFile read_sharded(const std::string& model_dir, const std::string& index_path, FileReader read_file,
                        std::string& source) {
  const nlohmann::json index = read_index(index_path);
  auto weight_map = index.find("weight_map");
  if (!index.is_object() || weight_map == index.end() || !weight_map->is_object())
    throw Error(concat(index_path, ": has no \"weight_map\" object"));
  std::map<std::string, std::vector<std::string>> names_by_shard;
  for (auto item = weight_map->begin(); item != weight_map->end(); ++item) {
    if (!item.value().is_string() || !is_plain_file_name(item.value().get<std::string>()))
      throw Error(concat(index_path, ": tensor '", item.key(), "' maps to something that is not a file name in the folder"));
    names_by_shard[item.value().get<std::string>()].push_back(item.key());
  }
  if (names_by_shard.empty()) throw Error(concat(index_path, ": weight_map is empty"));

  LoadedFile result;
  std::map<std::string, std::string> shard_of;  // tensor -> shard, to report duplicates
  for (const auto& [shard, names] : names_by_shard) {
    const std::string shard_path = (fs::path(model_dir) / shard).string();
    if (!fs::is_regular_file(shard_path))
      throw Error(concat(index_path, ": shard '", shard, "' (holding '", names.front(), "') is missing"));
    LoadedFile part = read_file(shard_path);
    for (const std::string& name : names)
      if (!part.tensors.count(name))
        throw Error(concat(index_path, ": tensor '", name, "' should be in shard '", shard, "', which lacks it"));
    for (auto& [name, tensor] : part.tensors) {
      auto [previous, inserted] = shard_of.emplace(name, shard);
      if (!inserted)
        throw Error(concat(index_path, ": tensor '", name, "' is in both '", previous->second, "' and '", shard, "'"));
      result.tensors[name] = std::move(tensor);
      result.dtypes[name] = part.dtypes[name];
    }
  }
  source = concat(index_path, " (", names_by_shard.size(), " shards)");
  return result;
}

// The floating dtype that holds the most elements; "F32" when there are no floating tensors.
std::string dominant_float_dtype(const LoadedFile& file) {
  std::map<std::string, int64_t> elements;
  for (const auto& [name, dtype] : file.dtypes) {
    std::optional<StoredDType> stored = stored_dtype_from_name(dtype);
    if (stored && is_floating_point(*stored)) elements[dtype] += file.tensors.at(name).numel();
  }
  std::string best = "F32";
  int64_t best_count = -1;
  for (const auto& [dtype, count] : elements)
    if (count > best_count) best = dtype, best_count = count;
  return best;
}

// transformers' own renaming of pre-2019 BERT LayerNorm parameters.
void rename_legacy_layer_norm(StateDict& tensors) {
  const std::pair<std::string, std::string> renames[] = {{"LayerNorm.gamma", "LayerNorm.weight"},
                                                         {"LayerNorm.beta", "LayerNorm.bias"}};
  std::vector<std::pair<std::string, std::string>> changes;
  for (const auto& [name, tensor] : tensors)
    for (const auto& [old_suffix, new_suffix] : renames)
      if (name.size() >= old_suffix.size() && name.compare(name.size() - old_suffix.size(), old_suffix.size(), old_suffix) == 0)
        changes.emplace_back(name, name.substr(0, name.size() - old_suffix.size()) + new_suffix);
  for (const auto& [old_name, new_name] : changes) {
    if (tensors.count(new_name)) continue;  // both present: keep the modern one, leave the old
    tensors[new_name] = tensors[old_name];
    tensors.erase(old_name);
  }
}

}  // namespace

Checkpoint load_checkpoint(const std::string& model_dir) {
  if (!fs::is_directory(model_dir)) throw Error(concat(model_dir, ": not a model folder (no such directory)"));
  auto in_dir = [&](const char* name) { return (fs::path(model_dir) / name).string(); };
  Checkpoint checkpoint;
  LoadedFile loaded;
  if (fs::exists(in_dir("model.safetensors"))) {
    checkpoint.source = in_dir("model.safetensors");
    loaded = read_safetensors_file(checkpoint.source);
  } else if (fs::exists(in_dir("model.safetensors.index.json"))) {
    loaded = read_sharded(model_dir, in_dir("model.safetensors.index.json"), read_safetensors_file, checkpoint.source);
  } else if (fs::exists(in_dir("pytorch_model.bin"))) {
    checkpoint.source = in_dir("pytorch_model.bin");
    loaded = read_bin_file(checkpoint.source);
  } else if (fs::exists(in_dir("pytorch_model.bin.index.json"))) {
    loaded = read_sharded(model_dir, in_dir("pytorch_model.bin.index.json"), read_bin_file, checkpoint.source);
  } else {
    throw Error(concat(model_dir, ": no weights found (looked for model.safetensors, model.safetensors.index.json, "
                                  "pytorch_model.bin, pytorch_model.bin.index.json)"));
  }
  checkpoint.dtype = dominant_float_dtype(loaded);
  checkpoint.tensors = std::move(loaded.tensors);
  rename_legacy_layer_norm(checkpoint.tensors);
  return checkpoint;
}

}  // namespace bertology

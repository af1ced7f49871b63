// save_pretrained: a folder HF transformers loads (config.json + model.safetensors), written to a
// temporary folder that is renamed into place, never over the folder the model came from.
#include <bertology/models/model.h>

#include <atomic>
#include <filesystem>
#include <unistd.h>

#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/models/checkpoint/interrupt_cleanup.h>
#include <bertology/models/checkpoint/safetensors.h>

namespace bertology {
namespace {

namespace fs = std::filesystem;

// Writes the two files of a model folder into `dir` (each file itself atomically).
void write_model_files(const fs::path& dir, const ModelConfig& config, const StateDict& tensors,
                       const std::string& dtype) {
  write_safetensors((dir / "model.safetensors").string(), tensors, float_dtype_for_all(tensors, dtype),
                    {{"format", "pt"}});
  write_file_atomically((dir / "config.json").string(), config.to_json());
}

}  // namespace

void PreTrainedModel::save_pretrained(const std::string& directory) {
  fs::path target = fs::path(directory).lexically_normal();
  if (target.filename().empty()) target = target.parent_path();  // "out/" -> "out"
  std::error_code ec;
  if (!source_.directory.empty() && fs::exists(target) && fs::equivalent(target, source_.directory, ec))
    throw Error(concat(directory, ": the folder this model was loaded from; refusing to write into it (choose ",
                       "another folder)"));
  if (fs::exists(target) && !fs::is_directory(target))
    throw Error(concat(directory, ": exists and is not a folder; cannot save a model there"));

  ModelConfig saved = config_;
  saved.architectures = {class_name()};
  StateDict tensors = state_dict();  // tied weights appear once, under the embedding's name
  // Pruned models load only in transformers 4.x, whose BertForMaskedLM checkpoints also carry the
  // MLM bias as cls.predictions.decoder.bias (the layout of the fixtures' model_pruned).
  if (!config_.pruned_heads.empty() && tensors.count("cls.predictions.bias"))
    tensors["cls.predictions.decoder.bias"] = tensors.at("cls.predictions.bias");
  const std::string dtype = source_.dtype.empty() ? "F32" : source_.dtype;

  // Both files are written into a temporary folder first: beside the target when it is new (the
  // whole folder is then renamed into place), inside it when it exists (each file is then renamed
  // over its old version, so a failed write leaves the old pair, never new weights with an old
  // config).
  static std::atomic<int> counter{0};
  const bool existing = fs::is_directory(target);
  const fs::path parent = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!existing) fs::create_directories(parent, ec);
  const fs::path temporary =
      existing ? target / concat(".save-", ::getpid(), "-", counter.fetch_add(1))
               : parent / concat(target.filename().string(), ".tmp-", ::getpid(), "-", counter.fetch_add(1));
  UnfinishedOutput unfinished;  // the temporary folder, removed if the program is interrupted
  unfinished.hold(temporary.string());
  try {
    fs::create_directory(temporary);
    write_model_files(temporary, saved, tensors, dtype);
    if (existing) {
      for (const char* file : {"model.safetensors", "config.json"}) fs::rename(temporary / file, target / file);
      fs::remove(temporary);
    } else {
      fs::rename(temporary, target);
    }
  } catch (const fs::filesystem_error& e) {
    fs::remove_all(temporary, ec);
    throw Error(concat(directory, ": cannot save the model there: ", e.code().message()));
  } catch (...) {
    fs::remove_all(temporary, ec);
    throw;
  }
}

}  // namespace bertology

// Loading the weights of a HuggingFace model folder, whatever form they are stored in:
// model.safetensors, a sharded safetensors index, or pytorch_model.bin (plain or sharded).
#pragma once
#include <string>

#include <bertology/models/checkpoint/state_dict.h>

namespace bertology {

struct Checkpoint {
  StateDict tensors;   // floating tensors as Float32, integer buffers as Int64
  std::string dtype;   // the stored floating dtype holding most elements ("F32", "F16", ...), kept when saving
  std::string source;  // the file(s) read, for messages
};

// Looks in model_dir for, in order: model.safetensors, model.safetensors.index.json (+ shards),
// pytorch_model.bin, pytorch_model.bin.index.json (+ shards). Old BERT checkpoints' LayerNorm
// names "*.LayerNorm.gamma" / "*.LayerNorm.beta" are renamed to ".weight" / ".bias", as
// transformers does.
Checkpoint load_checkpoint(const std::string& model_dir);

}  // namespace bertology

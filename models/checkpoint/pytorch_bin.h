// Reading pytorch_model.bin: PyTorch's zip format (torch >= 1.6) and the legacy pickle format,
// both through a restricted unpickler that only rebuilds tensors and never runs code.
#pragma once
#include <map>
#include <string>

#include <bertology/models/checkpoint/state_dict.h>

namespace bertology {

struct PytorchBinFile {
  StateDict tensors;                          // floating -> Float32, integer -> Int64, bool -> Bool
  std::map<std::string, std::string> dtypes;  // stored dtype per tensor: "F32", "F16", "I64", ...
};

PytorchBinFile read_pytorch_bin_file(const std::string& path);

// The tensors only.
StateDict read_pytorch_bin(const std::string& path);

}  // namespace bertology

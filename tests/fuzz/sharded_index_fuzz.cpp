// libFuzzer target: arbitrary bytes as a sharded checkpoint's model.safetensors.index.json, loaded
// with load_checkpoint from a folder that also holds two shards: a.safetensors (always valid) and
// b.safetensors (the input's second part, or a valid shard when that part is empty).
// Input layout: index JSON, then (after the %%%% line) the bytes of b.safetensors.
// bertology::Error is the expected way to reject; anything else crashes.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <bertology/models/checkpoint/checkpoint.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/tensor.h>

#include "fuzz_input.h"

namespace {

namespace fs = std::filesystem;

// The model folder, made once per process and removed when it exits normally.
struct ModelFolder {
  fs::path path;
  std::string valid_b_shard;
  ModelFolder() {
    const char* tmp = std::getenv("TMPDIR");
    path = fs::path((tmp != nullptr && *tmp != '\0') ? tmp : "/tmp") /
           ("bertology_fuzz_" + std::to_string(getpid()) + "_sharded");
    fs::create_directories(path);
    bertology::StateDict a, b;
    a["w"] = bertology::Tensor::full({2, 3}, 1.5);
    a["v"] = bertology::Tensor::arange(3);  // an Int64 buffer
    b["u"] = bertology::Tensor::full({4}, -2.0);
    bertology::write_safetensors((path / "a.safetensors").string(), a);
    bertology::write_safetensors((path / "b.safetensors").string(), b);
    valid_b_shard = fuzz::read_file((path / "b.safetensors").string());
  }
  ~ModelFolder() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ModelFolder folder;
  const std::vector<std::string_view> parts = fuzz::split_parts(data, size, 2);
  fuzz::write_file((folder.path / "model.safetensors.index.json").string(), parts[0]);
  fuzz::write_file((folder.path / "b.safetensors").string(),
                   parts[1].empty() ? std::string_view(folder.valid_b_shard) : parts[1]);
  try {
    bertology::Checkpoint checkpoint = bertology::load_checkpoint(folder.path.string());
    (void)checkpoint;
  } catch (const bertology::Error&) {
  }
  return 0;
}

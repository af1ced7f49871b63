// libFuzzer target: arbitrary bytes as a pytorch_model.bin (zip or legacy pickle), read with
// read_pytorch_bin_file. bertology::Error is the expected way to reject; anything else crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <bertology/models/checkpoint/pytorch_bin.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_temp_file(
      "pytorch_model.bin", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    bertology::PytorchBinFile file = bertology::read_pytorch_bin_file(path);
    (void)file;
  } catch (const bertology::Error&) {
  }
  return 0;
}

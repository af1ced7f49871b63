// libFuzzer target: arbitrary bytes as a .safetensors file, read with read_safetensors
// (both dtype modes). bertology::Error is the expected way to reject; anything else crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_temp_file(
      "model.safetensors", std::string_view(reinterpret_cast<const char*>(data), size));
  for (const bool to_float32 : {true, false}) {
    try {
      bertology::SafetensorsFile file = bertology::read_safetensors(path, to_float32);
      (void)file;
    } catch (const bertology::Error&) {
    }
  }
  return 0;
}

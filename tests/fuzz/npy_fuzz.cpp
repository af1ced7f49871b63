// libFuzzer target: arbitrary bytes as a .npy file, read with load_npy.
// bertology::Error is the expected way to reject; anything else crashes.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <bertology/bertology/npy.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_temp_file(
      "array.npy", std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    bertology::Tensor tensor = bertology::load_npy(path);
    (void)tensor;
  } catch (const bertology::Error&) {
  }
  return 0;
}

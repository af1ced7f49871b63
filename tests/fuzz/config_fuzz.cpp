// libFuzzer target: arbitrary bytes as a model's config.json, parsed with parse_config.
// bertology::Error is the expected way to reject; anything else crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include <bertology/models/config.h>
#include <bertology/tensor/error.h>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  try {
    bertology::ModelConfig config = bertology::parse_config(text);
    (void)config;
  } catch (const bertology::Error&) {
  }
  return 0;
}

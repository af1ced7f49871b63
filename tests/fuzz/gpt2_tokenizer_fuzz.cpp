// libFuzzer target: the BPE tokenizers. Byte 0 picks GPT-2 (even) or OpenAI GPT (odd); the rest
// is vocab.json, merges.txt and a text split at fuzz::kSeparator; the text is encoded, decoded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <bertology/models/tokenizer/gpt2_tokenizer.h>
#include <bertology/models/tokenizer/openai_gpt_tokenizer.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const bool openai_gpt = (data[0] & 1) != 0;
  const std::vector<std::string_view> parts = fuzz::split_parts(data + 1, size - 1, 3);
  const std::string vocab_path = fuzz::write_temp_file("vocab.json", parts[0]);
  const std::string merges_path = fuzz::write_temp_file("merges.txt", parts[1]);
  try {
    std::unique_ptr<bertology::Tokenizer> tokenizer;
    if (openai_gpt) {
      tokenizer = bertology::OpenAIGptTokenizer::from_files(vocab_path, merges_path);
    } else {
      tokenizer = bertology::Gpt2Tokenizer::from_files(vocab_path, merges_path);
    }
    const bertology::Encoding encoding = tokenizer->encode(parts[2]);
    (void)tokenizer->decode(encoding.ids);
    (void)tokenizer->decode(encoding.ids, /*skip_special_tokens=*/true);
  } catch (const bertology::Error&) {
  }
  return 0;
}

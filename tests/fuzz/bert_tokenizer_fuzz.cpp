// libFuzzer target: BERT's tokenizer. Byte 0 holds the normalisation options, the rest is
// vocab.txt, text a and text b split at fuzz::kSeparator; each text is encoded and decoded.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <bertology/models/tokenizer/bert_tokenizer.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  bertology::BasicTokenizerOptions options;
  options.clean_text = (data[0] & 1) != 0;
  options.handle_chinese_chars = (data[0] & 2) != 0;
  options.strip_accents = (data[0] & 4) != 0;
  options.lowercase = (data[0] & 8) != 0;
  const size_t max_length = data[0] >> 4;  // 0: no truncation
  const std::vector<std::string_view> parts = fuzz::split_parts(data + 1, size - 1, 3);
  const std::string path = fuzz::write_temp_file("vocab.txt", parts[0]);
  try {
    const std::unique_ptr<bertology::BertTokenizer> tokenizer =
        bertology::BertTokenizer::from_file(path, options);
    bertology::EncodeOptions encode_options;
    encode_options.max_length = max_length;
    encode_options.padding =
        max_length > 0 ? bertology::Padding::kMaxLength : bertology::Padding::kNone;
    const bertology::Encoding one = tokenizer->encode(parts[1], encode_options);
    const bertology::Encoding pair = tokenizer->encode_pair(parts[1], parts[2], encode_options);
    (void)tokenizer->tokenize(parts[2]);
    (void)tokenizer->decode(one.ids);
    (void)tokenizer->decode(pair.ids, /*skip_special_tokens=*/true);
  } catch (const bertology::Error&) {
  }
  return 0;
}

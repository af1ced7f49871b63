// libFuzzer target: a GLUE TSV file read with read_glue_file. Byte 0 picks the task, byte 1
// the split, the rest is the file. bertology::Error is the expected rejection; else it crashes.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <bertology/bertology/glue.h>
#include <bertology/tensor/error.h>

#include "fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  static const std::vector<std::string> names = bertology::glue_task_names();
  const bertology::GlueTask& task = bertology::glue_task(names[data[0] % names.size()]);
  const bertology::GlueSplit splits[] = {bertology::GlueSplit::Train, bertology::GlueSplit::Dev,
                                         bertology::GlueSplit::Test};
  const bertology::GlueSplit split = splits[data[1] % 3];
  const std::string path = fuzz::write_temp_file(
      "data.tsv", std::string_view(reinterpret_cast<const char*>(data) + 2, size - 2));
  try {
    std::vector<bertology::GlueExample> examples = bertology::read_glue_file(task, path, split);
    (void)examples;
  } catch (const bertology::Error&) {
  }
  return 0;
}

// `bertology init`: a randomly initialised model (HF's init, normal(0, initializer_range)) saved
// in HF layout, for benchmarks at full size without downloads.
#include <iostream>

#include <bertology/bertology/output_dir.h>
#include <bertology/models/load_model.h>

#include "args.h"
#include "commands.h"

namespace bertology::cli {

int run_init(const std::vector<std::string>& argv) {
  const Args args(argv, {"help"}, {"config", "out", "seed", "architecture", "dtype"});
  if (args.flag("help")) {
    std::cout << "usage: bertology init --config CONFIG.json --out DIR [--seed N] [--architecture NAME]\n"
                 "                      [--dtype F32|F16|BF16|F64]\n"
                 "\n"
                 "Builds the model config.json names (or NAME) with HF's random initialisation and\n"
                 "writes DIR/config.json and DIR/model.safetensors. --seed: the random draws (0);\n"
                 "--dtype: the saved weights' type (F32).\n";
    return 0;
  }
  refuse_to_replace_a_model(args.required("out"), "--out");
  const std::string dtype = args.get("dtype", "F32");
  if (dtype != "F32" && dtype != "F16" && dtype != "BF16" && dtype != "F64")
    throw Error(concat("--dtype must be F32, F16, BF16 or F64, got '", dtype, "'"));
  const ModelConfig config = load_config(args.required("config"));
  const long long seed = args.get_int("seed", 0);
  if (seed < 0) throw Error("--seed must not be negative");
  auto model = init_model(config, static_cast<uint64_t>(seed), args.get("architecture"));
  model->source().dtype = dtype;
  model->save_pretrained(args.required("out"));
  return 0;
}

}  // namespace bertology::cli

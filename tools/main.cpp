// Entry point of the `bertology` tool: picks the subcommand and turns any exception into one
// line on stderr and a non-zero exit code.
#include <cstring>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Subcommand kSubcommands[] = {
    {"example", "train a tiny model with the library and print its loss (the default job)",
     bertology::cli::run_example},
    {"run", "entropy, head importance, iterative masking and pruning on a task (run_bertology.py)",
     bertology::cli::run_run},
    {"tokenize", "tokenize stdin lines with a model folder's tokenizer, JSON lines out",
     bertology::cli::run_tokenize},
    {"dump", "run a model folder on a batch, write hidden states, attentions, logits, loss, gradients",
     bertology::cli::run_dump},
    {"init", "write a randomly initialised model (HF layout) for a config.json", bertology::cli::run_init},
    {"prune", "remove attention heads from a model folder and save the pruned model", bertology::cli::run_prune},
};

void print_usage(std::ostream& out) {
  out << "usage: bertology <command> [options]\n\ncommands:\n";
  for (const auto& c : kSubcommands) out << "  " << c.name << "\t" << c.summary << "\n";
  out << "\nWith no command, runs `example`.\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string name = args.empty() ? "example" : args.front();
  if (!args.empty()) args.erase(args.begin());
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const std::exception& e) {
      std::cerr << "bertology " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "bertology: unknown command '" << name << "' (try bertology --help)\n";
  return 2;
}

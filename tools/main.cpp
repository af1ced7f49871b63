// Entry point of the `bertology` tool: picks the subcommand and turns any exception into one
// line on stderr and a non-zero exit code.
#include <cstring>
#include <exception>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include <bertology/models/checkpoint/interrupt_cleanup.h>

#include "commands.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(const std::vector<std::string>&);
};

const Subcommand kSubcommands[] = {
    {"demo", "the whole BERTology run on the shipped demo model and data, with a report (the default)",
     bertology::cli::run_demo},
    {"example", "fit a tiny network with the autograd engine and AdamW, printing the loss",
     bertology::cli::run_example},
    {"run", "entropy, head importance, iterative masking and pruning on a task (run_bertology.py)",
     bertology::cli::run_run},
    {"tokenize", "tokenize stdin lines with a model folder's tokenizer, JSON lines out",
     bertology::cli::run_tokenize},
    {"dump", "run a model folder on a batch, write hidden states, attentions, logits, loss, gradients",
     bertology::cli::run_dump},
    {"init", "write a randomly initialised model (HF layout) for a config.json", bertology::cli::run_init},
    {"prune", "remove attention heads from a model folder and save the pruned model", bertology::cli::run_prune},
    {"attention", "every head's attention over the tokens of a text, as a self-contained HTML page",
     bertology::cli::run_attention},
    {"train", "train or fine-tune a model on a GLUE task or plain text; the best dev epoch is saved",
     bertology::cli::run_train},
};

void print_usage(std::ostream& out) {
  out << "usage: bertology <command> [options]\n\ncommands:\n";
  for (const auto& c : kSubcommands) out << "  " << c.name << "\t" << c.summary << "\n";
  out << "\nWith no command, runs `demo`. `bertology <command> --help` lists a command's options.\n";
}

// std::filesystem's wording, "filesystem error: cannot remove: Not a directory [/x/y]", in the
// tool's: "/x/y: cannot remove: Not a directory".
std::string describe(const std::filesystem::filesystem_error& e) {
  std::string operation = e.what();
  const std::string prefix = "filesystem error: ";
  if (operation.rfind(prefix, 0) == 0) operation.erase(0, prefix.size());
  const std::string reason = e.code().message();
  if (size_t at = operation.find(": " + reason); at != std::string::npos) operation.erase(at);
  std::string where = e.path1().string();
  if (!e.path2().empty()) where += " -> " + e.path2().string();
  return (where.empty() ? "" : where + ": ") + operation + ": " + reason;
}

}  // namespace

int main(int argc, char** argv) {
  bertology::remove_unfinished_outputs_on_interrupt();  // Ctrl-C leaves no half-written output behind
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string name = args.empty() ? "demo" : args.front();
  if (!args.empty()) args.erase(args.begin());
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return 0;
  }
  for (const auto& c : kSubcommands) {
    if (name != c.name) continue;
    try {
      return c.run(args);
    } catch (const std::filesystem::filesystem_error& e) {
      std::cerr << "bertology " << name << ": error: " << describe(e) << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "bertology " << name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "bertology: unknown command '" << name << "' (try bertology --help)\n";
  return 2;
}

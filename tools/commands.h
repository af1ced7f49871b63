// The subcommands of the `bertology` tool, one file each; main.cpp dispatches by name.
#pragma once
#include <string>
#include <vector>

namespace bertology::cli {

// Each returns the process exit code; errors are thrown as exceptions and reported by main.
int run_example(const std::vector<std::string>& args);   // example.cpp
int run_tokenize(const std::vector<std::string>& args);  // tokenize.cpp

}  // namespace bertology::cli

// The subcommands of the `bertology` tool, one file each; main.cpp dispatches by name.
#pragma once
#include <string>
#include <vector>

namespace bertology::cli {

// Each returns the process exit code; errors are thrown as exceptions and reported by main.
int run_example(const std::vector<std::string>& args);   // example.cpp
int run_tokenize(const std::vector<std::string>& args);  // tokenize.cpp
int run_run(const std::vector<std::string>& args);       // run.cpp
int run_dump(const std::vector<std::string>& args);      // dump.cpp
int run_init(const std::vector<std::string>& args);      // init.cpp
int run_prune(const std::vector<std::string>& args);     // prune.cpp
int run_attention(const std::vector<std::string>& args);  // attention.cpp
int run_train(const std::vector<std::string>& args);     // train.cpp
int run_demo(const std::vector<std::string>& args);      // demo.cpp

}  // namespace bertology::cli

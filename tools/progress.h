// A progress bar on stderr for passes over the data: label, bar, count, rate and ETA, redrawn
// in place; silent when stderr is not a terminal or when disabled (--quiet).
#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include <bertology/bertology/run.h>

namespace bertology::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, bool enabled);
  void update(int64_t done, int64_t total);  // finishes the line when done == total

  // Whether bars should be drawn: stderr is a terminal and quiet is off.
  static bool wanted(bool quiet);

 private:
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// The observer the subcommands give the library: log lines to stdout (none when quiet), a
// progress bar per pass when wanted(quiet), colour when stdout is a terminal.
RunObserver console_observer(bool quiet);

}  // namespace bertology::cli

// Unfinished outputs removed when the program is interrupted (Ctrl-C, kill): a run's
// ".NAME.partial-PID" folder, a model's temporary folder, a file's ".tmp-" sibling.
//
// Writers register what they create for as long as it is unfinished (UnfinishedOutput). Nothing
// happens on a signal unless the program called remove_unfinished_outputs_on_interrupt(), as the
// `bertology` tool does first thing: then SIGINT, SIGTERM and SIGHUP remove every registered path
// and end the process with status 128 + the signal's number, as a shell reports a killed command.
// A signal the program was started with ignored (nohup) stays ignored.
// The signal handler only writes a byte to a pipe; a thread waiting on that pipe does the removal,
// outside the handler, where any call is allowed. SIGKILL cannot be caught: what it leaves, the
// next run for the same output removes (see bertology/output_dir.h).
#pragma once
#include <string>

namespace bertology {

// Installs the handlers and starts the waiting thread; later calls do nothing.
void remove_unfinished_outputs_on_interrupt();

// Registers a path (a file or a folder) as unfinished from hold() until release() or destruction.
// Hold it before creating it, so that no moment exists when it is there but unregistered.
class UnfinishedOutput {
 public:
  UnfinishedOutput() = default;
  ~UnfinishedOutput() { release(); }
  UnfinishedOutput(const UnfinishedOutput&) = delete;
  UnfinishedOutput& operator=(const UnfinishedOutput&) = delete;

  void hold(const std::string& path);  // releases the path held before, if any
  void release();                      // finished: no longer removed on an interrupt

 private:
  std::string path_;
};

}  // namespace bertology

// Where the command-line workflows write, and what they refuse to write over.
//
// StagedOutputDir: an output folder that appears only complete. Files are written into a hidden
// sibling ".NAME.partial-PID" and the whole folder is renamed into place by commit(). A run that
// fails removes its scratch folder, and so does an interrupted `bertology` (Ctrl-C, SIGTERM: see
// models/checkpoint/interrupt_cleanup.h); one killed outright (SIGKILL) leaves it, and the next run for
// the same output removes scratch folders whose process is gone.
//
// The checks below run before any work starts, so a refused command has changed nothing.
#pragma once
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <bertology/models/checkpoint/interrupt_cleanup.h>

namespace bertology {

// Throws when the folder `output` would destroy an input if replaced: it is, or contains, one of
// `inputs` (folders or files; empty strings are skipped), the current directory, the filesystem
// root or $HOME; or when it lies inside inputs[0], the model folder (which gets no new files).
// `option` names the flag in the message ("--output-dir").
void refuse_output_over_inputs(const std::filesystem::path& output, const std::vector<std::string>& inputs,
                               const std::string& option);

// Throws when the file `output` is a folder, lies inside the folder `model_dir`, or is one of
// `input_files`: a single output file never lands over a model's files or an input.
void refuse_output_file_over_inputs(const std::filesystem::path& output, const std::string& model_dir,
                                    const std::vector<std::string>& input_files, const std::string& option);

// Throws when the file `output` exists and is not an earlier output of the same command, as
// `is_earlier_output` judges from its first bytes (up to 4 KiB): a command replaces its own
// earlier page or dump, never some other file of the user's. `what` names the kind in the message
// ("an attention page").
void refuse_to_replace_another_file(const std::filesystem::path& output,
                                    const std::function<bool(const std::string& head)>& is_earlier_output,
                                    const std::string& what, const std::string& option);

// Throws when the folder `output` already holds a model (config.json, weights): `init` and
// `prune` write a new model folder and never replace one.
void refuse_to_replace_a_model(const std::filesystem::path& output, const std::string& option);

class StagedOutputDir {
 public:
  // `output` must not exist unless `overwrite`, and then it must be empty or an earlier output
  // (it holds results.json or train_results.json). refuse_output_over_inputs(output, inputs)
  // must pass: inputs[0] is the input model folder. Creates the scratch folder.
  StagedOutputDir(const std::string& output, bool overwrite, const std::vector<std::string>& inputs);
  ~StagedOutputDir();
  StagedOutputDir(const StagedOutputDir&) = delete;
  StagedOutputDir& operator=(const StagedOutputDir&) = delete;

  const std::filesystem::path& scratch() const { return scratch_; }  // write here
  const std::filesystem::path& output() const { return output_; }    // absolute, normalised
  // Puts the scratch folder in place of `output`. An earlier output is first renamed aside
  // (".NAME.old-PID") and removed only once the new one is in place.
  void commit();

 private:
  std::filesystem::path output_, scratch_;
  UnfinishedOutput unfinished_;  // the scratch folder, removed if the program is interrupted
  bool committed_ = false;
};

}  // namespace bertology

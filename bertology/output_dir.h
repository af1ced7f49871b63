// An output folder that appears only complete: files are written into a hidden sibling
// ".NAME.partial-PID" and the whole folder is renamed into place by commit(). A run that fails
// removes its scratch folder; one killed outright (SIGKILL) leaves it, and the next run for the
// same output removes scratch folders whose process is gone.
#pragma once
#include <filesystem>
#include <string>

namespace bertology {

class StagedOutputDir {
 public:
  // Checks before any work starts: `output` must not exist unless `overwrite`, and must not be
  // the folder `input_model_dir` (the input model is never overwritten). Creates the scratch.
  StagedOutputDir(const std::string& output, bool overwrite, const std::string& input_model_dir);
  ~StagedOutputDir();
  StagedOutputDir(const StagedOutputDir&) = delete;
  StagedOutputDir& operator=(const StagedOutputDir&) = delete;

  const std::filesystem::path& scratch() const { return scratch_; }  // write here
  const std::filesystem::path& output() const { return output_; }    // absolute, normalised
  void commit();  // replaces `output` (when it exists) by the scratch folder

 private:
  std::filesystem::path output_, scratch_;
  bool committed_ = false;
};

}  // namespace bertology

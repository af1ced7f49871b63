#include <bertology/bertology/output_dir.h>
#include <bertology/tensor/error.h>

#include <cerrno>
#include <csignal>
#include <unistd.h>

namespace fs = std::filesystem;

namespace bertology {
namespace {

void remove_stale_scratch_dirs(const fs::path& output) {
  const std::string prefix = concat(".", output.filename().string(), ".partial-");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(output.parent_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.size() > 9 || pid_text.find_first_not_of("0123456789") != std::string::npos)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (::kill(pid, 0) != 0 && errno == ESRCH) fs::remove_all(entry.path(), ec);
  }
}

}  // namespace

StagedOutputDir::StagedOutputDir(const std::string& output, bool overwrite, const std::string& input_model_dir) {
  if (output.empty()) throw Error("--output-dir is required");
  output_ = fs::absolute(output).lexically_normal();
  if (output_.filename().empty()) output_ = output_.parent_path();  // "out/" names the folder "out"
  if (fs::exists(output_) && !overwrite)
    throw Error(concat(output, ": output dir exists (pass --overwrite-output-dir to replace it)"));
  std::error_code ec;
  if (fs::exists(output_) && !input_model_dir.empty() && fs::equivalent(output_, fs::absolute(input_model_dir), ec))
    throw Error(concat(output, ": the output dir is the model dir; refusing to overwrite the input model"));
  remove_stale_scratch_dirs(output_);
  scratch_ = output_.parent_path() / concat(".", output_.filename().string(), ".partial-", ::getpid());
  fs::remove_all(scratch_);
  fs::create_directories(scratch_);
}

StagedOutputDir::~StagedOutputDir() {
  std::error_code ec;
  if (!committed_) fs::remove_all(scratch_, ec);
}

void StagedOutputDir::commit() {
  if (fs::exists(output_)) fs::remove_all(output_);
  fs::rename(scratch_, output_);
  committed_ = true;
}

}  // namespace bertology

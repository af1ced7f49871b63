#include <bertology/bertology/output_dir.h>
#include <bertology/tensor/error.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace bertology {
namespace {

// The path with symlinks and "..", "." resolved as far as it exists.
fs::path resolved(const fs::path& p) { return fs::weakly_canonical(fs::absolute(p)); }

// Whether `inner` is `outer` or lies somewhere below it (both resolved).
bool is_or_is_inside(const fs::path& inner, const fs::path& outer) {
  for (fs::path p = inner; !p.empty(); p = p.parent_path()) {
    if (p == outer) return true;
    if (p == p.parent_path()) break;
  }
  return false;
}

// Removes what earlier runs for `output` left behind when killed: ".NAME.partial-PID" scratch
// folders and ".NAME.old-PID" replaced outputs whose process PID is gone.
void remove_stale_dirs(const fs::path& output) {
  std::error_code ec;
  for (const char* kind : {".partial-", ".old-"}) {
    const std::string prefix = concat(".", output.filename().string(), kind);
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
}

bool looks_like_an_earlier_output(const fs::path& dir) {
  std::error_code ec;
  if (fs::is_empty(dir, ec)) return true;
  return fs::exists(dir / "results.json") || fs::exists(dir / "train_results.json");
}

// Throws when `output` lies inside the folder `folder` (a model's folder gets no new files).
void refuse_output_inside(const fs::path& output, const std::string& folder, const std::string& option) {
  if (!folder.empty() && is_or_is_inside(resolved(output), resolved(folder)))
    throw Error(concat(output.string(), ": ", option, " is inside the model folder '", folder,
                       "'; refusing to write there"));
}

}  // namespace

void refuse_output_over_inputs(const fs::path& output, const std::vector<std::string>& inputs,
                               const std::string& option) {
  const fs::path out = resolved(output);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].empty()) continue;
    const fs::path in = resolved(inputs[i]);
    if (in == out && i == 0)
      throw Error(concat(output.string(), ": the output dir is the model dir; refusing to overwrite the input model"));
    if (is_or_is_inside(in, out))
      throw Error(concat(output.string(), ": ", option, " is or contains the input '", inputs[i],
                         "'; refusing to replace it"));
  }
  if (!inputs.empty()) refuse_output_inside(output, inputs[0], option);
  if (out == out.root_path())
    throw Error(concat(output.string(), ": ", option, " is the filesystem root; refusing to replace it"));
  const char* home = std::getenv("HOME");
  if (home && *home && out == resolved(home))
    throw Error(concat(output.string(), ": ", option, " is the home folder; refusing to replace it"));
  if (is_or_is_inside(resolved(fs::current_path()), out))
    throw Error(concat(output.string(), ": ", option, " is or contains the current directory; refusing to replace it"));
}

void refuse_output_file_over_inputs(const fs::path& output, const std::string& model_dir,
                                    const std::vector<std::string>& input_files, const std::string& option) {
  if (fs::is_directory(output))
    throw Error(concat(output.string(), ": ", option, " is a directory, expected a file"));
  refuse_output_inside(output, model_dir, option);
  const fs::path out = resolved(output);
  for (const std::string& input : input_files)
    if (!input.empty() && resolved(input) == out)
      throw Error(concat(output.string(), ": ", option, " is the input file; refusing to overwrite it"));
}

void refuse_to_replace_another_file(const fs::path& output,
                                    const std::function<bool(const std::string& head)>& is_earlier_output,
                                    const std::string& what, const std::string& option) {
  std::error_code ec;
  if (!fs::exists(output, ec)) return;
  std::ifstream in(output, std::ios::binary);
  std::string head(4096, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  if (!in.bad() && (head.empty() || is_earlier_output(head))) return;  // an empty file holds nothing to lose
  throw Error(concat(output.string(), ": ", option, " exists and is not ", what,
                     "; refusing to replace it (choose another file or remove it first)"));
}

void refuse_to_replace_a_model(const fs::path& output, const std::string& option) {
  if (!fs::is_directory(output)) return;
  for (const char* file : {"config.json", "model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                           "pytorch_model.bin.index.json"})
    if (fs::exists(output / file))
      throw Error(concat(output.string(), ": ", option, " already holds a model (", file,
                         "); refusing to overwrite it: choose a new folder or remove it first"));
}

StagedOutputDir::StagedOutputDir(const std::string& output, bool overwrite, const std::vector<std::string>& inputs) {
  if (output.empty()) throw Error("--output-dir is required");
  output_ = fs::absolute(output).lexically_normal();
  if (output_.filename().empty()) output_ = output_.parent_path();  // "out/" names the folder "out"
  refuse_output_over_inputs(output_, inputs, "--output-dir");
  if (fs::exists(output_)) {
    if (!fs::is_directory(output_)) throw Error(concat(output, ": output dir exists and is not a folder"));
    if (!overwrite) throw Error(concat(output, ": output dir exists (pass --overwrite-output-dir to replace it)"));
    if (!looks_like_an_earlier_output(output_))
      throw Error(concat(output, ": output dir is not empty and holds no results.json or train_results.json, so it ",
                         "is not an earlier output; refusing to replace it"));
  }
  remove_stale_dirs(output_);
  scratch_ = output_.parent_path() / concat(".", output_.filename().string(), ".partial-", ::getpid());
  unfinished_.hold(scratch_.string());
  std::error_code ec;
  fs::remove_all(scratch_, ec);  // left by a killed run whose PID this process now has
  if (!ec) fs::create_directories(scratch_, ec);
  if (ec) throw Error(concat(output, ": cannot create the output dir there: ", ec.message()));
}

StagedOutputDir::~StagedOutputDir() {
  std::error_code ec;
  if (!committed_) fs::remove_all(scratch_, ec);
}

void StagedOutputDir::commit() {
  std::error_code ec;
  if (fs::exists(output_)) {
    const fs::path old = output_.parent_path() / concat(".", output_.filename().string(), ".old-", ::getpid());
    fs::remove_all(old, ec);
    fs::rename(output_, old, ec);
    if (ec) throw Error(concat(output_.string(), ": cannot move the earlier output aside: ", ec.message()));
    fs::rename(scratch_, output_, ec);
    if (ec) {
      std::error_code ignored;
      fs::rename(old, output_, ignored);  // put the earlier output back
      throw Error(concat(output_.string(), ": cannot move the new output into place: ", ec.message()));
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(scratch_, output_, ec);
    if (ec) throw Error(concat(output_.string(), ": cannot move the new output into place: ", ec.message()));
  }
  committed_ = true;
  unfinished_.release();
}

}  // namespace bertology

// Helpers shared by the libFuzzer targets: put fuzz bytes in a temporary file (the parsers read
// paths), and split one input into several parts at a visible separator line.
#pragma once
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

// The line that separates the parts of a multi-part input (vocab, merges, text, ...).
inline constexpr std::string_view kSeparator = "\n%%%%\n";

// The temporary files written so far; deleted when the process exits normally (libFuzzer
// exits normally after -max_total_time or -runs).
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const std::string& path : paths) std::remove(path.c_str());
  }
};

inline TempFiles& temp_files() {
  static TempFiles files;
  return files;
}

// Writes `bytes` to `path` (replacing it); aborts if it cannot, since that is not the parser's
// fault and fuzzing on would test nothing.
inline void write_file(const std::string& path, std::string_view bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    std::perror(path.c_str());
    std::abort();
  }
}

// The whole of a file the target itself wrote.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A file under $TMPDIR (or /tmp) unique to this process and `name`, rewritten on each call and
// removed when the process exits normally. Returns its path.
inline std::string write_temp_file(const std::string& name, std::string_view bytes) {
  const char* tmp = std::getenv("TMPDIR");
  const std::string dir = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  const std::string path = dir + "/bertology_fuzz_" + std::to_string(getpid()) + "_" + name;
  std::vector<std::string>& paths = temp_files().paths;
  if (std::find(paths.begin(), paths.end(), path) == paths.end()) paths.push_back(path);
  write_file(path, bytes);
  return path;
}

// Splits data at each kSeparator into exactly `count` parts; missing parts are empty and the
// last part keeps any further separators.
inline std::vector<std::string_view> split_parts(const uint8_t* data, size_t size, size_t count) {
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> parts;
  while (parts.size() + 1 < count) {
    const size_t at = rest.find(kSeparator);
    if (at == std::string_view::npos) break;
    parts.push_back(rest.substr(0, at));
    rest.remove_prefix(at + kSeparator.size());
  }
  parts.push_back(rest);
  parts.resize(count);
  return parts;
}

}  // namespace fuzz

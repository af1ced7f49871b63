#include <bertology/models/text_file.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>

#include <bertology/tensor/error.h>

namespace bertology {

std::string read_text_file(const std::string& path) {
  // A folder, a device (/dev/zero never ends) or a pipe is refused before reading.
  struct stat info {};
  if (::stat(path.c_str(), &info) == 0) {
    if (S_ISDIR(info.st_mode)) throw Error(concat(path, ": is a folder, expected a file"));
    if (!S_ISREG(info.st_mode)) throw Error(concat(path, ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(concat(path, ": cannot open: ", std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw Error(concat(path, ": cannot read"));
  return text.str();
}

nlohmann::json parse_json(const std::string& text, const std::string& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw Error(concat(where, ": not valid JSON (error at byte ", e.byte, ")"));
  } catch (const nlohmann::json::exception&) {  // out_of_range for 1e999
    throw Error(concat(where, ": not valid JSON (a number is out of range)"));
  }
}

}  // namespace bertology

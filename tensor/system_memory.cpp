#include <bertology/tensor/system_memory.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <bertology/tensor/error.h>

namespace bertology {

std::optional<uint64_t> available_memory_bytes() {
  std::ifstream meminfo("/proc/meminfo");
  std::string line;
  while (std::getline(meminfo, line)) {
    std::istringstream fields(line);
    std::string key;
    uint64_t kilobytes = 0;
    if (fields >> key >> kilobytes && key == "MemAvailable:") return kilobytes * 1024;
  }
  return std::nullopt;
}

std::string format_bytes(double bytes) {
  if (bytes < 1000) return concat(static_cast<uint64_t>(bytes), " bytes");
  const char* units[] = {"kB", "MB", "GB", "TB", "PB", "EB"};
  int unit = 0;
  bytes /= 1000;
  while (bytes >= 1000 && unit < 5) {
    bytes /= 1000;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, "%.1f %s", bytes, units[unit]);
  return text;
}

void require_memory(double bytes, const std::string& what, const std::string& where) {
  const std::optional<uint64_t> available = available_memory_bytes();
  if (available && bytes > static_cast<double>(*available))
    throw Error(concat(where, ": needs ", format_bytes(bytes), " of memory for ", what, "; only ",
                       format_bytes(static_cast<double>(*available)), " is available"));
}

void require_memory_for_file(const std::string& path, double bytes_per_file_byte, const std::string& what) {
  std::error_code size_error;
  const auto file_size = std::filesystem::file_size(path, size_error);
  if (!size_error) require_memory(bytes_per_file_byte * static_cast<double>(file_size), what, path);
}

}  // namespace bertology

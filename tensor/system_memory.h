// How much memory this machine can still give us, so that a model, checkpoint or dataset too
// large for it fails at once with the size it needs, not minutes later in the kernel's OOM killer.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

namespace bertology {

// MemAvailable from /proc/meminfo (free memory plus reclaimable caches), in bytes; nullopt
// where that is unknown (not Linux), in which case nothing is refused.
std::optional<uint64_t> available_memory_bytes();

// "512 bytes", "3.4 MB", "16.0 GB", "8.8 TB" (powers of 1000, one decimal).
std::string format_bytes(double bytes);

// Throws Error("WHERE: needs SIZE of memory for WHAT; only SIZE is available") when `bytes`
// exceeds the available memory. `bytes` is a double: estimates of absurd sizes must not wrap.
void require_memory(double bytes, const std::string& what, const std::string& where);

// require_memory for reading the file at `path` whole, when that takes `bytes_per_file_byte`
// times its size (the text and what is built from it). Nothing is checked when the size
// cannot be read: opening the file will then fail with its own message.
void require_memory_for_file(const std::string& path, double bytes_per_file_byte, const std::string& what);

}  // namespace bertology

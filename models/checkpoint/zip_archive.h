// A reader for the uncompressed ("stored") zip archives that torch.save writes: it parses the
// central directory (zip64 included) and checks every entry lies inside the file.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace bertology {

struct ZipEntry {
  std::string name;
  uint64_t data_offset = 0;  // where the entry's bytes start in the file
  uint64_t size = 0;
};

class ZipArchive {
 public:
  // Parses the archive held in file[0, file_size); throws Error naming `path` for anything
  // malformed, compressed, encrypted, or pointing outside the file.
  ZipArchive(const uint8_t* file, uint64_t file_size, const std::string& path);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(const std::string& name) const;  // null when absent
  const uint8_t* data(const ZipEntry& entry) const { return file_ + entry.data_offset; }

 private:
  const uint8_t* file_;
  std::vector<ZipEntry> entries_;
  std::unordered_map<std::string, size_t> index_by_name_;
};

// Whether the file starts like a zip archive ("PK\3\4").
bool looks_like_zip(const uint8_t* file, uint64_t file_size);

}  // namespace bertology

// A whole file mapped into memory, shared by the tensors that alias it (zero-copy loading).
// Pages are private copy-on-write: writing to a loaded tensor never changes the file.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

namespace bertology {

class MappedFile {
 public:
  // Maps `path` (throws Error "<path>: cannot open: <reason>" or "<path>: not a regular file").
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() const { return data_; }  // copy-on-write pages
  uint64_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, uint8_t* data, uint64_t size)
      : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  uint8_t* data_ = nullptr;  // null for an empty file
  uint64_t size_ = 0;
};

}  // namespace bertology

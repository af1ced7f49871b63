// Writing a file atomically: the bytes go to "<path>.tmp-XXXXXX" beside it, which is renamed
// over <path> only when complete, so readers see the old file or the new one, never a mix.
#pragma once
#include <cstddef>
#include <string>

#include <bertology/models/checkpoint/interrupt_cleanup.h>

namespace bertology {

class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);  // creates the temporary file
  ~AtomicFileWriter();                                  // removes it unless commit() ran
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* data, size_t size);
  void write(const std::string& text) { write(text.data(), text.size()); }
  // Flushes to disk and renames the temporary file to path.
  void commit();

 private:
  std::string path_;
  std::string temporary_path_;
  UnfinishedOutput unfinished_;  // the temporary file, removed if the program is interrupted
  int fd_ = -1;
  bool committed_ = false;
};

// Writes contents to path atomically (e.g. config.json).
void write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace bertology

// AtomicFileWriter: temporary file + fsync + rename. The temporary file is created with mode
// 0666 minus the umask, so the result has the permissions an ordinary new file would have.
#include "atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <bertology/tensor/error.h>

namespace bertology {
namespace {

std::string random_suffix() {
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::random_device device;
  std::uniform_int_distribution<int> pick(0, sizeof kLetters - 2);
  std::string suffix(6, 'x');
  for (char& c : suffix) c = kLetters[pick(device)];
  return suffix;
}

}  // namespace

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
  for (int attempt = 0; attempt < 100 && fd_ < 0; ++attempt) {
    temporary_path_ = path + ".tmp-" + random_suffix();
    fd_ = ::open(temporary_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ < 0 && errno != EEXIST)
      throw Error(concat(path, ": cannot write there: ", std::strerror(errno)));  // the folder's fault, not the name's
  }
  if (fd_ < 0) throw Error(concat(path, ": cannot create a temporary file beside it"));
  unfinished_.hold(temporary_path_);  // once created: a name found taken is another writer's
}

AtomicFileWriter::~AtomicFileWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temporary_path_.c_str());
}

void AtomicFileWriter::write(const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd_, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) throw Error(concat(path_, ": write failed: ", std::strerror(errno)));
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

void AtomicFileWriter::commit() {
  if (::fsync(fd_) != 0) throw Error(concat(path_, ": fsync failed: ", std::strerror(errno)));
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0) throw Error(concat(path_, ": close failed: ", std::strerror(errno)));
  if (::rename(temporary_path_.c_str(), path_.c_str()) != 0)
    throw Error(concat(path_, ": cannot rename ", temporary_path_, " into place: ", std::strerror(errno)));
  committed_ = true;
  unfinished_.release();
}

void write_file_atomically(const std::string& path, const std::string& contents) {
  AtomicFileWriter writer(path);
  writer.write(contents);
  writer.commit();
}

}  // namespace bertology

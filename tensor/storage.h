// Storage: a block of memory shared by a tensor and all its views, plus the version counter
// that autograd uses to detect in-place edits of tensors saved for backward.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include <bertology/tensor/dtype.h>

namespace bertology {

class Storage {
 public:
  // Allocates nbytes on device through its backend; zero-filled when `zeroed`.
  Storage(size_t nbytes, Device device, bool zeroed = false);
  // Adopts memory owned elsewhere (e.g. a memory-mapped checkpoint); release() runs when the
  // last tensor using it goes away.
  Storage(void* data, size_t nbytes, Device device, std::function<void(void*)> release);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // Bumped by every in-place write; shared by all views of this storage.
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  std::function<void(void*)> release_;
  uint64_t version_ = 0;
};

}  // namespace bertology

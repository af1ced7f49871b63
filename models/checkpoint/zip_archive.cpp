// Zip central-directory parsing. Record layouts are those of PKWARE's APPNOTE.TXT (sections
// 4.3.7 local header, 4.3.12 central header, 4.3.14-16 zip64 and end records).
#include "zip_archive.h"

#include <cstring>

#include <bertology/tensor/error.h>

namespace bertology {
namespace {

constexpr uint32_t kLocalHeaderSignature = 0x04034b50;
constexpr uint32_t kCentralHeaderSignature = 0x02014b50;
constexpr uint32_t kEndSignature = 0x06054b50;
constexpr uint32_t kZip64EndSignature = 0x06064b50;
constexpr uint32_t kZip64LocatorSignature = 0x07064b50;
constexpr uint64_t kEndRecordSize = 22;
constexpr uint64_t kZip64LocatorSize = 20;
constexpr uint64_t kZip64EndRecordSize = 56;
constexpr uint64_t kCentralHeaderSize = 46;
constexpr uint64_t kLocalHeaderSize = 30;
constexpr uint16_t kZip64ExtraId = 0x0001;

// Little-endian reads from a range that the caller has checked.
uint64_t read_le(const uint8_t* p, int bytes) {
  uint64_t value = 0;
  for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
  return value;
}

struct EndOfDirectory {
  uint64_t entry_count = 0;
  uint64_t directory_offset = 0;
  uint64_t directory_size = 0;
  uint64_t directory_limit = 0;  // the directory must end before this offset
};

class ZipParser {
 public:
  ZipParser(const uint8_t* file, uint64_t size, const std::string& path) : file_(file), size_(size), path_(path) {}

  [[noreturn]] void fail(const std::string& what) const { throw Error(concat(path_, ": ", what)); }

  EndOfDirectory find_end_of_directory() const {
    if (size_ < kEndRecordSize) fail("not a zip archive (too short)");
    // The end record sits at the very end, followed by a comment of at most 65535 bytes.
    const uint64_t lowest = size_ > kEndRecordSize + 0xffff ? size_ - kEndRecordSize - 0xffff : 0;
    for (uint64_t at = size_ - kEndRecordSize + 1; at-- > lowest;) {
      if (read_le(file_ + at, 4) != kEndSignature) continue;
      const uint8_t* end = file_ + at;
      if (read_le(end + 4, 2) != 0 || read_le(end + 6, 2) != 0) fail("multi-disk zip archives are not supported");
      EndOfDirectory result;
      result.entry_count = read_le(end + 10, 2);
      result.directory_size = read_le(end + 12, 4);
      result.directory_offset = read_le(end + 16, 4);
      result.directory_limit = at;
      const bool needs_zip64 = result.entry_count == 0xffff || result.directory_size == 0xffffffff ||
                               result.directory_offset == 0xffffffff;
      if (needs_zip64 || (at >= kZip64LocatorSize && read_le(file_ + at - kZip64LocatorSize, 4) == kZip64LocatorSignature))
        read_zip64_end(at, result);
      if (result.directory_offset > result.directory_limit ||
          result.directory_size > result.directory_limit - result.directory_offset)
        fail("zip central directory lies outside the file");
      return result;
    }
    fail("zip archive is truncated or corrupt (no end-of-central-directory record)");
  }

  void read_zip64_end(uint64_t end_at, EndOfDirectory& result) const {
    if (end_at < kZip64LocatorSize) fail("zip64 end-of-directory locator is missing");
    const uint8_t* locator = file_ + end_at - kZip64LocatorSize;
    if (read_le(locator, 4) != kZip64LocatorSignature) fail("zip64 end-of-directory locator is missing");
    const uint64_t record_at = read_le(locator + 8, 8);
    if (record_at > end_at - kZip64LocatorSize || end_at - kZip64LocatorSize - record_at < kZip64EndRecordSize)
      fail("zip64 end-of-directory record lies outside the file");
    const uint8_t* record = file_ + record_at;
    if (read_le(record, 4) != kZip64EndSignature) fail("zip64 end-of-directory record is malformed");
    result.entry_count = read_le(record + 32, 8);
    result.directory_size = read_le(record + 40, 8);
    result.directory_offset = read_le(record + 48, 8);
    result.directory_limit = record_at;
  }

  // The zip64 extra field holds, in order, whichever of these had 0xffffffff in the header.
  void apply_zip64_extra(const uint8_t* extra, uint64_t extra_size, const std::string& name,
                         uint64_t& size, uint64_t& compressed_size, uint64_t& local_offset) const {
    const bool wants_size = size == 0xffffffff, wants_compressed = compressed_size == 0xffffffff,
               wants_offset = local_offset == 0xffffffff;
    if (!wants_size && !wants_compressed && !wants_offset) return;
    for (uint64_t at = 0; at + 4 <= extra_size;) {
      const uint64_t id = read_le(extra + at, 2), length = read_le(extra + at + 2, 2);
      if (at + 4 + length > extra_size) break;
      if (id == kZip64ExtraId) {
        const uint8_t* field = extra + at + 4;
        uint64_t used = 0;
        auto next = [&](uint64_t& value) {
          if (used + 8 > length) fail(concat("zip entry '", name, "' has a truncated zip64 field"));
          value = read_le(field + used, 8);
          used += 8;
        };
        if (wants_size) next(size);
        if (wants_compressed) next(compressed_size);
        if (wants_offset) next(local_offset);
        return;
      }
      at += 4 + length;
    }
    fail(concat("zip entry '", name, "' lacks its zip64 sizes"));
  }

  std::vector<ZipEntry> read_entries(const EndOfDirectory& end) const {
    if (end.entry_count > end.directory_size / kCentralHeaderSize)
      fail(concat("zip directory claims ", end.entry_count, " entries in ", end.directory_size, " bytes"));
    std::vector<ZipEntry> entries;
    uint64_t at = end.directory_offset;
    const uint64_t limit = end.directory_offset + end.directory_size;
    for (uint64_t i = 0; i < end.entry_count; ++i) {
      if (limit - at < kCentralHeaderSize || read_le(file_ + at, 4) != kCentralHeaderSignature)
        fail("zip central directory is malformed");
      const uint8_t* header = file_ + at;
      const uint64_t flags = read_le(header + 8, 2), method = read_le(header + 10, 2);
      uint64_t compressed_size = read_le(header + 20, 4), size = read_le(header + 24, 4);
      const uint64_t name_size = read_le(header + 28, 2), extra_size = read_le(header + 30, 2),
                     comment_size = read_le(header + 32, 2);
      uint64_t local_offset = read_le(header + 42, 4);
      if (limit - at - kCentralHeaderSize < name_size + extra_size + comment_size)
        fail("zip central directory is malformed");
      const std::string name(reinterpret_cast<const char*>(header + kCentralHeaderSize), name_size);
      apply_zip64_extra(header + kCentralHeaderSize + name_size, extra_size, name, size, compressed_size, local_offset);
      if (flags & 1u) fail(concat("zip entry '", name, "' is encrypted"));
      if (method != 0)
        fail(concat("zip entry '", name, "' is compressed (method ", method,
                    "); PyTorch checkpoints store entries uncompressed"));
      if (compressed_size != size)
        fail(concat("zip entry '", name, "' is stored but declares ", compressed_size, " stored bytes for ", size,
                    " bytes of content"));
      entries.push_back({name, data_offset(local_offset, name, size), size});
      at += kCentralHeaderSize + name_size + extra_size + comment_size;
    }
    return entries;
  }

  // The local header repeats the name and may carry its own extra field (torch pads it so the
  // data is 64-byte aligned); the data follows it.
  uint64_t data_offset(uint64_t local_offset, const std::string& name, uint64_t size) const {
    if (local_offset > size_ || size_ - local_offset < kLocalHeaderSize ||
        read_le(file_ + local_offset, 4) != kLocalHeaderSignature)
      fail(concat("zip entry '", name, "' has no local header at offset ", local_offset));
    const uint64_t name_size = read_le(file_ + local_offset + 26, 2), extra_size = read_le(file_ + local_offset + 28, 2);
    const uint64_t start = local_offset + kLocalHeaderSize + name_size + extra_size;
    if (start > size_ || size > size_ - start)
      fail(concat("zip entry '", name, "' declares ", size, " bytes at offset ", start,
                  ", past the end of the file (", size_, " bytes)"));
    return start;
  }

 private:
  const uint8_t* file_;
  uint64_t size_;
  const std::string& path_;
};

}  // namespace

ZipArchive::ZipArchive(const uint8_t* file, uint64_t file_size, const std::string& path) : file_(file) {
  ZipParser parser(file, file_size, path);
  entries_ = parser.read_entries(parser.find_end_of_directory());
  for (size_t i = 0; i < entries_.size(); ++i) index_by_name_.emplace(entries_[i].name, i);
}

const ZipEntry* ZipArchive::find(const std::string& name) const {
  auto found = index_by_name_.find(name);
  return found == index_by_name_.end() ? nullptr : &entries_[found->second];
}

bool looks_like_zip(const uint8_t* file, uint64_t file_size) {
  return file_size >= 4 && read_le(file, 4) == kLocalHeaderSignature;
}

}  // namespace bertology

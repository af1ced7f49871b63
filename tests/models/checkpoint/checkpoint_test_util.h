// Helpers shared by the checkpoint tests: fixture paths, scratch folders, whole-file I/O, and
// tiny writers for pickles, zip archives and safetensors headers used to build hostile files.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <bertology/models/checkpoint/state_dict.h>

namespace bertology::checkpoint_test {

inline std::string fixture(const std::string& relative) {
  return std::string(BERTOLOGY_TEST_DATA_DIR) + "/fixtures/" + relative;
}

// A fresh folder under the test temp dir, removed when the object goes away.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = ::testing::TempDir() + "bertology_checkpoint_XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

template <class T>
std::string le_bytes(T value, int count = sizeof(T)) {
  std::string out;
  for (int i = 0; i < count; ++i) out.push_back(static_cast<char>((static_cast<uint64_t>(value) >> (8 * i)) & 0xff));
  return out;
}

// ---- safetensors ---------------------------------------------------------------------------

// A safetensors file split into its header text and data bytes, to edit and reassemble.
struct SafetensorsParts {
  std::string header;
  std::string data;
  std::string assemble() const { return le_bytes<uint64_t>(header.size()) + header + data; }
};

inline SafetensorsParts split_safetensors(const std::string& bytes) {
  uint64_t length = 0;
  std::memcpy(&length, bytes.data(), 8);
  return {bytes.substr(8, length), bytes.substr(8 + length)};
}

// Replaces the first occurrence of `from` (which must exist) by `to`.
inline std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << "'" << from << "' not found";
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// ---- pickles -------------------------------------------------------------------------------

// Emits pickle opcodes one by one (names as in CPython's pickle.py).
class PickleWriter {
 public:
  PickleWriter& proto(int version) { return op(0x80).byte(version); }
  PickleWriter& frame(uint64_t length) { return op(0x95).raw(le_bytes(length)); }
  PickleWriter& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleWriter& stack_global() { return op(0x93); }
  PickleWriter& unicode(const std::string& text) { return op('X').raw(le_bytes<uint32_t>(text.size()) + text); }
  PickleWriter& short_unicode(const std::string& text) { return op(0x8c).byte(text.size()).raw(text); }
  PickleWriter& integer(int64_t value) {
    if (value >= 0 && value < 256) return op('K').byte(value);
    if (value >= 0 && value < 65536) return op('M').raw(le_bytes<uint16_t>(value));
    if (value >= INT32_MIN && value <= INT32_MAX) return op('J').raw(le_bytes<uint32_t>(static_cast<uint32_t>(value)));
    return op(0x8a).byte(8).raw(le_bytes<uint64_t>(static_cast<uint64_t>(value)));
  }
  PickleWriter& long1(const std::string& little_endian) { return op(0x8a).byte(little_endian.size()).raw(little_endian); }
  PickleWriter& none() { return op('N'); }
  PickleWriter& boolean(bool value) { return op(value ? 0x88 : 0x89); }
  PickleWriter& mark() { return op('('); }
  PickleWriter& tuple() { return op('t'); }
  PickleWriter& tuple1() { return op(0x85); }
  PickleWriter& tuple2() { return op(0x86); }
  PickleWriter& empty_tuple() { return op(')'); }
  PickleWriter& empty_dict() { return op('}'); }
  PickleWriter& empty_list() { return op(']'); }
  PickleWriter& appends() { return op('e'); }
  PickleWriter& setitem() { return op('s'); }
  PickleWriter& setitems() { return op('u'); }
  PickleWriter& reduce() { return op('R'); }
  PickleWriter& build() { return op('b'); }
  PickleWriter& binpersid() { return op('Q'); }
  PickleWriter& binput(int index) { return op('q').byte(index); }
  PickleWriter& binget(int index) { return op('h').byte(index); }
  PickleWriter& memoize() { return op(0x94); }
  PickleWriter& stop() { return op('.'); }
  PickleWriter& op(int code) { return byte(code); }
  PickleWriter& byte(int value) {
    bytes_.push_back(static_cast<char>(value));
    return *this;
  }
  PickleWriter& raw(const std::string& bytes) {
    bytes_ += bytes;
    return *this;
  }
  const std::string& bytes() const { return bytes_; }

  // Helpers for the shapes torch.save writes.
  PickleWriter& int_tuple(const std::vector<int64_t>& values) {
    mark();
    for (int64_t v : values) integer(v);
    return tuple();
  }
  // ('storage', torch.<type>, key, 'cpu', numel) as a persistent id, then BINPERSID.
  PickleWriter& storage(const std::string& type, const std::string& key, int64_t numel, bool legacy = false) {
    mark().unicode("storage").global("torch", type).unicode(key).unicode("cpu").integer(numel);
    if (legacy) none();
    return tuple().binpersid();
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, sizes, strides, False, OrderedDict()).
  PickleWriter& tensor(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                       const std::vector<int64_t>& sizes, const std::vector<int64_t>& strides, bool legacy = false) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(type, key, numel, legacy).integer(offset).int_tuple(sizes).int_tuple(strides).boolean(false);
    return global("collections", "OrderedDict").empty_tuple().reduce().tuple().reduce();
  }

 private:
  std::string bytes_;
};

// ---- zip archives --------------------------------------------------------------------------

// A minimal stored (uncompressed) zip writer, as torch.save lays archives out. With zip64 the
// central directory keeps sizes and offsets in zip64 extra fields and a zip64 end record, as
// torch does for checkpoints over 4 GB.
inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& entries, bool zip64 = false) {
  std::string out, directory;
  for (const auto& [name, data] : entries) {
    const uint64_t offset = out.size();
    const std::string sizes = le_bytes<uint32_t>(0) + le_bytes<uint32_t>(data.size()) + le_bytes<uint32_t>(data.size());
    out += le_bytes<uint32_t>(0x04034b50) + le_bytes<uint16_t>(20) + le_bytes<uint16_t>(0) + le_bytes<uint16_t>(0) +
           le_bytes<uint32_t>(0) + sizes + le_bytes<uint16_t>(name.size()) + le_bytes<uint16_t>(0) + name + data;
    const std::string central_sizes =
        zip64 ? le_bytes<uint32_t>(0) + le_bytes<uint32_t>(0xffffffffu) + le_bytes<uint32_t>(0xffffffffu) : sizes;
    const std::string extra = zip64 ? le_bytes<uint16_t>(1) + le_bytes<uint16_t>(24) + le_bytes<uint64_t>(data.size()) +
                                          le_bytes<uint64_t>(data.size()) + le_bytes<uint64_t>(offset)
                                    : "";
    directory += le_bytes<uint32_t>(0x02014b50) + le_bytes<uint16_t>(45) + le_bytes<uint16_t>(45) +
                 le_bytes<uint16_t>(0) + le_bytes<uint16_t>(0) + le_bytes<uint32_t>(0) + central_sizes +
                 le_bytes<uint16_t>(name.size()) + le_bytes<uint16_t>(extra.size()) + le_bytes<uint16_t>(0) +
                 le_bytes<uint16_t>(0) + le_bytes<uint16_t>(0) + le_bytes<uint32_t>(0) +
                 le_bytes<uint32_t>(zip64 ? 0xffffffffu : offset) + name + extra;
  }
  const uint64_t directory_offset = out.size();
  out += directory;
  if (zip64) {
    const uint64_t record_offset = out.size();
    out += le_bytes<uint32_t>(0x06064b50) + le_bytes<uint64_t>(44) + le_bytes<uint16_t>(45) + le_bytes<uint16_t>(45) +
           le_bytes<uint32_t>(0) + le_bytes<uint32_t>(0) + le_bytes<uint64_t>(entries.size()) +
           le_bytes<uint64_t>(entries.size()) + le_bytes<uint64_t>(directory.size()) + le_bytes<uint64_t>(directory_offset);
    out += le_bytes<uint32_t>(0x07064b50) + le_bytes<uint32_t>(0) + le_bytes<uint64_t>(record_offset) + le_bytes<uint32_t>(1);
  }
  out += le_bytes<uint32_t>(0x06054b50) + le_bytes<uint16_t>(0) + le_bytes<uint16_t>(0) +
         le_bytes<uint16_t>(zip64 ? 0xffff : entries.size()) + le_bytes<uint16_t>(zip64 ? 0xffff : entries.size()) +
         le_bytes<uint32_t>(zip64 ? 0xffffffffu : directory.size()) +
         le_bytes<uint32_t>(zip64 ? 0xffffffffu : directory_offset) + le_bytes<uint16_t>(0);
  return out;
}

// Offset of the central-directory header of entry `name` in a zip file's bytes.
inline size_t central_header_of(const std::string& zip, const std::string& name) {
  for (size_t at = zip.find("PK\x01\x02"); at != std::string::npos; at = zip.find("PK\x01\x02", at + 4)) {
    uint16_t name_size = 0;
    std::memcpy(&name_size, zip.data() + at + 28, 2);
    if (zip.compare(at + 46, name_size, name) == 0 && name_size == name.size()) return at;
  }
  ADD_FAILURE() << "no central directory entry '" << name << "'";
  return 0;
}

// The legacy (pre-1.6) torch.save layout around a state-dict pickle.
inline std::string make_legacy_checkpoint(const std::string& state_dict_pickle, const std::vector<std::string>& keys,
                                          const std::vector<std::pair<uint64_t, std::string>>& storages) {
  const std::string magic_le("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10);
  std::string out = PickleWriter().proto(2).long1(magic_le).stop().bytes();
  out += PickleWriter().proto(2).integer(1001).stop().bytes();
  out += PickleWriter().proto(2).empty_dict().mark().unicode("little_endian").boolean(true).setitems().stop().bytes();
  out += state_dict_pickle;
  PickleWriter key_list;
  key_list.proto(2).empty_list().mark();
  for (const std::string& key : keys) key_list.unicode(key);
  out += key_list.appends().stop().bytes();
  for (const auto& [numel, data] : storages) out += le_bytes<uint64_t>(numel) + data;
  return out;
}

// Float values of a tensor (any dtype), row-major.
inline std::vector<double> values_of(const Tensor& tensor) { return tensor.to_vector<double>(); }

}  // namespace bertology::checkpoint_test

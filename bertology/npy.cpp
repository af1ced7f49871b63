// NumPy .npy format (numpy.lib.format): header construction as numpy.save writes it, an atomic
// writer, and a validating reader. Layout: magic, version, header length, dict, raw C-order data.
#include <bertology/bertology/npy.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>

#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/tensor/error.h>

namespace bertology {

namespace {

const char kMagic[] = "\x93NUMPY";  // 6 bytes
constexpr size_t kMagicLength = 6;
constexpr size_t kAlignment = 64;         // numpy's ARRAY_ALIGN: data starts on this boundary
constexpr size_t kGrowthAxisDigits = 21;  // numpy leaves room for shape[0] to grow in place

bool host_is_little_endian() {
  const uint16_t one = 1;
  unsigned char first_byte = 0;
  std::memcpy(&first_byte, &one, 1);
  return first_byte == 1;
}

std::optional<std::string> descr_of(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "<f4";
    case DType::Float64: return "<f8";
    case DType::Int64: return "<i8";
    default: return std::nullopt;
  }
}

std::optional<DType> dtype_of(const std::string& descr) {
  if (descr == "<f4") return DType::Float32;
  if (descr == "<f8") return DType::Float64;
  if (descr == "<i8") return DType::Int64;
  return std::nullopt;
}

// Python's repr of a shape tuple: (), (3,), (2, 3).
std::string shape_repr(const Shape& shape) {
  std::string out = "(";
  for (size_t i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + (shape.size() == 1 ? ",)" : ")");
}

void append_little_endian(std::string& out, uint64_t value, size_t bytes) {
  for (size_t i = 0; i < bytes; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

// A parser for the one Python literal a .npy header holds:
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& path) : text_(text), path_(path) {}

  void parse(std::string& descr, bool& fortran_order, Shape& shape) {
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!consume('}')) {
      const std::string key = parse_string();
      expect(':');
      if (key == "descr" && !seen_descr) {
        descr = parse_string();
        seen_descr = true;
      } else if (key == "fortran_order" && !seen_order) {
        fortran_order = parse_bool();
        seen_order = true;
      } else if (key == "shape" && !seen_shape) {
        shape = parse_shape();
        seen_shape = true;
      } else {
        fail(concat("unexpected or repeated key '", key, "'"));
      }
      if (!consume(',')) {
        expect('}');
        break;
      }
    }
    skip_spaces();
    if (position_ != text_.size()) fail("text after the closing '}'");
    if (!seen_descr || !seen_order || !seen_shape)
      fail("the header needs the keys 'descr', 'fortran_order' and 'shape'");
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(concat(path_, ": malformed header: ", what, " (header: ",
                       printable_excerpt(), ")"));
  }
  // The header on one line: control bytes shown as '?', trailing padding dropped, at most 200.
  std::string printable_excerpt() const {
    std::string out = text_.substr(0, 200);
    for (char& c : out)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
    while (!out.empty() && (out.back() == ' ' || out.back() == '?')) out.pop_back();
    return out;
  }
  void skip_spaces() {
    while (position_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[position_])))
      ++position_;
  }
  bool consume(char c) {
    skip_spaces();
    if (position_ < text_.size() && text_[position_] == c) {
      ++position_;
      return true;
    }
    return false;
  }
  void expect(char c) {
    if (!consume(c)) fail(concat("expected '", c, "' at offset ", position_));
  }
  std::string parse_string() {
    skip_spaces();
    if (position_ >= text_.size() || (text_[position_] != '\'' && text_[position_] != '"'))
      fail(concat("expected a quoted string at offset ", position_));
    const char quote = text_[position_++];
    const size_t end = text_.find(quote, position_);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(position_, end - position_);
    position_ = end + 1;
    return value;
  }
  bool parse_bool() {
    skip_spaces();
    for (const char* word : {"True", "False"}) {
      if (text_.compare(position_, std::strlen(word), word) == 0) {
        position_ += std::strlen(word);
        return word[0] == 'T';
      }
    }
    fail(concat("expected True or False at offset ", position_));
  }
  int64_t parse_dimension() {
    skip_spaces();
    const size_t start = position_;
    uint64_t value = 0;
    while (position_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[position_]))) {
      value = value * 10 + static_cast<uint64_t>(text_[position_++] - '0');
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
        fail("a shape dimension is too large");
    }
    if (position_ == start) fail(concat("expected a non-negative integer at offset ", start));
    if (position_ < text_.size() && text_[position_] == 'L') ++position_;  // Python 2 long
    return static_cast<int64_t>(value);
  }
  Shape parse_shape() {
    Shape shape;
    expect('(');
    if (consume(')')) return shape;
    bool comma_after_last = false;
    while (true) {
      shape.push_back(parse_dimension());
      comma_after_last = consume(',');
      if (consume(')')) break;
      if (!comma_after_last) fail(concat("expected ',' or ')' in the shape at offset ", position_));
    }
    if (shape.size() == 1 && !comma_after_last)
      fail("a one-element shape is written (3,): (3) is not a tuple");
    return shape;
  }

  const std::string& text_;
  const std::string& path_;
  size_t position_ = 0;
};

}  // namespace

std::string npy_header(DType dtype, const Shape& shape) {
  const std::optional<std::string> descr = descr_of(dtype);
  if (!descr)
    throw Error(concat(".npy: dtype ", dtype_name(dtype),
                       " is not supported (float32, float64, int64)"));
  std::string dict = "{'descr': '" + *descr + "', 'fortran_order': False, 'shape': " +
                     shape_repr(shape) + ", }";
  if (!shape.empty()) dict += std::string(kGrowthAxisDigits - std::to_string(shape[0]).size(), ' ');

  // Version 1.0 stores the header length in 2 bytes; numpy switches to 2.0 (4 bytes) beyond.
  for (const int major : {1, 2}) {
    const size_t length_bytes = major == 1 ? 2 : 4;
    const size_t unpadded = kMagicLength + 2 + length_bytes + dict.size() + 1;  // +1: the '\n'
    const size_t padding = kAlignment - unpadded % kAlignment;  // numpy pads 64 when aligned
    const size_t header_length = dict.size() + padding + 1;
    if (major == 1 && header_length > 0xFFFF) continue;
    std::string out(kMagic, kMagicLength);
    out += static_cast<char>(major);
    out += static_cast<char>(0);
    append_little_endian(out, header_length, length_bytes);
    out += dict;
    out.append(padding, ' ');
    out += '\n';
    return out;
  }
  throw Error(".npy: header too long");
}

void save_npy(const std::string& path, const Tensor& tensor) {
  if (!tensor.defined()) throw Error(concat("save_npy ", path, ": the tensor is undefined"));
  if (!tensor.device().is_cpu())
    throw Error(concat("save_npy ", path, ": the tensor is on ", tensor.device().str(),
                       "; copy it to the CPU first"));
  if (!host_is_little_endian()) throw Error("save_npy: big-endian hosts are not supported");
  const std::string header = npy_header(tensor.dtype(), tensor.sizes());
  const Tensor contiguous = tensor.detach().to(Device::cpu()).contiguous();
  const size_t data_bytes = static_cast<size_t>(contiguous.numel()) * element_size(contiguous.dtype());
  const std::string_view data(data_bytes ? static_cast<const char*>(contiguous.raw_data()) : "",
                              data_bytes);
  AtomicFileWriter out(path);  // readers see the old file or the whole new one
  out.write(header);
  out.write(data.data(), data.size());
  out.commit();
}

Tensor load_npy(const std::string& path) {
  auto fail = [&](const std::string& what) -> Error {
    return Error(concat(path, ": ", what));
  };
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) throw fail("file not found");
  const uint64_t file_size = std::filesystem::file_size(path, error);
  if (error) throw fail(concat("cannot read the file size (", error.message(), ")"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail("cannot open the file");
  if (!host_is_little_endian()) throw fail("big-endian hosts are not supported");

  char prefix[8];
  if (file_size < 10 || !in.read(prefix, 8)) throw fail("not a .npy file (too short)");
  if (std::memcmp(prefix, kMagic, kMagicLength) != 0)
    throw fail("not a .npy file (the magic string \\x93NUMPY is missing)");
  const int major = static_cast<unsigned char>(prefix[6]);
  const int minor = static_cast<unsigned char>(prefix[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    throw fail(concat("unsupported .npy format version ", major, ".", minor,
                      " (1.0, 2.0 and 3.0 are read)"));
  const size_t length_bytes = major == 1 ? 2 : 4;
  unsigned char length_field[4] = {0, 0, 0, 0};
  if (!in.read(reinterpret_cast<char*>(length_field), static_cast<std::streamsize>(length_bytes)))
    throw fail("not a .npy file (too short)");
  uint64_t header_length = 0;
  for (size_t i = 0; i < length_bytes; ++i) header_length |= uint64_t{length_field[i]} << (8 * i);
  const uint64_t data_offset = kMagicLength + 2 + length_bytes + header_length;
  if (data_offset > file_size)
    throw fail(concat("the header length ", header_length, " runs past the end of the file (",
                      file_size, " bytes)"));
  std::string header(header_length, '\0');
  if (!in.read(header.data(), static_cast<std::streamsize>(header_length)))
    throw fail("cannot read the header");

  std::string descr;
  bool fortran_order = false;
  Shape shape;
  HeaderParser(header, path).parse(descr, fortran_order, shape);
  const std::optional<DType> dtype = dtype_of(descr);
  if (!dtype)
    throw fail(concat("unsupported dtype '", descr, "' (supported: '<f4', '<f8', '<i8')"));
  if (fortran_order) throw fail("Fortran-order arrays are not supported (save in C order)");

  uint64_t numel = 1;
  for (int64_t dim : shape) {
    if (dim != 0 && numel > std::numeric_limits<uint64_t>::max() / 64 / static_cast<uint64_t>(dim))
      throw fail(concat("shape ", shape_str(shape), " is too large"));
    numel *= static_cast<uint64_t>(dim);
  }
  const uint64_t expected_bytes = numel * element_size(*dtype);
  const uint64_t actual_bytes = file_size - data_offset;
  if (expected_bytes != actual_bytes)
    throw fail(concat("shape ", shape_str(shape), " of '", descr, "' needs ", expected_bytes,
                      " data bytes, the file has ", actual_bytes));

  Tensor tensor = Tensor::empty(shape, *dtype);
  if (expected_bytes > 0 &&
      !in.read(static_cast<char*>(tensor.raw_data()), static_cast<std::streamsize>(expected_bytes)))
    throw fail("cannot read the data");
  return tensor;
}

}  // namespace bertology

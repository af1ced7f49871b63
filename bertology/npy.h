// NumPy .npy files: a writer (float32, float64, int64; what numpy.load reads) that replaces the
// target atomically, and a reader of the same files that validates everything it reads.
#pragma once
#include <string>

#include <bertology/tensor/tensor.h>

namespace bertology {

// The bytes numpy.save puts before the data of a C-order array: magic "\x93NUMPY", version 1.0,
// the header length (little-endian uint16) and the header dict
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// padded with spaces and a final '\n' so the data starts on a multiple of 64 bytes. Throws Error
// for a dtype other than float32, float64, int64.
std::string npy_header(DType dtype, const Shape& shape);

// Writes tensor (any strides; copied to C order) to path. The bytes go to a temporary file in
// the same directory that is renamed over path once complete, so path never holds a partial
// file. Throws Error naming the path on any failure (the temporary file is removed).
void save_npy(const std::string& path, const Tensor& tensor);

// Reads a .npy file written by save_npy or by numpy (versions 1.0-3.0, little-endian '<f4',
// '<f8' or '<i8', C order). Throws Error naming the path for a missing file, a bad magic string
// or version, a malformed header, an unsupported dtype or Fortran order, and a data size that
// does not match the shape.
Tensor load_npy(const std::string& path);

}  // namespace bertology

// Names and sizes of dtypes and devices.
#include <bertology/tensor/dtype.h>

namespace bertology {

size_t element_size(DType dtype) {
  switch (dtype) {
    case DType::Float32: return 4;
    case DType::Float64: return 8;
    case DType::Int64: return 8;
    case DType::Bool: return 1;
  }
  return 0;
}

const char* dtype_name(DType dtype) {
  switch (dtype) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::Int64: return "int64";
    case DType::Bool: return "bool";
  }
  return "?";
}

std::string Device::str() const {
  return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
}

}  // namespace bertology

#include <bertology/tensor/generator.h>

namespace bertology {

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

}  // namespace bertology

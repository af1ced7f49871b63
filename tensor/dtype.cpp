// Names and sizes of dtypes and devices.
#include <bertology/tensor/dtype.h>
#include <bertology/tensor/error.h>

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

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::cpu();
  if (name == "cuda") return Device::cuda();
  const std::string prefix = "cuda:";
  if (name.size() > prefix.size() && name.compare(0, prefix.size(), prefix) == 0 &&
      name.find_first_not_of("0123456789", prefix.size()) == std::string::npos && name.size() <= prefix.size() + 3)
    return Device::cuda(std::stoi(name.substr(prefix.size())));
  throw Error(concat("unknown device '", name, "': expected cpu, cuda or cuda:N"));
}

}  // namespace bertology

#include <bertology/tensor/generator.h>

namespace bertology {

Generator& default_generator() {
  static Generator gen(0);
  return gen;
}

}  // namespace bertology

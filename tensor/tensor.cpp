// Tensor creation, metadata, element access, conversions and printing. Views and autograd
// methods are defined in autograd/ (they record graph nodes).
#include <bertology/tensor/backend.h>
#include <bertology/tensor/kernels/kernels.h>
#include <bertology/tensor/tensor.h>

#include <cmath>
#include <cstring>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace bertology {

std::string shape_str(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << "[";
  for (size_t i = 0; i < shape.size(); ++i) out << (i ? ", " : "") << shape[i];
  out << "]";
  return out.str();
}

Shape contiguous_strides(const Shape& shape) {
  Shape strides(shape.size());
  int64_t s = 1;
  for (size_t i = shape.size(); i-- > 0;) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op) {
  int64_t lo = ndim == 0 ? -1 : -ndim, hi = ndim == 0 ? 0 : ndim - 1;
  if (dim < lo || dim > hi)
    throw Error(concat(op, ": dim ", dim, " out of range for a tensor with ", ndim, " dims"));
  return dim < 0 ? dim + std::max<int64_t>(ndim, 1) : dim;
}

Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da != db && da != 1 && db != 1)
      throw Error(concat(op, ": shapes ", shape_str(a), " and ", shape_str(b), " do not broadcast"));
    out[i] = da == 1 ? db : da;
  }
  return out;
}

// ---- creation -------------------------------------------------------------------------------

Tensor Tensor::empty(const Shape& shape, DType dtype, Device device) {
  for (int64_t s : shape)
    if (s < 0) throw Error(concat("empty: negative size in shape ", bertology::shape_str(shape)));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::make_shared<Storage>(shape_numel(shape) * element_size(dtype), device);
  impl->sizes = shape;
  impl->strides = contiguous_strides(shape);
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

Tensor Tensor::zeros(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  backend_for(device).fill_zero(t.storage()->data(), t.storage()->nbytes());
  return t;
}

Tensor Tensor::ones(const Shape& shape, DType dtype, Device device) {
  Tensor t = empty(shape, dtype, device);
  t.fill_(1.0);
  return t;
}

Tensor Tensor::full(const Shape& shape, double value, DType dtype) {
  Tensor t = empty(shape, dtype);
  t.fill_(value);
  return t;
}

Tensor Tensor::scalar(double value, DType dtype) { return full({}, value, dtype); }

Tensor Tensor::arange(int64_t end, DType dtype) { return arange(0.0, static_cast<double>(end), 1.0, dtype); }

Tensor Tensor::arange(double start, double end, double step, DType dtype) {
  if (step == 0) throw Error("arange: step must be non-zero");
  int64_t n = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((end - start) / step)));
  Tensor t = empty({n}, DType::Float64);
  double* p = t.data<double>();
  for (int64_t i = 0; i < n; ++i) p[i] = start + step * static_cast<double>(i);
  return dtype == DType::Float64 ? t : t.to(dtype);
}

Tensor Tensor::randn(const Shape& shape, Generator& gen, DType dtype) {
  Tensor t = empty(shape, DType::Float64);
  double* p = t.data<double>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = gen.normal();
  return dtype == DType::Float64 ? t : t.to(dtype);
}

Tensor Tensor::uniform(const Shape& shape, double lo, double hi, Generator& gen, DType dtype) {
  Tensor t = empty(shape, DType::Float64);
  double* p = t.data<double>();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = gen.uniform(lo, hi);
  return dtype == DType::Float64 ? t : t.to(dtype);
}

namespace {
template <class T>
Tensor from_values(const std::vector<T>& values, const Shape& shape) {
  if (static_cast<int64_t>(values.size()) != shape_numel(shape))
    throw Error(concat("from_vector: ", values.size(), " values do not fill shape ", bertology::shape_str(shape)));
  return Tensor::from_blob(values.data(), shape, DTypeOf<T>::value);
}
}  // namespace

Tensor Tensor::from_vector(const std::vector<float>& v, const Shape& s) { return from_values(v, s); }
Tensor Tensor::from_vector(const std::vector<double>& v, const Shape& s) { return from_values(v, s); }
Tensor Tensor::from_vector(const std::vector<int64_t>& v, const Shape& s) { return from_values(v, s); }

Tensor Tensor::from_blob(const void* data, const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  if (t.numel() > 0) std::memcpy(t.raw_data(), data, t.numel() * element_size(dtype));
  return t;
}

Tensor Tensor::from_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype, int64_t offset) {
  size_t need = (offset + shape_numel(shape)) * element_size(dtype);
  if (offset < 0 || need > storage->nbytes())
    throw Error(concat("from_storage: shape ", bertology::shape_str(shape), " at offset ", offset,
                       " needs ", need, " bytes, storage has ", storage->nbytes()));
  auto impl = std::make_shared<TensorImpl>();
  impl->storage = std::move(storage);
  impl->sizes = shape;
  impl->strides = contiguous_strides(shape);
  impl->offset = offset;
  impl->dtype = dtype;
  return Tensor(std::move(impl));
}

// ---- metadata -------------------------------------------------------------------------------

TensorImpl& Tensor::impl() const {
  if (!impl_) throw Error("use of an undefined tensor");
  return *impl_;
}

int64_t Tensor::size(int64_t d) const { return sizes()[normalize_dim(d, dim(), "size")]; }
int64_t Tensor::stride(int64_t d) const { return strides()[normalize_dim(d, dim(), "stride")]; }
int64_t Tensor::numel() const { return shape_numel(sizes()); }

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int64_t i = dim() - 1; i >= 0; --i) {
    if (sizes()[i] == 1) continue;
    if (strides()[i] != expected) return false;
    expected *= sizes()[i];
  }
  return true;
}

// ---- data access ----------------------------------------------------------------------------

void* Tensor::raw_data() const {
  return static_cast<char*>(impl().storage->data()) + impl().offset * element_size(dtype());
}

template <class T>
T* Tensor::data() const {
  if (dtype() != DTypeOf<T>::value)
    throw Error(concat("data<", dtype_name(DTypeOf<T>::value), ">: tensor has dtype ", dtype_name(dtype())));
  return static_cast<T*>(raw_data());
}
template float* Tensor::data<float>() const;
template double* Tensor::data<double>() const;
template int64_t* Tensor::data<int64_t>() const;
template bool* Tensor::data<bool>() const;

namespace {
double read_element(const Tensor& t, int64_t element_offset) {
  const char* base = static_cast<const char*>(t.storage()->data());
  switch (t.dtype()) {
    case DType::Float32: return reinterpret_cast<const float*>(base)[element_offset];
    case DType::Float64: return reinterpret_cast<const double*>(base)[element_offset];
    case DType::Int64: return static_cast<double>(reinterpret_cast<const int64_t*>(base)[element_offset]);
    case DType::Bool: return reinterpret_cast<const bool*>(base)[element_offset] ? 1.0 : 0.0;
  }
  return 0;
}
}  // namespace

double Tensor::at(std::initializer_list<int64_t> index) const {
  if (!device().is_cpu()) return kernels::to_device(*this, Device::cpu()).at(index);
  if (static_cast<int64_t>(index.size()) != dim())
    throw Error(concat("at: ", index.size(), " indices for a tensor of shape ", shape_str()));
  int64_t off = offset(), d = 0;
  for (int64_t i : index) {
    int64_t n = sizes()[d];
    if (i < -n || i >= n) throw Error(concat("at: index ", i, " out of range for dim ", d, " of shape ", shape_str()));
    off += (i < 0 ? i + n : i) * strides()[d];
    ++d;
  }
  return read_element(*this, off);
}

double Tensor::item() const {
  if (numel() != 1) throw Error(concat("item: tensor of shape ", shape_str(), " has ", numel(), " elements, not 1"));
  if (!device().is_cpu()) return kernels::to_device(*this, Device::cpu()).item();
  return read_element(*this, offset());
}

template <class T>
std::vector<T> Tensor::to_vector() const {
  Tensor c = kernels::convert(kernels::to_device(*this, Device::cpu()), DTypeOf<T>::value);
  const T* p = c.data<T>();
  return std::vector<T>(p, p + c.numel());
}
template std::vector<float> Tensor::to_vector<float>() const;
template std::vector<double> Tensor::to_vector<double>() const;
template std::vector<int64_t> Tensor::to_vector<int64_t>() const;
template std::vector<bool> Tensor::to_vector<bool>() const;

Tensor& Tensor::fill_(double value) {
  Tensor src = Tensor::empty({}, dtype());
  switch (dtype()) {
    case DType::Float32: *src.data<float>() = static_cast<float>(value); break;
    case DType::Float64: *src.data<double>() = value; break;
    case DType::Int64: *src.data<int64_t>() = static_cast<int64_t>(value); break;
    case DType::Bool: *src.data<bool>() = value != 0; break;
  }
  kernels::copy_into(*this, kernels::to_device(src, device()));
  return *this;
}

Tensor& Tensor::copy_(const Tensor& src) {
  kernels::copy_into(*this, src);
  return *this;
}

// ---- printing -------------------------------------------------------------------------------

std::string Tensor::str() const {
  std::ostringstream out;
  if (!defined()) return "Tensor(undefined)";
  out << "Tensor(shape=" << shape_str() << ", dtype=" << dtype_name(dtype());
  if (!device().is_cpu()) out << ", device=" << device().str();
  out << ", values=[";
  std::vector<double> v = to_vector<double>();
  const size_t shown = 8;
  for (size_t i = 0; i < v.size() && i < shown; ++i) out << (i ? ", " : "") << std::setprecision(6) << v[i];
  if (v.size() > shown) out << ", ... (" << v.size() << " values)";
  out << "])";
  return out.str();
}

std::ostream& operator<<(std::ostream& out, const Tensor& t) { return out << t.str(); }

}  // namespace bertology

// Tensor: a cheap shared handle to (storage, sizes, strides, offset, dtype, device) plus the
// autograd state. Views share storage. Differentiable math lives in autograd/functions.h.
#pragma once
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include <bertology/tensor/dtype.h>
#include <bertology/tensor/error.h>
#include <bertology/tensor/generator.h>
#include <bertology/tensor/storage.h>

namespace bertology {

using Shape = std::vector<int64_t>;

struct AutogradMeta;  // autograd/graph.h

struct TensorImpl {
  std::shared_ptr<Storage> storage;
  Shape sizes;
  Shape strides;  // in elements
  int64_t offset = 0;  // in elements
  DType dtype = DType::Float32;
  std::shared_ptr<AutogradMeta> autograd;  // null unless the tensor takes part in autograd
};

class Tensor {
 public:
  Tensor() = default;  // an undefined tensor (like an empty optional)
  explicit Tensor(std::shared_ptr<TensorImpl> impl) : impl_(std::move(impl)) {}

  // ---- creation -------------------------------------------------------------------------
  static Tensor empty(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor zeros(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor ones(const Shape& shape, DType dtype = DType::Float32, Device device = Device::cpu());
  static Tensor full(const Shape& shape, double value, DType dtype = DType::Float32);
  static Tensor scalar(double value, DType dtype = DType::Float32);  // a 0-dim tensor
  static Tensor arange(int64_t end, DType dtype = DType::Int64);
  static Tensor arange(double start, double end, double step = 1.0, DType dtype = DType::Float32);
  static Tensor randn(const Shape& shape, Generator& gen = default_generator(), DType dtype = DType::Float32);
  static Tensor uniform(const Shape& shape, double lo, double hi, Generator& gen = default_generator(),
                        DType dtype = DType::Float32);
  static Tensor from_vector(const std::vector<float>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<double>& values, const Shape& shape);
  static Tensor from_vector(const std::vector<int64_t>& values, const Shape& shape);
  // Copies numel(shape) elements of dtype from data.
  static Tensor from_blob(const void* data, const Shape& shape, DType dtype);
  // Wraps existing storage without copying (used by checkpoint loaders on mapped files).
  static Tensor from_storage(std::shared_ptr<Storage> storage, const Shape& shape, DType dtype,
                             int64_t offset = 0);

  // ---- metadata -------------------------------------------------------------------------
  bool defined() const { return impl_ != nullptr; }
  const Shape& sizes() const { return impl().sizes; }
  const Shape& strides() const { return impl().strides; }
  int64_t offset() const { return impl().offset; }
  int64_t dim() const { return static_cast<int64_t>(impl().sizes.size()); }
  int64_t size(int64_t d) const;    // negative d counts from the end
  int64_t stride(int64_t d) const;
  int64_t numel() const;
  DType dtype() const { return impl().dtype; }
  Device device() const { return impl().storage->device(); }
  bool is_contiguous() const;
  std::string shape_str() const { return bertology::shape_str(sizes()); }
  const std::shared_ptr<Storage>& storage() const { return impl().storage; }
  TensorImpl& impl() const;
  const std::shared_ptr<TensorImpl>& impl_ptr() const { return impl_; }
  bool same(const Tensor& other) const { return impl_ == other.impl_; }

  // ---- data access ----------------------------------------------------------------------
  // Pointer to the first element (offset applied); T must match dtype(). For a tensor on a GPU
  // this is device memory: read it through to(Device::cpu()) instead.
  template <class T> T* data() const;
  void* raw_data() const;
  // Element at a multi-index (any dtype, as double); item() for one-element tensors.
  double at(std::initializer_list<int64_t> index) const;
  double item() const;
  template <class T> std::vector<T> to_vector() const;  // row-major copy, converting dtype

  // ---- copies and conversions (not recorded by autograd unless noted) -------------------
  Tensor contiguous() const;            // differentiable; returns *this when already contiguous
  Tensor to(DType dtype) const;         // differentiable between float dtypes
  // A contiguous copy on another device (this tensor when already there); differentiable, the
  // gradient goes back to this device. Throws for a device this build has no backend for.
  Tensor to(Device device) const;
  Tensor clone() const;                 // differentiable; always copies
  Tensor& fill_(double value);          // in place; bumps the version counter
  Tensor& zero_() { return fill_(0.0); }
  Tensor& copy_(const Tensor& src);     // in place, src broadcast to this shape
  std::string str() const;              // shape, dtype and values (abridged)

  // ---- views (differentiable; share storage) --------------------------------------------
  Tensor reshape(const Shape& shape) const;  // a view when strides allow, else a copy
  Tensor view(const Shape& shape) const;     // always a view; throws if strides do not allow
  Tensor permute(const std::vector<int64_t>& dims) const;
  Tensor transpose(int64_t d0, int64_t d1) const;
  Tensor narrow(int64_t dim, int64_t start, int64_t length) const;
  Tensor slice(int64_t dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int64_t dim, int64_t index) const;  // drops dim
  Tensor unsqueeze(int64_t dim) const;
  Tensor squeeze(int64_t dim) const;
  Tensor squeeze() const;
  Tensor expand(const Shape& shape) const;   // -1 keeps a size; new leading dims allowed

  // ---- autograd (implemented in autograd/) -----------------------------------------------
  bool requires_grad() const;
  Tensor& requires_grad_(bool value = true);  // leaves only
  bool is_leaf() const;
  Tensor grad() const;                        // undefined until a backward reaches it
  void set_grad(const Tensor& grad) const;
  void zero_grad() const;                      // drops the accumulated gradient
  void retain_grad() const;                    // keep .grad on a non-leaf
  // Reverse-mode pass from this tensor. grad_output defaults to 1 for a scalar. When inputs is
  // non-empty only those leaves receive gradients and only branches leading to them run.
  void backward(const Tensor& grad_output = Tensor(), const std::vector<Tensor>& inputs = {},
                bool retain_graph = false) const;
  // A hook sees the gradient flowing into this tensor and may return a replacement (or an
  // undefined tensor to keep it). Returns a handle for remove_hook.
  int register_hook(std::function<Tensor(const Tensor&)> hook) const;
  void remove_hook(int handle) const;
  Tensor detach() const;                       // same storage, no autograd history
  std::string grad_fn_name() const;            // op that produced this tensor, "" for leaves

 private:
  std::shared_ptr<TensorImpl> impl_;
};

std::ostream& operator<<(std::ostream& out, const Tensor& t);

// Shape helpers shared by kernels and ops.
Shape contiguous_strides(const Shape& shape);
int64_t shape_numel(const Shape& shape);
int64_t normalize_dim(int64_t dim, int64_t ndim, const char* op);  // throws on out of range
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace bertology

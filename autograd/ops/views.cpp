// Tensor's view methods (sharing storage) and copies, differentiable: reshape/view, permute,
// transpose, narrow/slice/select, (un)squeeze, expand, contiguous, to, clone; plus the
// gathering/joining functions index_select, embedding, cat, stack.
#include <bertology/autograd/functions.h>
#include <bertology/autograd/graph.h>
#include <bertology/tensor/kernels/kernels.h>

#include <algorithm>

namespace bertology {
namespace {

struct Geometry {
  Shape sizes, strides;
  int64_t offset;
};

// Reshape of a contiguous gradient back to a shape (always possible without copying).
Tensor reshape_raw(const Tensor& t, const Shape& shape) {
  Tensor c = kernels::contiguous(t);
  return kernels::as_strided(c, shape, contiguous_strides(shape), c.offset());
}

// x viewed with geometry g; backward = `backward`.
Tensor make_view(const Tensor& x, const Geometry& g, const char* name, BackwardFn backward) {
  Tensor y = kernels::as_strided(x, g.sizes, g.strides, g.offset);
  if (grad_needed({x})) record_node(y, name, {x}, std::move(backward));
  return y;
}

Geometry slice_geometry(const Shape& sizes, const Shape& strides, int64_t offset, int64_t dim, int64_t start,
                        int64_t end, int64_t step) {
  Geometry g{sizes, strides, offset + start * strides[dim]};
  g.sizes[dim] = end <= start ? 0 : (end - start + step - 1) / step;
  g.strides[dim] = strides[dim] * step;
  return g;
}

// Gradient of a slice: zeros of the input shape with dy written into the sliced region.
BackwardFn slice_backward(const Shape& input_shape, int64_t dim, int64_t start, int64_t end, int64_t step) {
  return [=](const Tensor& dy, const std::vector<bool>&) {
    Tensor dx = Tensor::zeros(input_shape, dy.dtype(), dy.device());
    Geometry g = slice_geometry(input_shape, contiguous_strides(input_shape), 0, dim, start, end, step);
    Tensor region = kernels::as_strided(dx, g.sizes, g.strides, g.offset);
    kernels::copy_into(region, dy);
    return Grads{dx};
  };
}

BackwardFn reshape_backward(const Shape& input_shape) {
  return [input_shape](const Tensor& dy, const std::vector<bool>&) { return Grads{reshape_raw(dy, input_shape)}; };
}

Shape infer_shape(const Shape& shape, int64_t numel, const char* op, const Shape& from) {
  Shape out = shape;
  int64_t known = 1, infer = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == -1) {
      if (infer >= 0) throw Error(concat(op, ": only one -1 allowed in ", shape_str(shape)));
      infer = static_cast<int64_t>(i);
    } else if (out[i] < 0) {
      throw Error(concat(op, ": invalid size in ", shape_str(shape)));
    } else {
      known *= out[i];
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      throw Error(concat(op, ": shape ", shape_str(shape), " is invalid for input of shape ", shape_str(from)));
    out[infer] = numel / known;
  }
  if (shape_numel(out) != numel)
    throw Error(concat(op, ": shape ", shape_str(shape), " is invalid for input of shape ", shape_str(from), " (",
                       numel, " elements)"));
  return out;
}

}  // namespace

Tensor Tensor::view(const Shape& shape_in) const {
  Shape shape = infer_shape(shape_in, numel(), "view", sizes());
  Shape strides;
  if (!kernels::view_strides(*this, shape, strides))
    throw Error(concat("view: cannot view a tensor of shape ", shape_str(), " and strides ",
                       bertology::shape_str(this->strides()), " as ", bertology::shape_str(shape),
                       " without copying (use reshape)"));
  return make_view(*this, {shape, strides, offset()}, "view", reshape_backward(sizes()));
}

Tensor Tensor::reshape(const Shape& shape_in) const {
  Shape shape = infer_shape(shape_in, numel(), "reshape", sizes());
  Shape strides;
  if (kernels::view_strides(*this, shape, strides))
    return make_view(*this, {shape, strides, offset()}, "reshape", reshape_backward(sizes()));
  return contiguous().view(shape);
}

Tensor Tensor::permute(const std::vector<int64_t>& dims) const {
  if (static_cast<int64_t>(dims.size()) != dim())
    throw Error(concat("permute: ", dims.size(), " dims given for a tensor of shape ", shape_str()));
  Geometry g{Shape(dim()), Shape(dim()), offset()};
  std::vector<int64_t> inverse(dim(), -1);
  for (int64_t i = 0; i < dim(); ++i) {
    int64_t d = normalize_dim(dims[i], dim(), "permute");
    if (inverse[d] != -1) throw Error(concat("permute: dim ", d, " repeated"));
    inverse[d] = i;
    g.sizes[i] = sizes()[d];
    g.strides[i] = strides()[d];
  }
  return make_view(*this, g, "permute", [inverse](const Tensor& dy, const std::vector<bool>&) {
    Geometry back{Shape(inverse.size()), Shape(inverse.size()), dy.offset()};
    for (size_t i = 0; i < inverse.size(); ++i) {
      back.sizes[i] = dy.sizes()[inverse[i]];
      back.strides[i] = dy.strides()[inverse[i]];
    }
    return Grads{kernels::as_strided(dy, back.sizes, back.strides, back.offset)};
  });
}

Tensor Tensor::transpose(int64_t d0, int64_t d1) const {
  d0 = normalize_dim(d0, dim(), "transpose");
  d1 = normalize_dim(d1, dim(), "transpose");
  std::vector<int64_t> dims(dim());
  for (int64_t i = 0; i < dim(); ++i) dims[i] = i;
  std::swap(dims[d0], dims[d1]);
  return permute(dims);
}

Tensor Tensor::slice(int64_t d, int64_t start, int64_t end, int64_t step) const {
  d = normalize_dim(d, dim(), "slice");
  if (step < 1) throw Error(concat("slice: step must be positive, got ", step));
  const int64_t n = size(d);
  if (start < 0) start += n;
  if (end < 0) end += n;
  start = std::clamp<int64_t>(start, 0, n);
  end = std::clamp<int64_t>(end, start, n);
  return make_view(*this, slice_geometry(sizes(), strides(), offset(), d, start, end, step), "slice",
                   slice_backward(sizes(), d, start, end, step));
}

Tensor Tensor::narrow(int64_t d, int64_t start, int64_t length) const {
  d = normalize_dim(d, dim(), "narrow");
  if (start < 0 || length < 0 || start + length > size(d))
    throw Error(concat("narrow: range [", start, ", ", start + length, ") out of bounds for dim ", d, " of shape ",
                       shape_str()));
  return make_view(*this, slice_geometry(sizes(), strides(), offset(), d, start, start + length, 1), "narrow",
                   slice_backward(sizes(), d, start, start + length, 1));
}

Tensor Tensor::select(int64_t d, int64_t index) const {
  d = normalize_dim(d, dim(), "select");
  const int64_t n = size(d);
  if (index < -n || index >= n)
    throw Error(concat("select: index ", index, " out of range for dim ", d, " of shape ", shape_str()));
  if (index < 0) index += n;
  Geometry g = slice_geometry(sizes(), strides(), offset(), d, index, index + 1, 1);
  g.sizes.erase(g.sizes.begin() + d);
  g.strides.erase(g.strides.begin() + d);
  Shape input = sizes();
  BackwardFn inner = slice_backward(input, d, index, index + 1, 1);
  return make_view(*this, g, "select", [inner, d](const Tensor& dy, const std::vector<bool>& need) {
    Shape kept = dy.sizes();
    kept.insert(kept.begin() + d, 1);
    return inner(reshape_raw(dy, kept), need);
  });
}

Tensor Tensor::unsqueeze(int64_t d) const {
  d = normalize_dim(d, dim() + 1, "unsqueeze");
  Geometry g{sizes(), strides(), offset()};
  int64_t stride = d < dim() ? strides()[d] * sizes()[d] : 1;
  g.sizes.insert(g.sizes.begin() + d, 1);
  g.strides.insert(g.strides.begin() + d, stride);
  return make_view(*this, g, "unsqueeze", reshape_backward(sizes()));
}

Tensor Tensor::squeeze(int64_t d) const {
  d = normalize_dim(d, dim(), "squeeze");
  if (sizes()[d] != 1) return *this;
  Geometry g{sizes(), strides(), offset()};
  g.sizes.erase(g.sizes.begin() + d);
  g.strides.erase(g.strides.begin() + d);
  return make_view(*this, g, "squeeze", reshape_backward(sizes()));
}

Tensor Tensor::squeeze() const {
  Geometry g{{}, {}, offset()};
  for (int64_t i = 0; i < dim(); ++i)
    if (sizes()[i] != 1) {
      g.sizes.push_back(sizes()[i]);
      g.strides.push_back(strides()[i]);
    }
  return make_view(*this, g, "squeeze", reshape_backward(sizes()));
}

Tensor Tensor::expand(const Shape& shape) const {
  if (shape.size() < sizes().size())
    throw Error(concat("expand: cannot expand shape ", shape_str(), " to ", bertology::shape_str(shape)));
  Geometry g{shape, Shape(shape.size(), 0), offset()};
  const size_t lead = shape.size() - sizes().size();
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      if (shape[i] < 0) throw Error(concat("expand: -1 not allowed for a new leading dim in ", bertology::shape_str(shape)));
      continue;
    }
    int64_t have = sizes()[i - lead];
    int64_t want = shape[i] == -1 ? have : shape[i];
    if (have != want && have != 1)
      throw Error(concat("expand: cannot expand shape ", shape_str(), " to ", bertology::shape_str(shape)));
    g.sizes[i] = want;
    g.strides[i] = have == want ? strides()[i - lead] : 0;
  }
  return make_view(*this, g, "expand", [input = sizes()](const Tensor& dy, const std::vector<bool>&) {
    return Grads{sum_to(dy, input)};
  });
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  return clone();
}

Tensor Tensor::clone() const {
  Tensor y = Tensor::empty(sizes(), dtype(), device());
  kernels::copy_into(y, *this);
  if (grad_needed({*this}))
    record_node(y, "clone", {*this}, [](const Tensor& dy, const std::vector<bool>&) { return Grads{dy}; });
  return y;
}

Tensor Tensor::to(DType target) const {
  if (target == dtype()) return *this;
  Tensor y = kernels::convert(*this, target);
  if (grad_needed({*this})) {
    if (!is_floating(target)) throw Error(concat("to: cannot convert a tensor that requires grad to ", dtype_name(target)));
    record_node(y, "to", {*this}, [source = dtype()](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::convert(dy, source)};
    });
  }
  return y;
}

Tensor Tensor::to(Device target) const {
  if (target == device()) return *this;
  Tensor y = kernels::to_device(*this, target);
  if (grad_needed({*this}))  // the gradient goes back to where the input lives
    record_node(y, "to_device", {*this}, [source = device()](const Tensor& dy, const std::vector<bool>&) {
      return Grads{kernels::to_device(dy, source)};
    });
  return y;
}

Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index) {
  dim = normalize_dim(dim, x.dim(), "index_select");
  Tensor y = kernels::index_select(x, dim, index);
  if (grad_needed({x}))
    record_node(y, "index_select", {x}, [si = SavedTensor(index), dim, n = x.size(dim)](const Tensor& dy,
                                                                                        const std::vector<bool>&) {
      return Grads{kernels::index_add(dy, dim, si.unpack("index_select"), n)};
    });
  return y;
}

Tensor embedding(const Tensor& weight, const Tensor& ids) {
  // weight (V, E), ids (...) -> (..., E)
  if (weight.dim() != 2) throw Error(concat("embedding: weight must be (V, E), got ", weight.shape_str()));
  if (ids.dtype() != DType::Int64) throw Error(concat("embedding: ids must be int64, got ", dtype_name(ids.dtype())));
  Tensor flat = reshape_raw(ids, {ids.numel()});
  Shape out = ids.sizes();
  out.push_back(weight.size(1));
  return index_select(weight, 0, flat).view(out);
}

Tensor cat(const std::vector<Tensor>& tensors, int64_t dim) {
  Tensor y = kernels::cat(tensors, dim);
  dim = normalize_dim(dim, tensors.front().dim(), "cat");
  if (grad_needed(tensors)) {
    std::vector<int64_t> lengths;
    for (const Tensor& t : tensors) lengths.push_back(t.size(dim));
    record_node(y, "cat", tensors, [lengths, dim](const Tensor& dy, const std::vector<bool>& need) {
      Grads g(lengths.size());
      int64_t start = 0;
      for (size_t i = 0; i < lengths.size(); ++i) {
        if (need[i]) {
          Geometry part = slice_geometry(dy.sizes(), dy.strides(), dy.offset(), dim, start, start + lengths[i], 1);
          g[i] = kernels::as_strided(dy, part.sizes, part.strides, part.offset);
        }
        start += lengths[i];
      }
      return g;
    });
  }
  return y;
}

Tensor stack(const std::vector<Tensor>& tensors, int64_t dim) {
  if (tensors.empty()) throw Error("stack: expected at least one tensor");
  dim = normalize_dim(dim, tensors.front().dim() + 1, "stack");
  std::vector<Tensor> parts;
  for (const Tensor& t : tensors) {
    if (t.sizes() != tensors.front().sizes())
      throw Error(concat("stack: shapes ", t.shape_str(), " and ", tensors.front().shape_str(), " differ"));
    parts.push_back(t.unsqueeze(dim));
  }
  return cat(parts, dim);
}

}  // namespace bertology

// StateDict: a checkpoint's tensors by HuggingFace parameter name, e.g.
// "bert.encoder.layer.0.attention.self.query.weight" -> (E, E) float32 tensor.
#pragma once
#include <map>
#include <string>

#include <bertology/tensor/tensor.h>

namespace bertology {

using StateDict = std::map<std::string, Tensor>;

}  // namespace bertology

// What the restricted unpickler lets a PyTorch pickle refer to: the allowed globals, the calls
// that rebuild tensors and OrderedDicts, and the persistent ids that name storages.
#pragma once
#include <string>

#include <bertology/models/checkpoint/pickle_value.h>

namespace bertology {

// "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch.FloatStorage", ...
bool is_allowed_global(const std::string& qualified_name);

// REDUCE: calls an allowed global with an argument tuple and returns the new value.
PickleValue* call_allowed_global(const PickleValue& callable, const PickleValue& args, PickleArena& arena,
                                 const std::string& path);

// BINPERSID: ("storage", <storage type>, key, location, numel[, view metadata]) -> a Storage value.
PickleValue* storage_from_persistent_id(const PickleValue& pid, PickleArena& arena, const std::string& path);

}  // namespace bertology

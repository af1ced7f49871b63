// A restricted unpickler for PyTorch checkpoints: it knows only the opcodes a state dict uses and
// the globals that rebuild tensors (storages, _rebuild_tensor_v2, OrderedDict); it never runs code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include <bertology/models/checkpoint/pickle_value.h>

namespace bertology {

// Unpickles one object from data[0, size), stopping at its STOP opcode. Values are created in
// arena; *bytes_read (if given) receives the pickle's length. Throws Error prefixed by `path`
// for any other global ("refusing to load global 'os.system' ..."), unknown opcodes, or
// malformed input.
const PickleValue* unpickle(const uint8_t* data, size_t size, PickleArena& arena, const std::string& path,
                            size_t* bytes_read = nullptr);

}  // namespace bertology

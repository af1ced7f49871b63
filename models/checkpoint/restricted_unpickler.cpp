// The pickle virtual machine, cut down to the opcodes torch.save emits for a state dict
// (protocols 2-5). Everything else — including every global not on the allow list — is refused.
#include "restricted_unpickler.h"

#include <algorithm>
#include <cstring>
#include <unordered_map>

#include <bertology/tensor/error.h>

#include "torch_pickle_objects.h"

namespace bertology {

const char* kind_name(PickleValue::Kind kind) {
  switch (kind) {
    case PickleValue::Kind::None: return "None";
    case PickleValue::Kind::Bool: return "bool";
    case PickleValue::Kind::Int: return "int";
    case PickleValue::Kind::LongInt: return "long int";
    case PickleValue::Kind::Float: return "float";
    case PickleValue::Kind::String: return "string";
    case PickleValue::Kind::Bytes: return "bytes";
    case PickleValue::Kind::Tuple: return "tuple";
    case PickleValue::Kind::List: return "list";
    case PickleValue::Kind::Dict: return "dict";
    case PickleValue::Kind::Global: return "global";
    case PickleValue::Kind::Storage: return "storage";
    case PickleValue::Kind::Tensor: return "tensor";
  }
  return "value";
}

namespace {

using Kind = PickleValue::Kind;

// Opcode bytes, named as in CPython's Lib/pickle.py.
enum Opcode : uint8_t {
  MARK = '(', STOP = '.', POP = '0', POP_MARK = '1', DUP = '2', BINFLOAT = 'G', BININT = 'J',
  BININT1 = 'K', BININT2 = 'M', NONE = 'N', BINPERSID = 'Q', REDUCE = 'R', BINUNICODE = 'X',
  EMPTY_LIST = ']', APPEND = 'a', BUILD = 'b', GLOBAL = 'c', APPENDS = 'e', BINGET = 'h',
  LONG_BINGET = 'j', BINPUT = 'q', LONG_BINPUT = 'r', SETITEM = 's', TUPLE = 't', SETITEMS = 'u',
  EMPTY_DICT = '}', EMPTY_TUPLE = ')', BINBYTES = 'B', SHORT_BINBYTES = 'C',
  PROTO = 0x80, TUPLE1 = 0x85, TUPLE2 = 0x86, TUPLE3 = 0x87, NEWTRUE = 0x88, NEWFALSE = 0x89,
  LONG1 = 0x8a, LONG4 = 0x8b, SHORT_BINUNICODE = 0x8c, BINUNICODE8 = 0x8d, BINBYTES8 = 0x8e,
  STACK_GLOBAL = 0x93, MEMOIZE = 0x94, FRAME = 0x95,
};

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, PickleArena& arena, const std::string& path)
      : data_(data), size_(size), arena_(arena), path_(path) {}

  const PickleValue* run(size_t* bytes_read) {
    while (true) {
      opcode_at_ = at_;
      const uint8_t opcode = read_byte();
      if (opcode == STOP) {
        PickleValue* result = pop();
        if (bytes_read) *bytes_read = at_;
        return result;
      }
      execute(opcode);
    }
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(concat(path_, ": ", what, " at byte ", opcode_at_, " of the pickle"));
  }

  // ---- reading the byte stream ------------------------------------------------------------
  const uint8_t* take(uint64_t count) {
    if (count > size_ - at_) fail("pickle data ends early");
    const uint8_t* start = data_ + at_;
    at_ += count;
    return start;
  }
  uint8_t read_byte() { return *take(1); }
  uint64_t read_uint(int bytes) {
    const uint8_t* p = take(bytes);
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i) value = (value << 8) | p[i];
    return value;
  }
  std::string read_text(uint64_t length) {
    const uint8_t* p = take(length);
    return std::string(reinterpret_cast<const char*>(p), length);
  }
  std::string read_line() {  // GLOBAL's "module\n" and "name\n"
    const uint8_t* start = data_ + at_;
    const void* newline = std::memchr(start, '\n', std::min<size_t>(size_ - at_, 256));
    if (!newline) fail("malformed GLOBAL opcode");
    const size_t length = static_cast<const uint8_t*>(newline) - start;
    at_ += length + 1;
    return std::string(reinterpret_cast<const char*>(start), length);
  }

  // ---- the stack -------------------------------------------------------------------------
  PickleValue* make(Kind kind) { return arena_.make(kind); }
  void push(PickleValue* value) { stack_.push_back(value); }
  PickleValue* top() {
    if (stack_.empty() || stack_.size() == current_mark()) fail("pickle stack underflow");
    return stack_.back();
  }
  PickleValue* pop() {
    PickleValue* value = top();
    stack_.pop_back();
    return value;
  }
  size_t current_mark() const { return marks_.empty() ? 0 : marks_.back(); }
  // Everything pushed since the last MARK, which is removed.
  std::vector<PickleValue*> pop_to_mark() {
    if (marks_.empty()) fail("pickle has no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    std::vector<PickleValue*> items(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return items;
  }
  PickleValue* container(Kind kind) {
    PickleValue* value = top();
    if (value->kind != kind) fail(concat("pickle adds items to a ", kind_name(value->kind), ", expected a ", kind_name(kind)));
    return value;
  }

  void push_int(int64_t value) {
    PickleValue* v = make(Kind::Int);
    v->integer = value;
    push(v);
  }
  void push_string(Kind kind, uint64_t length) {
    PickleValue* v = make(kind);
    v->text = read_text(length);
    push(v);
  }
  void push_tuple(std::vector<PickleValue*> items) {
    PickleValue* v = make(Kind::Tuple);
    v->items = std::move(items);
    push(v);
  }
  void push_tuple_of(size_t count) {
    if (stack_.size() < current_mark() + count) fail("pickle stack underflow");
    std::vector<PickleValue*> items(stack_.end() - count, stack_.end());
    stack_.resize(stack_.size() - count);
    push_tuple(std::move(items));
  }
  // LONG1 / LONG4: little-endian two's complement of `length` bytes.
  void push_long(uint64_t length) {
    const uint8_t* p = take(length);
    if (length > 8) {
      PickleValue* v = make(Kind::LongInt);
      v->text.assign(reinterpret_cast<const char*>(p), length);
      push(v);
      return;
    }
    uint64_t bits = 0;
    for (uint64_t i = length; i-- > 0;) bits = (bits << 8) | p[i];
    if (length > 0 && length < 8 && (p[length - 1] & 0x80)) bits |= ~uint64_t{0} << (8 * length);  // sign-extend
    push_int(static_cast<int64_t>(bits));
  }
  void push_global(const std::string& module, const std::string& name) {
    const std::string qualified = module + "." + name;
    if (!is_allowed_global(qualified))
      throw Error(concat(path_, ": refusing to load global '", qualified,
                         "' (only tensor rebuild functions, storage types and OrderedDict are allowed)"));
    PickleValue* v = make(Kind::Global);
    v->text = qualified;
    push(v);
  }
  void memo_put(uint64_t index) { memo_[index] = top(); }
  void memo_get(uint64_t index) {
    auto found = memo_.find(index);
    if (found == memo_.end()) fail(concat("pickle refers to memo entry ", index, ", which was never stored"));
    push(found->second);
  }
  void set_items(const std::vector<PickleValue*>& items) {
    if (items.size() % 2 != 0) fail("SETITEMS with an odd number of items");
    PickleValue* dict = container(Kind::Dict);
    for (size_t i = 0; i < items.size(); i += 2) dict->entries.emplace_back(items[i], items[i + 1]);
  }

  void execute(uint8_t opcode) {
    switch (opcode) {
      case PROTO:
        if (read_byte() > 5) fail("unsupported pickle protocol");
        return;
      case FRAME: read_uint(8); return;  // a length hint only
      case MARK: marks_.push_back(stack_.size()); return;
      case POP: pop(); return;
      case POP_MARK: pop_to_mark(); return;
      case DUP: push(top()); return;
      case NONE: push(make(Kind::None)); return;
      case NEWTRUE:
      case NEWFALSE: {
        PickleValue* v = make(Kind::Bool);
        v->boolean = opcode == NEWTRUE;
        push(v);
        return;
      }
      case BININT: push_int(static_cast<int32_t>(read_uint(4))); return;
      case BININT1: push_int(read_uint(1)); return;
      case BININT2: push_int(read_uint(2)); return;
      case LONG1: push_long(read_uint(1)); return;
      case LONG4: push_long(read_uint(4)); return;
      case BINFLOAT: {
        const uint64_t bits = read_uint_big_endian(8);
        PickleValue* v = make(Kind::Float);
        std::memcpy(&v->real, &bits, sizeof bits);
        push(v);
        return;
      }
      case SHORT_BINUNICODE: push_string(Kind::String, read_uint(1)); return;
      case BINUNICODE: push_string(Kind::String, read_uint(4)); return;
      case BINUNICODE8: push_string(Kind::String, read_uint(8)); return;
      case SHORT_BINBYTES: push_string(Kind::Bytes, read_uint(1)); return;
      case BINBYTES: push_string(Kind::Bytes, read_uint(4)); return;
      case BINBYTES8: push_string(Kind::Bytes, read_uint(8)); return;
      case EMPTY_TUPLE: push_tuple({}); return;
      case TUPLE: push_tuple(pop_to_mark()); return;
      case TUPLE1: push_tuple_of(1); return;
      case TUPLE2: push_tuple_of(2); return;
      case TUPLE3: push_tuple_of(3); return;
      case EMPTY_LIST: push(make(Kind::List)); return;
      case EMPTY_DICT: push(make(Kind::Dict)); return;
      case APPEND: {
        PickleValue* item = pop();
        container(Kind::List)->items.push_back(item);
        return;
      }
      case APPENDS: {
        std::vector<PickleValue*> items = pop_to_mark();
        PickleValue* list = container(Kind::List);
        list->items.insert(list->items.end(), items.begin(), items.end());
        return;
      }
      case SETITEM: {
        PickleValue* value = pop();
        PickleValue* key = pop();
        set_items({key, value});
        return;
      }
      case SETITEMS: set_items(pop_to_mark()); return;
      case BINPUT: memo_put(read_uint(1)); return;
      case LONG_BINPUT: memo_put(read_uint(4)); return;
      case MEMOIZE: memo_put(memo_.size()); return;
      case BINGET: memo_get(read_uint(1)); return;
      case LONG_BINGET: memo_get(read_uint(4)); return;
      case GLOBAL: {
        const std::string module = read_line();
        push_global(module, read_line());
        return;
      }
      case STACK_GLOBAL: {
        PickleValue* name = pop();
        PickleValue* module = pop();
        if (name->kind != Kind::String || module->kind != Kind::String) fail("malformed STACK_GLOBAL");
        push_global(module->text, name->text);
        return;
      }
      case REDUCE: {
        PickleValue* args = pop();
        PickleValue* callable = pop();
        push(call_allowed_global(*callable, *args, arena_, path_));
        return;
      }
      case BUILD:
        // Sets an object's state, e.g. the `_metadata` attribute torch gives a state dict's
        // OrderedDict. Such state is never needed to read tensors, so it is dropped.
        pop();
        top();
        return;
      case BINPERSID: push(storage_from_persistent_id(*pop(), arena_, path_)); return;
      default:
        fail(concat("unsupported pickle opcode 0x", hex_byte(opcode)));
    }
  }

  uint64_t read_uint_big_endian(int bytes) {
    const uint8_t* p = take(bytes);
    uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | p[i];
    return value;
  }
  static std::string hex_byte(uint8_t byte) {
    const char* digits = "0123456789abcdef";
    return {digits[byte >> 4], digits[byte & 15]};
  }

  const uint8_t* data_;
  size_t size_;
  size_t at_ = 0;
  size_t opcode_at_ = 0;
  PickleArena& arena_;
  const std::string& path_;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

}  // namespace

const PickleValue* unpickle(const uint8_t* data, size_t size, PickleArena& arena, const std::string& path,
                            size_t* bytes_read) {
  return Unpickler(data, size, arena, path).run(bytes_read);
}

}  // namespace bertology

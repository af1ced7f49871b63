// A string -> value hash map with open addressing, for the tokenizers' hot lookups (a vocabulary
// probe per WordPiece candidate, a cache probe per BPE word): string_view lookups, no nodes.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace bertology {

template <class Value>
class FlatStringMap {
 public:
  // The value of key, or nullptr.
  const Value* find(std::string_view key) const {
    if (slots_.empty()) return nullptr;
    const uint64_t hash = hash_of(key);
    for (std::size_t i = hash & mask(); slots_[i].index != kEmpty; i = (i + 1) & mask()) {
      const Slot& slot = slots_[i];
      if (slot.hash == hash && keys_[slot.index] == key) return &values_[slot.index];
    }
    return nullptr;
  }

  // Sets key's value, adding key if absent.
  void assign(std::string_view key, Value value) {
    if ((keys_.size() + 1) * 2 > slots_.size()) grow();  // keep the load factor <= 1/2
    const uint64_t hash = hash_of(key);
    std::size_t i = hash & mask();
    for (; slots_[i].index != kEmpty; i = (i + 1) & mask()) {
      if (slots_[i].hash == hash && keys_[slots_[i].index] == key) {
        values_[slots_[i].index] = std::move(value);
        return;
      }
    }
    slots_[i] = Slot{hash, static_cast<uint32_t>(keys_.size())};
    keys_.emplace_back(key);
    values_.push_back(std::move(value));
  }

  std::size_t size() const { return keys_.size(); }

 private:
  static constexpr uint32_t kEmpty = UINT32_MAX;
  struct Slot {
    uint64_t hash;
    uint32_t index;  // into keys_ and values_
  };
  static uint64_t hash_of(std::string_view key) { return std::hash<std::string_view>{}(key); }
  std::size_t mask() const { return slots_.size() - 1; }

  void grow() {
    std::vector<Slot> old(slots_.empty() ? 16 : slots_.size() * 2, Slot{0, kEmpty});
    old.swap(slots_);
    for (const Slot& slot : old) {
      if (slot.index == kEmpty) continue;
      std::size_t i = slot.hash & mask();
      while (slots_[i].index != kEmpty) i = (i + 1) & mask();
      slots_[i] = slot;
    }
  }

  std::vector<Slot> slots_;  // size: a power of two
  std::vector<std::string> keys_;
  std::vector<Value> values_;
};

}  // namespace bertology

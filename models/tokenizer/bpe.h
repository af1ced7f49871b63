// Byte-pair encoding by merge rank (GPT-2, OpenAI GPT): adjacent symbols are merged lowest
// rank first, as HF tokenizers' BPE model does, plus a per-thread cache of encoded words.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <tbb/enumerable_thread_specific.h>

#include "flat_string_map.h"
#include "vocab.h"

namespace bertology {

class BpeMerges {
 public:
  explicit BpeMerges(const std::vector<Merge>& merges);  // rank = position in merges

  // Merges symbols (vocabulary ids) in place until no adjacent pair has a rank.
  // A heap of candidate pairs keeps this O(n log n), so a 1 MB "word" is no problem.
  void apply(std::vector<int32_t>& symbols) const;

 private:
  struct Entry {
    int32_t rank, merged;
  };
  static uint64_t key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  std::unordered_map<uint64_t, Entry> table_;  // (left, right) -> (rank, merged id)
};

// word (bytes) -> ids. Each thread fills its own table, so the hot path takes no lock and
// two threads never write to a shared cache line; a table stops growing at `capacity` words.
class BpeCache {
 public:
  explicit BpeCache(std::size_t capacity = 50000) : tables_(Local(capacity)) {}

  class Local {
   public:
    explicit Local(std::size_t capacity) : capacity_(capacity) {}
    // Appends the cached ids of word to ids and returns true, or returns false.
    bool get(std::string_view word, std::vector<int32_t>& ids) const {
      const std::vector<int32_t>* cached = map_.find(word);
      if (cached) ids.insert(ids.end(), cached->begin(), cached->end());
      return cached != nullptr;
    }
    void put(std::string_view word, const int32_t* ids, std::size_t n) {
      if (word.size() <= kMaxWordBytes && map_.size() < capacity_)
        map_.assign(word, std::vector<int32_t>(ids, ids + n));
    }

   private:
    std::size_t capacity_;
    FlatStringMap<std::vector<int32_t>> map_;
  };

  // The calling thread's table.
  Local& local() const { return tables_.local(); }

  static constexpr std::size_t kMaxWordBytes = 256;  // longer words are not cached

 private:
  mutable tbb::enumerable_thread_specific<Local> tables_;
};

}  // namespace bertology

// The BPE merge loop (a min-heap over (rank, position) with a linked list of live symbols,
// the algorithm of HF tokenizers' Word::merge_all).
#include "bpe.h"

#include <functional>
#include <queue>
#include <tuple>

namespace bertology {

BpeMerges::BpeMerges(const std::vector<Merge>& merges) {
  table_.reserve(merges.size() * 2);
  for (std::size_t rank = 0; rank < merges.size(); ++rank) {
    const Merge& m = merges[rank];
    // A pair listed twice keeps its first (best) rank.
    table_.emplace(key(m.left, m.right), Entry{static_cast<int32_t>(rank), m.merged});
  }
}

void BpeMerges::apply(std::vector<int32_t>& symbols) const {
  const int n = static_cast<int>(symbols.size());
  if (n < 2) return;
  // Candidate merge: lowest rank first, then leftmost position.
  using Candidate = std::tuple<int32_t, int, int32_t>;  // (rank, position, merged id)
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<Candidate>> heap;
  std::vector<int> prev(n), next(n);  // links between live symbols; -1 / n at the ends
  std::vector<char> alive(n, 1);
  const auto push_pair = [&](int left, int right) {
    auto it = table_.find(key(symbols[left], symbols[right]));
    if (it != table_.end()) heap.emplace(it->second.rank, left, it->second.merged);
  };
  for (int i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1;
    if (i + 1 < n) push_pair(i, i + 1);
  }
  while (!heap.empty()) {
    const auto [rank, pos, merged] = heap.top();
    heap.pop();
    if (!alive[pos] || next[pos] >= n) continue;
    const int right = next[pos];
    // Skip a stale candidate: the pair at pos changed since it was pushed.
    auto it = table_.find(key(symbols[pos], symbols[right]));
    if (it == table_.end() || it->second.merged != merged) continue;
    symbols[pos] = merged;
    alive[right] = 0;
    next[pos] = next[right];
    if (next[right] < n) prev[next[right]] = pos;
    if (prev[pos] >= 0) push_pair(prev[pos], pos);
    if (next[pos] < n) push_pair(pos, next[pos]);
  }
  int out = 0;
  for (int i = 0; i < n; ++i)
    if (alive[i]) symbols[out++] = symbols[i];
  symbols.resize(out);
}

}  // namespace bertology

// Where a pass spends its time, by part of the model. The models label their parts with
// profile::Scope ("attention heads", "feed-forward"); while a profile is collecting, each
// label gets the wall time of its scopes (forward) and of the backward of every graph node
// recorded inside them (backward). bertology_bench uses it for the time the heads take, which
// is what pruning half of them can save. Off by default: a scope then costs an atomic load.
// Scopes and graph recording are followed on the thread that opens them: a node recorded on a
// worker thread gets no label (the models record their graphs on the calling thread).
//
//   profile::start();
//   auto losses = ...;  grad(loss, {head_mask});
//   for (const profile::Part& p : profile::stop()) ...  // p.label, p.forward_seconds, ...
//
// Times are the host's wall clock: on the CPU that is the work itself; CUDA work runs
// asynchronously, so there a scope measures only the launches.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace bertology::profile {

struct Part {
  std::string label;
  double forward_seconds = 0;   // scopes' own time: a nested scope's time goes to its label only
  double backward_seconds = 0;  // backward of the graph nodes recorded inside the scopes
  int64_t scopes = 0;           // how many scopes with this label ran
};

void start();              // clears what an earlier profile collected and starts collecting
std::vector<Part> stop();  // stops; the parts by label, in alphabetical order
bool collecting();

// Labels the work done on this thread while the scope lives. `label` must outlive the
// profile (a string literal).
class Scope {
 public:
  explicit Scope(const char* label);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool active_;
};

// The label of the innermost live scope on this thread, or nullptr: record_node keeps it on
// the node so that the engine can time the node's backward under it.
const char* current_label();
void add_backward_time(const char* label, double seconds);

}  // namespace bertology::profile

// The profile's state: one table of parts for the process (a mutex: scopes are few, one or two
// per layer) and a stack of open scopes per thread.
#include <bertology/autograd/profile.h>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>

namespace bertology::profile {
namespace {

using Clock = std::chrono::steady_clock;

std::atomic<bool> g_collecting{false};
std::mutex g_mutex;
std::map<std::string, Part> g_parts;  // by label

struct OpenScope {
  const char* label;
  Clock::time_point start;
  double children_seconds = 0;  // time of the scopes nested in this one
};
thread_local std::vector<OpenScope> t_open;

Part& part_of(const char* label) {  // under g_mutex
  Part& p = g_parts[label];
  p.label = label;
  return p;
}

}  // namespace

void start() {
  std::lock_guard<std::mutex> lock(g_mutex);
  g_parts.clear();
  g_collecting.store(true);
}

std::vector<Part> stop() {
  g_collecting.store(false);
  std::lock_guard<std::mutex> lock(g_mutex);
  std::vector<Part> parts;
  for (const auto& [label, part] : g_parts) parts.push_back(part);
  return parts;
}

bool collecting() { return g_collecting.load(std::memory_order_relaxed); }

Scope::Scope(const char* label) : active_(collecting()) {
  if (active_) t_open.push_back({label, Clock::now()});
}

Scope::~Scope() {
  if (!active_ || t_open.empty()) return;
  const OpenScope scope = t_open.back();
  t_open.pop_back();
  const double seconds = std::chrono::duration<double>(Clock::now() - scope.start).count();
  if (!t_open.empty()) t_open.back().children_seconds += seconds;
  std::lock_guard<std::mutex> lock(g_mutex);
  Part& p = part_of(scope.label);
  p.forward_seconds += seconds - scope.children_seconds;
  p.scopes += 1;
}

const char* current_label() {
  if (!collecting() || t_open.empty()) return nullptr;
  return t_open.back().label;
}

void add_backward_time(const char* label, double seconds) {
  std::lock_guard<std::mutex> lock(g_mutex);
  part_of(label).backward_seconds += seconds;
}

}  // namespace bertology::profile

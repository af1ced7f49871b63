#include <bertology/models/checkpoint/interrupt_cleanup.h>

#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>
#include <unistd.h>

namespace bertology {
namespace {

std::mutex g_mutex;
std::map<std::string, int> g_unfinished;  // path -> how many writers hold it
int g_pipe[2] = {-1, -1};                  // the handler writes the signal's number to [1]

extern "C" void on_interrupt(int signal_number) {
  const unsigned char byte = static_cast<unsigned char>(signal_number);
  [[maybe_unused]] const ssize_t ignored = ::write(g_pipe[1], &byte, 1);  // async-signal-safe
}

// Waits for a signal's byte, removes what is unfinished, and ends the process.
void wait_and_clean_up() {
  unsigned char byte = 0;
  while (::read(g_pipe[0], &byte, 1) != 1) {
  }
  std::lock_guard<std::mutex> lock(g_mutex);
  for (const auto& [path, holders] : g_unfinished) {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  ::_exit(128 + byte);
}

}  // namespace

void remove_unfinished_outputs_on_interrupt() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (::pipe2(g_pipe, O_CLOEXEC) != 0) return;  // no pipe: signals keep their default action
    std::thread(wait_and_clean_up).detach();
    struct sigaction action {};
    action.sa_handler = on_interrupt;
    action.sa_flags = SA_RESTART;  // interrupted reads and writes go on
    sigemptyset(&action.sa_mask);
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
      struct sigaction before {};
      ::sigaction(signal_number, nullptr, &before);
      if (before.sa_handler == SIG_IGN) continue;  // ignored on entry (nohup, `&` in a script): stays so
      ::sigaction(signal_number, &action, nullptr);
    }
  });
}

void UnfinishedOutput::hold(const std::string& path) {
  release();
  std::lock_guard<std::mutex> lock(g_mutex);
  path_ = path;
  ++g_unfinished[path_];
}

void UnfinishedOutput::release() {
  if (path_.empty()) return;
  std::lock_guard<std::mutex> lock(g_mutex);
  if (auto it = g_unfinished.find(path_); it != g_unfinished.end() && --it->second == 0) g_unfinished.erase(it);
  path_.clear();
}

}  // namespace bertology

// Drawing the progress bar (see progress.h).
#include "progress.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <unistd.h>

namespace bertology::cli {

ProgressBar::ProgressBar(std::string label, bool enabled)
    : label_(std::move(label)), enabled_(enabled), start_(std::chrono::steady_clock::now()), last_draw_() {}

bool ProgressBar::wanted(bool quiet) { return !quiet && ::isatty(STDERR_FILENO); }

void ProgressBar::update(int64_t done, int64_t total) {
  if (!enabled_ || total <= 0) return;
  auto now = std::chrono::steady_clock::now();
  const bool finished = done >= total;
  if (!finished && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
  const int width = 30;
  const int filled = static_cast<int>(width * done / total);
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr, "\r%-22s [%s] %lld/%lld  %.1f ex/s  %s %.0fs   ", label_.c_str(), bar.c_str(),
               static_cast<long long>(done), static_cast<long long>(total), rate, finished ? "took" : "ETA",
               finished ? elapsed : eta);
  if (finished) std::fputc('\n', stderr);
  std::fflush(stderr);
}

RunObserver console_observer(bool quiet) {
  RunObserver observer;
  observer.log = [quiet](const std::string& line) {
    if (!quiet) std::cout << line << (line.empty() || line.back() != '\n' ? "\n" : "") << std::flush;
  };
  observer.colour = ::isatty(1) != 0;
  const bool bars = ProgressBar::wanted(quiet);
  observer.progress = [bars](const std::string& label) {
    auto bar = std::make_shared<ProgressBar>(label, bars);
    return std::function<void(int64_t, int64_t)>([bar](int64_t done, int64_t total) { bar->update(done, total); });
  };
  return observer;
}

}  // namespace bertology::cli

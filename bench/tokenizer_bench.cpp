// Tokenizer throughput (MB/s of UTF-8 text and tokens/s) over a text corpus, line by line with
// encode_batch, on 1 and 2 threads, for BERT WordPiece and GPT-2 byte-level BPE.
//
// usage: tokenizer_bench --corpus DIR [--tokenizers DIR] [Google Benchmark flags]
//   --corpus DIR      every *.txt file in DIR is read (e.g. the six Austen novels); the env var
//                     BERTOLOGY_BENCH_CORPUS is used when the flag is absent
//   --tokenizers DIR  holds bert_uncased/ and gpt2/ model folders (default: the repository's
//                     tests/data/tokenizer)
// e.g. build/bench/tokenizer_bench --corpus DIR_WITH_THE_NOVELS --benchmark_min_time=2s
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <bertology/models/tokenizer/load_tokenizer.h>

namespace {

namespace fs = std::filesystem;

struct Corpus {
  std::vector<std::string> lines;
  std::size_t bytes = 0;  // UTF-8 bytes of all lines (newlines not counted)
};

Corpus& corpus() {
  static Corpus c;
  return c;
}
std::string& tokenizer_root() {
  static std::string root = (fs::path(__FILE__).parent_path().parent_path() / "tests" / "data" /
                             "tokenizer").string();
  return root;
}

void load_corpus(const std::string& dir) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".txt") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no .txt files in corpus folder " + dir);
  for (const auto& path : files) {
    std::ifstream in(path);
    for (std::string line; std::getline(in, line);) {
      corpus().bytes += line.size();
      corpus().lines.push_back(std::move(line));
    }
  }
}

// state.range(0) = threads. One iteration encodes the whole corpus once.
void encode_corpus(benchmark::State& state, const char* model) {
  static std::unique_ptr<bertology::Tokenizer> tokenizers[2];
  auto& tokenizer = tokenizers[std::string(model) == "gpt2"];
  if (!tokenizer) tokenizer = bertology::load_tokenizer(tokenizer_root() + "/" + model);
  tbb::task_arena arena(static_cast<int>(state.range(0)));
  std::size_t tokens = 0;
  for (auto _ : state) {
    arena.execute([&] {
      const auto encodings = tokenizer->encode_batch(corpus().lines);
      for (const auto& e : encodings) tokens += e.ids.size();
      benchmark::DoNotOptimize(encodings.data());
    });
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * corpus().bytes));
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens),
                                                  benchmark::Counter::kIsRate);
  state.counters["MB/s"] = benchmark::Counter(
      static_cast<double>(state.iterations() * corpus().bytes) / 1e6, benchmark::Counter::kIsRate);
}

// Rates use wall-clock time; the CPU column is the whole process's CPU time (all threads), so
// on a busy machine CPU time / threads shows what the threads would do on free cores.
BENCHMARK_CAPTURE(encode_corpus, bert, "bert_uncased")
    ->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)
    ->UseRealTime()->MeasureProcessCPUTime();
BENCHMARK_CAPTURE(encode_corpus, gpt2, "gpt2")
    ->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)
    ->UseRealTime()->MeasureProcessCPUTime();

}  // namespace

int main(int argc, char** argv) {
  // Take our own flags out before Google Benchmark sees the rest.
  std::string corpus_dir;
  if (const char* env = std::getenv("BERTOLOGY_BENCH_CORPUS")) corpus_dir = env;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if ((arg == "--corpus" || arg == "--tokenizers") && i + 1 < argc) {
      (arg == "--corpus" ? corpus_dir : tokenizer_root()) = argv[++i];
    } else {
      rest.push_back(argv[i]);
    }
  }
  if (corpus_dir.empty()) {
    std::cerr << "usage: tokenizer_bench --corpus DIR [--tokenizers DIR] [benchmark flags]\n"
                 "  (or set BERTOLOGY_BENCH_CORPUS=DIR; DIR holds the *.txt corpus files)\n";
    return 2;
  }
  try {
    load_corpus(corpus_dir);
  } catch (const std::exception& e) {
    std::cerr << "tokenizer_bench: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "corpus: " << corpus().lines.size() << " lines, " << corpus().bytes / 1e6
            << " MB from " << corpus_dir << "\n";
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

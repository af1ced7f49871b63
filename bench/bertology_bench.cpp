// Whole-model benchmark (issue 7): BERT-base and GPT-2 small with random weights, batch 8 x 128,
// forward / importance pass (head-mask gradient only) / full backward, next to a raw sgemm.
//
// Run: build-bench/bench/bertology_bench [--model bert|gpt2|all] [--threads 2] [--repeats 3]
//        [--json FILE] [--batch 8] [--seq 128] [--layers 12]   (the last three for smoke tests)
//        [--pass forward|importance|full|all]                  (one pass, e.g. under perf)
//        [--pairs N]  (BERT-base and its half-pruned copy alternated N times in one process)
//
// Every measurement runs in its own forked child, so each pass has its own peak resident memory:
// the child's high-water mark (VmHWM) is reset once the model is built (/proc/self/clear_refs),
// so the peak is weights + the pass's activations and gradients, not the initialisation's
// temporaries (where the reset is refused: getrusage ru_maxrss, initialisation included). The
// parent starts no threads and touches no tensors; the children report back through a pipe.
#include <cblas.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <bertology/autograd/autograd.h>
#include <bertology/autograd/profile.h>
#include <bertology/models/config.h>
#include <bertology/models/load_model.h>
#include <bertology/models/model.h>
#include <bertology/tensor/backend.h>
#include <bertology/tensor/openblas_setup.h>
#include <bertology/tensor/parallel.h>

using namespace bertology;

extern "C" void openblas_set_num_threads(int);

namespace {

struct Options {
  std::string model = "all";  // bert | gpt2 | all
  int threads = 2;
  int repeats = 3;
  std::string json_path;
  int64_t batch = 8;
  int64_t seq = 128;
  int64_t layers = 12;
  std::string pass = "all";  // forward | importance | full | all (one pass: for profiling)
  std::string device = "cpu";  // cpu | cuda (a build with BERTOLOGY_CUDA; each pass ends with a device sync)
  int pairs = 0;  // > 0: also BERT-base and its half-pruned copy alternated in one process, this many pairs
};

// ---- model configurations ---------------------------------------------------------------------

std::string bert_base_json(int64_t layers) {
  std::ostringstream s;
  s << R"({"model_type": "bert", "architectures": ["BertModel"], "vocab_size": 30522,
           "hidden_size": 768, "num_hidden_layers": )"
    << layers << R"(, "num_attention_heads": 12, "intermediate_size": 3072,
           "max_position_embeddings": 512, "type_vocab_size": 2, "hidden_act": "gelu",
           "layer_norm_eps": 1e-12, "initializer_range": 0.02})";
  return s.str();
}

std::string gpt2_small_json(int64_t layers) {
  std::ostringstream s;
  s << R"({"model_type": "gpt2", "architectures": ["GPT2Model"], "vocab_size": 50257,
           "n_embd": 768, "n_layer": )"
    << layers << R"(, "n_head": 12, "n_positions": 1024, "n_inner": null,
           "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5, "initializer_range": 0.02})";
  return s.str();
}

struct Case {
  std::string name;        // "bert-base", "gpt2", "bert-base-pruned-half"
  std::string json;        // config.json text
  bool prune_half = false; // prune heads 0 .. H/2-1 of every layer before measuring
};

// ---- FLOP counting ----------------------------------------------------------------------------
//
// Multiply-adds per token and layer, with E = hidden, I = intermediate, A = kept heads x head
// size (= E unpruned), S = sequence length:
//   Q, K, V projections 3·E·A + output projection A·E   = 4·E·A    (4·E² unpruned)
//   feed-forward up E·I + down I·E                      = 2·E·I    (8·E² for I = 4E)
//   scores Q·Kᵀ S·A + context P·V S·A                   = 2·S·A    (GPT-2: the full S×S is computed)
// FLOPs = 2 × multiply-adds, so unpruned forward per token = 2·12·E²·L + 2·2·S·E·L (≈ 175 MFLOP
// for BERT-base at S = 128); embeddings, layer norms, softmax and GELU are not counted.
// Importance pass (forward + backward to activations, no weight gradients) ≈ 2 × forward;
// full backward (activation and weight gradients) ≈ 3 × forward.
double forward_flops(const ModelConfig& c, const PreTrainedModel& model, int64_t batch, int64_t seq) {
  const double e = static_cast<double>(c.hidden_size), i = static_cast<double>(c.intermediate_size);
  double macs_per_token = 0;
  for (int64_t l = 0; l < c.num_layers; ++l) {
    const double a = static_cast<double>(model.kept_heads(l).size() * c.head_size());
    macs_per_token += 4 * e * a + 2 * e * i + 2 * static_cast<double>(seq) * a;
  }
  return 2.0 * macs_per_token * static_cast<double>(batch * seq);
}

double pass_multiplier(const std::string& pass) {
  if (pass == "importance") return 2.0;
  if (pass == "full") return 3.0;
  return 1.0;
}

// ---- measuring in a child process -------------------------------------------------------------

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// A field of /proc/self/status in MB ("VmRSS:", "VmHWM:"); 0 when absent.
double status_mb(const std::string& field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size())) / 1024.0;
  return 0;
}

// Resets the peak resident memory to the current one; false where the kernel refuses.
bool reset_peak_rss() {
  std::ofstream clear_refs("/proc/self/clear_refs");
  clear_refs << "5";
  clear_refs.flush();
  return static_cast<bool>(clear_refs);
}

// Peak resident memory since the last reset (or since the process started), MB.
double peak_rss_mb(bool was_reset) {
  if (was_reset) return status_mb("VmHWM:");
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // Linux: kilobytes
}

// Runs `body` in a forked child and returns the numbers it produced; empty when the child failed.
std::vector<double> run_in_child(const std::function<std::vector<double>()>& body) {
  int fds[2];
  if (pipe(fds) != 0) throw Error("pipe failed");
  std::cout.flush();
  const pid_t pid = fork();
  if (pid < 0) throw Error("fork failed");
  if (pid == 0) {
    close(fds[0]);
    int code = 0;
    try {
      std::vector<double> values = body();
      const uint64_t n = values.size();
      if (write(fds[1], &n, sizeof n) != static_cast<ssize_t>(sizeof n)) code = 2;
      const ssize_t bytes = static_cast<ssize_t>(n * sizeof(double));
      if (write(fds[1], values.data(), bytes) != bytes) code = 2;
    } catch (const std::exception& e) {
      std::cerr << "  failed: " << e.what() << "\n";
      code = 1;
    }
    close(fds[1]);
    _exit(code);
  }
  close(fds[1]);
  std::vector<double> values;
  uint64_t n = 0;
  if (read(fds[0], &n, sizeof n) == static_cast<ssize_t>(sizeof n)) {
    values.resize(n);
    size_t got = 0;
    char* out = reinterpret_cast<char*>(values.data());
    while (got < n * sizeof(double)) {
      const ssize_t r = read(fds[0], out + got, n * sizeof(double) - got);
      if (r <= 0) break;
      got += static_cast<size_t>(r);
    }
    if (got != n * sizeof(double)) values.clear();
  }
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) values.clear();
  return values;
}

// A 64-bit hash of a float tensor's bits, to check that repeated runs agree bitwise.
uint64_t bits_hash(const Tensor& t) {
  const Tensor c = t.detach().to(Device::cpu()).contiguous();
  const uint32_t* p = static_cast<const uint32_t*>(c.raw_data());
  uint64_t h = 1469598103934665603ull;
  for (int64_t k = 0; k < c.numel(); ++k) h = (h ^ p[k]) * 1099511628211ull;
  return h;
}

// sgemm C (M, N) = A (M, K) · B (K, N) on OpenBLAS's own threads: {GFLOP/s, median seconds}.
// The library keeps OpenBLAS at one thread and cuts products over TBB's threads itself; the
// reference is the plain threaded sgemm: what OpenBLAS alone makes of the hardware. (It runs in a
// child process of its own, so the OpenBLAS setting needs no restoring.)
std::vector<double> measure_sgemm(int threads, int m, int n, int k) {
  set_num_threads(threads);
  openblas_set_num_threads(threads);
  std::vector<float> a(static_cast<size_t>(m) * k, 0.5f), b(static_cast<size_t>(k) * n, 0.25f),
      c(static_cast<size_t>(m) * n);
  std::vector<double> times;
  for (int rep = 0; rep < 23; ++rep) {  // 3 warm-ups, 20 timed
    const auto start = std::chrono::steady_clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f,
                c.data(), n);
    if (rep >= 3) times.push_back(seconds_since(start));
  }
  const double t = median(times);
  return {2.0 * m * n * k / t / 1e9, t};
}

// One model, built and ready to run one pass, with its inputs: run() times one run.
struct PreparedPass {
  ModelConfig config;
  std::unique_ptr<PreTrainedModel> model;
  std::string pass;
  Device device;
  ModelInputs inputs;
  std::vector<Tensor> params;
  double flops = 0;

  PreparedPass(const Case& cs, const std::string& pass_name, const Options& opt)
      : config(parse_config(cs.json, cs.name)), pass(pass_name), device(parse_device(opt.device)) {
    model = init_model(config, /*seed=*/0);
    if (cs.prune_half) {
      std::map<int64_t, std::vector<int64_t>> heads;
      for (int64_t l = 0; l < config.num_layers; ++l)
        for (int64_t h = 0; h < config.num_heads / 2; ++h) heads[l].push_back(h);
      model->prune_heads(heads);
    }
    model->eval();
    model->to(device);  // the CUDA context starts in the child, never in the parent
    flops = forward_flops(config, *model, opt.batch, opt.seq) * pass_multiplier(pass);

    // input_ids (B, S): uniform random tokens; no padding, token types all 0.
    std::mt19937_64 rng(1234);
    std::uniform_int_distribution<int64_t> token(0, config.vocab_size - 1);
    std::vector<int64_t> ids(static_cast<size_t>(opt.batch * opt.seq));
    for (int64_t& id : ids) id = token(rng);
    inputs.input_ids = Tensor::from_vector(ids, {opt.batch, opt.seq});

    for (auto& np : model->named_parameters()) params.push_back(np.second);
    model->requires_grad_(pass == "full");  // importance: ξ's gradient only, no weight gradients
  }

  // The scalar every backward starts from: mean of the squared last hidden state (B, S, E).
  static Tensor loss_of(const ModelOutput& out) { return mean(out.last_hidden_state * out.last_hidden_state); }

  // One run of the pass: {seconds, hash of its result}.
  std::pair<double, uint64_t> run() {
    const auto start = std::chrono::steady_clock::now();
    if (pass == "forward") {
      NoGradGuard no_grad;
      ModelOutput out = model->forward(inputs);
      synchronize(device);
      return {seconds_since(start), bits_hash(out.last_hidden_state)};
    }
    if (pass == "importance") {
      // ξ (L, H) of ones, the only leaf that requires grad, as compute_head_stats does.
      Tensor xi = Tensor::ones({config.num_layers, config.num_heads});
      xi.requires_grad_();
      ModelInputs in = inputs;
      in.head_mask = xi;
      Tensor g = grad(loss_of(model->forward(in)), {xi})[0];  // (L, H)
      synchronize(device);
      return {seconds_since(start), bits_hash(g)};
    }
    // full: every parameter's gradient (not accumulated into .grad)
    std::vector<Tensor> grads = grad(loss_of(model->forward(inputs)), params);
    synchronize(device);
    const double t = seconds_since(start);
    uint64_t hash = 0;
    for (const Tensor& g : grads) hash = hash * 31 + bits_hash(g);
    return {t, hash};
  }

  // One more run, profiled: the share of it spent on work that scales with the heads kept (the
  // models' "attention heads" scopes, forward and backward). On the GPU the scopes would time only
  // the launches: -1.
  double heads_share() {
    if (device.is_cuda()) return -1;
    profile::start();
    const double t = run().first;
    double share = -1;
    for (const profile::Part& part : profile::stop())
      if (part.label == "attention heads") share = (part.forward_seconds + part.backward_seconds) / t;
    return share;
  }
};

// One pass of one model in this (child) process. Returns
// {flops, model RSS MB, peak RSS MB, bitwise repeatable (0/1), heads' share of the time, seconds per run...}.
std::vector<double> measure_pass(const Case& cs, const std::string& pass, const Options& opt) {
  set_num_threads(opt.threads);
  PreparedPass prepared(cs, pass, opt);
  const double model_rss = status_mb("VmRSS:");  // weights, inputs, libraries
  const bool peak_was_reset = reset_peak_rss();

  std::vector<double> times;
  std::vector<uint64_t> hashes;
  for (int rep = 0; rep <= opt.repeats; ++rep) {  // rep 0 is the warm-up
    auto [t, hash] = prepared.run();
    if (rep > 0) times.push_back(t);
    hashes.push_back(hash);
  }
  const bool repeatable = std::all_of(hashes.begin(), hashes.end(), [&](uint64_t h) { return h == hashes[0]; });
  // Profiled after the timed runs, so the timers cannot slow them.
  const double heads_share = prepared.heads_share();
  std::vector<double> result = {prepared.flops, model_rss, peak_rss_mb(peak_was_reset), repeatable ? 1.0 : 0.0,
                                heads_share};
  result.insert(result.end(), times.begin(), times.end());
  return result;
}

// BERT-base and its half-pruned copy in one (child) process, their importance passes alternated
// `pairs` times (the order swapped each pair), so that a slow spell on this shared machine falls
// on both: {heads' share of the unpruned pass (profiled after the pairs), then unpruned and pruned
// seconds of each pair}. Peak memory is not measured here.
std::vector<double> measure_pruned_pairs(const Options& opt) {
  set_num_threads(opt.threads);
  PreparedPass full({"bert-base", bert_base_json(opt.layers), false}, "importance", opt);
  PreparedPass pruned({"bert-base-pruned-half", bert_base_json(opt.layers), true}, "importance", opt);
  full.run();  // one warm-up each
  pruned.run();
  std::vector<double> result = {-1};  // the heads' share, profiled after the timed pairs
  for (int i = 0; i < opt.pairs; ++i) {
    double t_full = 0, t_pruned = 0;
    if (i % 2 == 0) {
      t_full = full.run().first;
      t_pruned = pruned.run().first;
    } else {
      t_pruned = pruned.run().first;
      t_full = full.run().first;
    }
    result.push_back(t_full);
    result.push_back(t_pruned);
  }
  result[0] = full.heads_share();
  return result;
}

// ---- reporting --------------------------------------------------------------------------------

struct Result {
  std::string model, pass;
  bool ok = false;
  double seconds = 0, tokens_per_s = 0, gflop = 0, gflops = 0, fraction_of_sgemm = 0;
  double model_rss_mb = 0, peak_rss_mb = 0;
  double heads_share = -1;  // of the pass's time, in the "attention heads" scopes; -1 unmeasured
  bool repeatable = false;
  std::vector<double> times;
};

Result run_pass(const Case& cs, const std::string& pass, const Options& opt) {
  std::cout << "  " << cs.name << " / " << pass << " ..." << std::flush;
  std::vector<double> v = run_in_child([&] { return measure_pass(cs, pass, opt); });
  Result r;
  r.model = cs.name;
  r.pass = pass;
  if (v.size() < 6) {
    std::cout << " FAILED\n";
    return r;
  }
  r.ok = true;
  r.gflop = v[0] / 1e9;
  r.model_rss_mb = v[1];
  r.peak_rss_mb = v[2];
  r.repeatable = v[3] != 0;
  r.heads_share = v[4];
  r.times.assign(v.begin() + 5, v.end());
  r.seconds = median(r.times);
  r.tokens_per_s = static_cast<double>(opt.batch * opt.seq) / r.seconds;
  r.gflops = r.gflop / r.seconds;
  std::cout << " " << r.seconds << " s\n";
  return r;
}

void print_table(const std::vector<Result>& results) {
  std::printf("\n%-22s %-11s %9s %9s %9s %8s %11s %12s %7s\n", "model", "pass", "seconds", "tokens/s", "GFLOP/s",
              "% sgemm", "peak RSS MB", "model RSS MB", "bitwise");
  for (const Result& r : results) {
    if (!r.ok) {
      std::printf("%-22s %-11s  failed\n", r.model.c_str(), r.pass.c_str());
      continue;
    }
    std::printf("%-22s %-11s %9.3f %9.1f %9.1f %7.1f%% %11.0f %12.0f %7s\n", r.model.c_str(), r.pass.c_str(),
                r.seconds, r.tokens_per_s, r.gflops, 100 * r.fraction_of_sgemm, r.peak_rss_mb, r.model_rss_mb,
                r.repeatable ? "yes" : "NO");
  }
}

const Result* find(const std::vector<Result>& results, const std::string& model, const std::string& pass) {
  for (const Result& r : results)
    if (r.model == model && r.pass == pass && r.ok) return &r;
  return nullptr;
}

// sgemm: {GFLOP/s used for the fractions, before the passes, after them, seconds of the best}.
// measure_pruned_pairs' numbers, summed up: the median speed-up of the pairs, their range, and the
// bar (the speed-up that removing half of the heads' profiled time gives; -1 unmeasured).
struct PairSummary {
  double median = 0, lowest = 0, highest = 0, bar = -1;
};
PairSummary summarize_pairs(const std::vector<double>& paired) {
  std::vector<double> speedups;
  for (size_t i = 1; i + 1 < paired.size(); i += 2) speedups.push_back(paired[i] / paired[i + 1]);
  PairSummary sum;
  sum.median = median(speedups);
  sum.lowest = *std::min_element(speedups.begin(), speedups.end());
  sum.highest = *std::max_element(speedups.begin(), speedups.end());
  if (paired[0] >= 0) sum.bar = 1 / (1 - paired[0] / 2);
  return sum;
}

// paired: measure_pruned_pairs' numbers, or empty.
void write_json(const std::string& path, const Options& opt, const std::string& blas,
                const std::vector<double>& sgemm, const std::vector<Result>& results,
                const std::vector<double>& paired) {
  std::ofstream f(path);
  if (!f) throw Error(concat("cannot write ", path));
  f.precision(9);
  f << "{\n  \"device\": \"" << opt.device << "\",\n  \"threads\": " << opt.threads << ",\n  \"batch\": " << opt.batch << ",\n  \"seq\": " << opt.seq
    << ",\n  \"layers\": " << opt.layers << ",\n  \"repeats\": " << opt.repeats << ",\n"
    << "  \"blas\": \"" << blas << "\",\n"
    << "  \"sgemm\": {\"m\": 1024, \"n\": 768, \"k\": 3072, \"gflops\": " << sgemm[0]
    << ", \"gflops_before\": " << sgemm[1] << ", \"gflops_after\": " << sgemm[2] << ", \"seconds\": " << sgemm[3]
    << "},\n  \"results\": [";
  for (size_t k = 0; k < results.size(); ++k) {
    const Result& r = results[k];
    f << (k ? ",\n" : "\n") << "    {\"model\": \"" << r.model << "\", \"pass\": \"" << r.pass
      << "\", \"ok\": " << (r.ok ? "true" : "false") << ", \"seconds\": " << r.seconds << ", \"times\": [";
    for (size_t t = 0; t < r.times.size(); ++t) f << (t ? ", " : "") << r.times[t];
    f << "], \"tokens_per_s\": " << r.tokens_per_s << ", \"gflop\": " << r.gflop << ", \"gflops\": " << r.gflops
      << ", \"heads_share\": " << r.heads_share << ", \"fraction_of_sgemm\": " << r.fraction_of_sgemm << ", \"peak_rss_mb\": " << r.peak_rss_mb
      << ", \"model_rss_mb\": " << r.model_rss_mb << ", \"bitwise_repeatable\": " << (r.repeatable ? "true" : "false")
      << "}";
  }
  f << "\n  ]";
  const Result* full = find(results, "bert-base", "importance");
  const Result* pruned = find(results, "bert-base-pruned-half", "importance");
  if (full && pruned)
    f << ",\n  \"pruned_importance\": {\"speedup\": " << full->seconds / pruned->seconds
      << ", \"flop_ratio\": " << full->gflop / pruned->gflop << "}";
  if (!paired.empty()) {
    const PairSummary sum = summarize_pairs(paired);
    f << ",\n  \"pruned_pairs\": {\"pairs\": " << (paired.size() - 1) / 2 << ", \"median_speedup\": " << sum.median
      << ", \"bar\": " << sum.bar << ", \"heads_share\": " << paired[0] << ", \"seconds\": [";
    for (size_t i = 1; i + 1 < paired.size(); i += 2)
      f << (i > 1 ? ", " : "") << "[" << paired[i] << ", " << paired[i + 1] << "]";
    f << "]}";
  }
  f << "\n}\n";
}

int usage(const char* argv0) {
  std::cerr << "usage: " << argv0
            << " [--model bert|gpt2|all] [--threads N] [--repeats N] [--json FILE]"
               " [--batch B] [--seq S] [--layers L] [--pass forward|importance|full|all]"
               " [--device cpu|cuda] [--pairs N]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (k + 1 >= argc) return usage(argv[0]);
    const std::string value = argv[++k];
    if (arg == "--model") opt.model = value;
    else if (arg == "--threads") opt.threads = std::stoi(value);
    else if (arg == "--repeats") opt.repeats = std::stoi(value);
    else if (arg == "--json") opt.json_path = value;
    else if (arg == "--batch") opt.batch = std::stoll(value);
    else if (arg == "--seq") opt.seq = std::stoll(value);
    else if (arg == "--layers") opt.layers = std::stoll(value);
    else if (arg == "--pass") opt.pass = value;
    else if (arg == "--device") opt.device = value;
    else if (arg == "--pairs") opt.pairs = std::stoi(value);
    else return usage(argv[0]);
  }
  const bool known_pass =
      opt.pass == "forward" || opt.pass == "importance" || opt.pass == "full" || opt.pass == "all";
  if (opt.pairs > 0 && (opt.model == "gpt2" || opt.pass == "forward" || opt.pass == "full")) {
    std::cerr << "--pairs measures BERT-base's importance pass: use it with --model bert|all and --pass "
                 "importance|all\n";
    return 2;
  }
  if ((opt.model != "bert" && opt.model != "gpt2" && opt.model != "all") || !known_pass || opt.threads < 1 ||
      opt.repeats < 1 || opt.pairs < 0)
    return usage(argv[0]);

  std::vector<Case> cases;
  if (opt.model != "gpt2") cases.push_back({"bert-base", bert_base_json(opt.layers), false});
  if (opt.model != "bert") cases.push_back({"gpt2", gpt2_small_json(opt.layers), false});
  const bool with_pruned = opt.model != "gpt2" && (opt.pass == "all" || opt.pass == "importance");

  std::cout << "bertology_bench: batch " << opt.batch << " x " << opt.seq << " tokens, " << opt.threads
            << " threads, median of " << opt.repeats << " runs after 1 warm-up\n";
  const BlasSetup blas = blas_setup();
  std::cout << "  BLAS: " << blas_description(blas) << "\n";
  // sgemm before and after the passes; the better of the two is the reference (the machine is
  // shared, so a neighbour's load can pull one measurement down).
  auto sgemm_run = [&] { return measure_sgemm(opt.threads, 1024, 768, 3072); };
  const std::vector<double> before = run_in_child(sgemm_run);
  if (before.size() != 2) {
    std::cerr << "sgemm measurement failed\n";
    return 1;
  }
  std::printf("  sgemm 1024x768x3072 (MxNxK), before: %.1f GFLOP/s (%.2f ms)\n", before[0], before[1] * 1e3);

  std::vector<Result> results;
  for (const Case& cs : cases)
    for (const char* pass : {"forward", "importance", "full"})
      if (opt.pass == "all" || opt.pass == pass) results.push_back(run_pass(cs, pass, opt));
  if (with_pruned) {
    const Case pruned{"bert-base-pruned-half", bert_base_json(opt.layers), true};
    results.push_back(run_pass(pruned, "importance", opt));
  }
  std::vector<double> after = run_in_child(sgemm_run);
  if (after.size() != 2) after = before;
  std::printf("  sgemm 1024x768x3072 (MxNxK), after: %.1f GFLOP/s (%.2f ms)\n", after[0], after[1] * 1e3);
  const std::vector<double>& best = after[0] > before[0] ? after : before;
  const std::vector<double> sgemm = {best[0], before[0], after[0], best[1]};
  for (Result& r : results) r.fraction_of_sgemm = r.gflops / sgemm[0];

  print_table(results);
  std::printf("\nsgemm 1024x768x3072: %.1f GFLOP/s (better of before %.1f / after %.1f); %% sgemm = pass GFLOP/s / it.\n",
              sgemm[0], sgemm[1], sgemm[2]);
  const Result* full = find(results, "bert-base", "importance");
  const Result* pruned = find(results, "bert-base-pruned-half", "importance");
  if (full && pruned)
    std::printf("pruned half of the heads, importance pass: %.2fx faster (%.3f s -> %.3f s); FLOP ratio %.2fx\n",
                full->seconds / pruned->seconds, full->seconds, pruned->seconds, full->gflop / pruned->gflop);
  if (full && pruned && full->heads_share >= 0) {
    // Half of the heads took half of the heads' time: the speed-up that removing that time gives.
    const double pruned_share = full->heads_share / 2;
    std::printf("the heads took %.1f%% of the unpruned importance pass (profiled run), so the pruned half took "
                "%.1f%%: removing that time alone makes it %.2fx faster\n",
                100 * full->heads_share, 100 * pruned_share, 1 / (1 - pruned_share));
  }

  std::vector<double> paired;  // {heads' share, then seconds unpruned, pruned, ... per pair}
  bool pairs_ok = true;
  if (opt.pairs > 0) {
    std::cout << "  bert-base and bert-base-pruned-half / importance, alternated, " << opt.pairs << " pairs ..."
              << std::flush;
    paired = run_in_child([&] { return measure_pruned_pairs(opt); });
    pairs_ok = paired.size() == static_cast<size_t>(1 + 2 * opt.pairs);
    if (!pairs_ok) {
      std::cout << " FAILED\n";
      paired.clear();
    }
  }
  if (!paired.empty()) {
    const PairSummary sum = summarize_pairs(paired);
    std::printf("\npruned half of the heads, alternated pair by pair in one process: %.3fx faster (median of %d "
                "pairs; %.3f-%.3f)\n",
                sum.median, opt.pairs, sum.lowest, sum.highest);
    if (paired[0] >= 0)
      std::printf("the heads took %.1f%% of the unpruned pass in that process (profiled run): bar %.3fx\n",
                  100 * paired[0], sum.bar);
  }

  if (!opt.json_path.empty()) {
    write_json(opt.json_path, opt, blas_description(blas), sgemm, results, paired);
    std::cout << "wrote " << opt.json_path << "\n";
  }
  bool all_ok = pairs_ok;
  for (const Result& r : results) all_ok = all_ok && r.ok;
  return all_ok ? 0 : 1;
}

// Kernel benchmarks at BERT-base shapes (batch 8 x 128 tokens): the library's matmul next to a
// raw cblas_sgemm of the same shape, batched per-head products, softmax, layer_norm and GELU.
// Run: build/bench/ops_bench [--benchmark_filter=...]  (threads: BERTOLOGY_NUM_THREADS, default 2)
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <bertology/autograd/autograd.h>

using namespace bertology;

namespace {

void set_gflops(benchmark::State& state, double flops) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}
void set_bytes(benchmark::State& state, double bytes) {
  state.counters["GB/s"] = benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// C (M, N) = A (M, K) · B (K, N)
void BM_LibraryMatmul(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Generator gen(0);
  Tensor a = Tensor::randn({m, k}, gen), b = Tensor::randn({k, n}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(matmul(a, b).raw_data());
  set_gflops(state, 2.0 * m * n * k);
}

void BM_RawSgemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  std::vector<float> a(m * k, 0.5f), b(k * n, 0.25f), c(m * n);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a.data(), k, b.data(), n, 0.0f, c.data(), n);
    benchmark::DoNotOptimize(c.data());
  }
  set_gflops(state, 2.0 * m * n * k);
}

// (B·H, S, D)·(B·H, D, S): one attention score product per head, as strided views of (B, S, H, D).
void BM_BatchedHeadScores(benchmark::State& state) {
  const int64_t b = 8, h = 12, s = 128, d = 64;
  Generator gen(0);
  Tensor q = Tensor::randn({b, s, h, d}, gen).permute({0, 2, 1, 3});
  Tensor k = Tensor::randn({b, s, h, d}, gen).permute({0, 2, 1, 3});
  for (auto _ : state) benchmark::DoNotOptimize(matmul(q, k.transpose(-1, -2)).raw_data());
  set_gflops(state, 2.0 * b * h * s * s * d);
}

void BM_Softmax(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({96, 128, 128}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(softmax(x).raw_data());
  set_bytes(state, 2.0 * x.numel() * sizeof(float));
}

void BM_LayerNorm(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({1024, 768}, gen), w = Tensor::ones({768}), b = Tensor::zeros({768});
  for (auto _ : state) benchmark::DoNotOptimize(layer_norm(x, w, b, 1e-12).raw_data());
  set_bytes(state, 2.0 * x.numel() * sizeof(float));
}

void BM_Gelu(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({1024, 3072}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(gelu(x).raw_data());
  set_bytes(state, 2.0 * x.numel() * sizeof(float));
}

// Shapes as M, N, K: Q/K/V/O projections, FFN up, FFN down.

BENCHMARK(BM_RawSgemm)->Args({1024, 768, 768})->Args({1024, 3072, 768})->Args({1024, 768, 3072})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LibraryMatmul)->Args({1024, 768, 768})->Args({1024, 3072, 768})->Args({1024, 768, 3072})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_BatchedHeadScores)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Softmax)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LayerNorm)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gelu)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  set_num_threads(num_threads() > 2 ? 2 : num_threads());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

// Kernel benchmarks at BERT-base shapes (batch 8 x 128 tokens): the library's matmul next to a
// raw cblas_sgemm of the same shape, batched per-head products, softmax, layer_norm and GELU.
// Run: build/bench/ops_bench [--benchmark_filter=...]  (threads: BERTOLOGY_NUM_THREADS, default 2)
#include <benchmark/benchmark.h>
#include <cblas.h>

#include <chrono>

#include <bertology/autograd/autograd.h>
#include <bertology/tensor/kernels/kernels.h>

using namespace bertology;

extern "C" void openblas_set_num_threads(int);

namespace {

// A raw cblas_sgemm on OpenBLAS's own threads, the reference the library's matmul is measured
// against. The library keeps OpenBLAS at one thread (it cuts products over TBB's threads
// itself), so the threads are given for this call and taken back after it.
void raw_sgemm(int64_t m, int64_t n, int64_t k, const float* a, const float* b, float* c) {
  openblas_set_num_threads(num_threads());
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
  openblas_set_num_threads(1);
}

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
    raw_sgemm(m, n, k, a.data(), b.data(), c.data());
    benchmark::DoNotOptimize(c.data());
  }
  set_gflops(state, 2.0 * m * n * k);
}

// The library's matmul and a raw cblas_sgemm of the same shape, alternated inside one loop so
// both see the same machine load; reports both rates and their ratio (acceptance: >= 0.95).
void BM_MatmulVsRawSgemm(benchmark::State& state) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  Generator gen(0);
  Tensor a = Tensor::randn({m, k}, gen), b = Tensor::randn({k, n}, gen);
  std::vector<float> c(m * n);
  double library_s = 0, raw_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(matmul(a, b).raw_data());
    auto t1 = std::chrono::steady_clock::now();
    raw_sgemm(m, n, k, a.data<float>(), b.data<float>(), c.data());
    benchmark::DoNotOptimize(c.data());
    auto t2 = std::chrono::steady_clock::now();
    library_s += std::chrono::duration<double>(t1 - t0).count();
    raw_s += std::chrono::duration<double>(t2 - t1).count();
  }
  const double flops = 2.0 * m * n * k * static_cast<double>(state.iterations());
  state.counters["library_GFLOP/s"] = flops / library_s / 1e9;
  state.counters["raw_sgemm_GFLOP/s"] = flops / raw_s / 1e9;
  state.counters["ratio"] = raw_s / library_s;
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

// The importance pass's backward through one layer_norm: ∂x only (the weights need no gradient).
void BM_LayerNormBackward(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({1024, 768}, gen), w = Tensor::ones({768}), b = Tensor::zeros({768});
  Tensor dy = Tensor::randn({1024, 768}, gen);
  const kernels::LayerNormResult fwd = kernels::layer_norm(x, w, b, 1e-12);
  for (auto _ : state)
    benchmark::DoNotOptimize(kernels::layer_norm_backward(dy, x, fwd.mean, fwd.rstd, w, true, false, false).dx.raw_data());
  set_bytes(state, 3.0 * x.numel() * sizeof(float));
}

void BM_Gelu(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({1024, 3072}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(gelu(x).raw_data());
  set_bytes(state, 2.0 * x.numel() * sizeof(float));
}

void BM_GeluBackward(benchmark::State& state) {
  Generator gen(0);
  Tensor x = Tensor::randn({1024, 3072}, gen), dy = Tensor::randn({1024, 3072}, gen);
  for (auto _ : state) benchmark::DoNotOptimize(kernels::gelu_backward(dy, x, false).raw_data());
  set_bytes(state, 3.0 * x.numel() * sizeof(float));
}

// The fused attention core of one BERT-base layer (8 x 128 tokens, 12 heads of 64), forward and
// the importance pass's backward: ∂q, ∂k, ∂v and ∂ξ.
struct AttentionInputs {
  Tensor q, k, v, xi, dout;
  AttentionInputs() {
    Generator gen(0);
    q = Tensor::randn({8, 128, 768}, gen);
    k = Tensor::randn({8, 128, 768}, gen);
    v = Tensor::randn({8, 128, 768}, gen);
    xi = Tensor::ones({1, 12});
    dout = Tensor::randn({8, 128, 768}, gen);
  }
};

void BM_AttentionForward(benchmark::State& state) {
  const AttentionInputs in;
  Tensor probs;
  for (auto _ : state)
    benchmark::DoNotOptimize(
        kernels::attention_forward(in.q, in.k, in.v, 12, 0.125, in.xi, Tensor(), Tensor(), probs).raw_data());
}

void BM_AttentionBackward(benchmark::State& state) {
  const AttentionInputs in;
  Tensor probs;
  kernels::attention_forward(in.q, in.k, in.v, 12, 0.125, in.xi, Tensor(), Tensor(), probs);
  Tensor dq = Tensor::empty({8, 128, 768}), dk = Tensor::empty({8, 128, 768}), dv = Tensor::empty({8, 128, 768});
  Tensor dxi;
  for (auto _ : state) {
    kernels::AttentionGradOutputs grads;
    grads.dq = &dq;
    grads.dk = &dk;
    grads.dv = &dv;
    grads.dhead_mask = &dxi;
    kernels::attention_backward(in.dout, in.q, in.k, in.v, 12, 0.125, in.xi, Tensor(), probs, grads);
    benchmark::DoNotOptimize(dxi.raw_data());
  }
}

// Shapes as M, N, K: Q/K/V/O projections, FFN up, FFN down.

BENCHMARK(BM_RawSgemm)->Args({1024, 768, 768})->Args({1024, 3072, 768})->Args({1024, 768, 3072})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LibraryMatmul)->Args({1024, 768, 768})->Args({1024, 3072, 768})->Args({1024, 768, 3072})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_MatmulVsRawSgemm)->Args({1024, 768, 3072})->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);
BENCHMARK(BM_BatchedHeadScores)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Softmax)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LayerNorm)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_LayerNormBackward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Gelu)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_GeluBackward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionForward)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_AttentionBackward)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  set_num_threads(num_threads() > 2 ? 2 : num_threads());
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

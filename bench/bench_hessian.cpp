// HVP cost relative to a gradient, per model (docs/hessian.md has figures).
// Each benchmark times one pass over the same 256-sample batch, BN in eval
// mode as the Hessian module uses it:
//   forward        loss only
//   gradient       forward + backward (what a training step pays)
//   grad_graph     forward + backward with create_graph (first half of an HVP)
//   hvp_cached     second backward only, first-order graph reused (the
//                  module's default while the graph cache fits)
//   hvp_uncached   forward + create_graph backward + second backward
// Threads: NRSBENCH_THREADS (default 1, so shared machines time steadily).
#include "models/registry.h"
#include "suite/hessian/hvp.h"

#include <benchmark/benchmark.h>

#include <cstdlib>

namespace {

using nrs::hessian::HvpOptions;
using nrs::hessian::ModelHessian;

constexpr int64_t kBatch = 256;

struct Setup {
  nrs::models::NetPtr net;
  torch::Tensor x, y;
  explicit Setup(const std::string& name) {
    const char* t = std::getenv("NRSBENCH_THREADS");
    at::set_num_threads(t ? std::atoi(t) : 1);
    torch::manual_seed(0);
    net = nrs::models::make_model(name, nrs::models::ModelSpec{3, 32, 32, 10});
    net->eval();
    x = torch::randn({kBatch, 3, 32, 32});
    y = torch::randint(0, 10, {kBatch}, torch::kInt64);
  }
  std::vector<torch::Tensor> params() const {
    std::vector<torch::Tensor> p;
    for (const auto& t : net->parameters())
      if (t.requires_grad()) p.push_back(t);
    return p;
  }
};

void bm_forward(benchmark::State& st, const std::string& name) {
  Setup s(name);
  torch::NoGradGuard ng;
  for (auto _ : st) benchmark::DoNotOptimize(nrs::hessian::mean_cross_entropy(s.net->forward(s.x), s.y).item<float>());
}

void bm_gradient(benchmark::State& st, const std::string& name) {
  Setup s(name);
  auto p = s.params();
  for (auto _ : st) {
    auto g = torch::autograd::grad({nrs::hessian::mean_cross_entropy(s.net->forward(s.x), s.y)}, p);
    benchmark::DoNotOptimize(g.front().data_ptr());
  }
}

void bm_grad_graph(benchmark::State& st, const std::string& name) {
  Setup s(name);
  auto p = s.params();
  for (auto _ : st) {
    auto g = torch::autograd::grad({nrs::hessian::mean_cross_entropy(s.net->forward(s.x), s.y)}, p, {}, true, true);
    benchmark::DoNotOptimize(g.front().data_ptr());
  }
}

void bm_hvp(benchmark::State& st, const std::string& name, bool cached) {
  Setup s(name);
  HvpOptions o;
  o.batch_size = kBatch;
  o.graph_cache_mb = cached ? 1 << 20 : 0;
  ModelHessian op(*s.net, s.x, s.y, o);
  if (op.cached_batches() != (cached ? 1 : 0)) st.SkipWithError("graph cache not in the expected state");
  auto v = nrs::hessian::seeded_randn(op.dim(), 0, op.vector_options());
  for (auto _ : st) benchmark::DoNotOptimize(op.apply(v).data_ptr());
  st.counters["params"] = static_cast<double>(op.dim());
}

const bool registered = [] {
  for (const std::string m : {"small-cnn", "resnet18-mini", "wrn-16-8-mini"}) {
    benchmark::RegisterBenchmark(("forward/" + m).c_str(), bm_forward, m)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("gradient/" + m).c_str(), bm_gradient, m)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("grad_graph/" + m).c_str(), bm_grad_graph, m)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("hvp_cached/" + m).c_str(), bm_hvp, m, true)->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("hvp_uncached/" + m).c_str(), bm_hvp, m, false)->Unit(benchmark::kMillisecond);
  }
  return true;
}();

}  // namespace

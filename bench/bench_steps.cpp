// Time per training step of each strategy on CPU; report ratios to SGD from
// the same run (this machine is noisy: compare within one invocation).
#include "models/registry.h"
#include "suite/optim/strategies.h"
#include "suite/run/step_cost.h"

#include <benchmark/benchmark.h>

namespace {

using namespace nrs;

struct Variant {
  std::string label;
  optim::StrategyOptions opts;
};

// The step-cost command's variants, so both report the same methods.
std::vector<Variant> variants() {
  std::vector<Variant> v;
  for (const auto& label : step_cost_labels()) v.push_back({label, step_cost_strategy(label)});
  return v;
}

void BM_Step(benchmark::State& state, std::string model, Variant var, models::ModelSpec spec) {
  torch::manual_seed(0);
  auto net = models::make_model(model, spec);
  net->train();
  std::vector<std::pair<std::string, torch::Tensor>> named;
  for (const auto& kv : net->named_parameters()) named.emplace_back(kv.key(), kv.value());
  optim::SgdOptions sgd;
  sgd.weight_decay = 5e-4;
  optim::BaseSgd base(named, sgd);
  auto strat = optim::make_strategy(var.opts, *net, base);
  data::Batch b{torch::randn({128, spec.channels, spec.height, spec.width}),
                torch::randint(0, spec.num_classes, {128}, torch::kInt64)};
  optim::Objective obj;
  for (auto _ : state) {
    optim::StepContext ctx{*net, b, obj, base, 0.01};
    auto st = strat->step(ctx);
    benchmark::DoNotOptimize(st.loss.item<float>());
  }
  state.SetItemsProcessed(state.iterations() * 128);
}

const bool registered = [] {
  // As nrsbench run does on CPU (see RunConfig::flush_denormal); the
  // allocator settings come from nrs_process (suite/run/allocator.cpp).
  at::globalContext().setFlushDenormal(true);
  const models::ModelSpec fmnist{1, 28, 28, 10}, cifar{3, 32, 32, 10};
  for (const auto& [model, spec] :
       std::vector<std::pair<std::string, models::ModelSpec>>{{"small-cnn", fmnist}, {"resnet18-mini", cifar}}) {
    for (const auto& v : variants()) {
      benchmark::RegisterBenchmark(("step/" + model + "/" + v.label).c_str(), BM_Step, model, v, spec)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
  return true;
}();

}  // namespace

// Forward+backward training throughput (images/s) of each zoo mini at batch 32, and
// of a few full CIFAR models at batch 8, on 3x32x32 inputs on the CPU. Wall-clock
// rates (UseRealTime): LibTorch's worker threads are invisible to the main thread's CPU time.
//   build-models/bench/bench_models --benchmark_min_time=2
#include <benchmark/benchmark.h>
#include "models/registry.h"

namespace {

using nrs::models::ModelSpec;

void train_step(benchmark::State& state, const std::string& name, int64_t batch) {
  const ModelSpec spec{3, 32, 32, 10};
  torch::manual_seed(0);
  auto net = nrs::models::make_model(name, spec);
  net->train();
  auto x = torch::randn({batch, spec.channels, spec.height, spec.width});
  auto t = torch::randint(spec.num_classes, {batch});
  for (auto _ : state) {
    net->zero_grad();
    torch::nn::functional::cross_entropy(net->forward(x), t).backward();
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["params"] = static_cast<double>(nrs::models::count_trainable_parameters(*net));
  state.counters["torch_threads"] = at::get_num_threads();
}

const bool registered = [] {
  for (const char* n : {"mlp-mini", "small-cnn-mini", "resnet18-mini", "resnet34-mini", "preact-resnet18-mini",
                        "wrn-16-8-mini", "wrn-28-10-mini", "vgg11-bn-mini", "vgg16-bn-mini", "vgg19-bn-mini",
                        "pyramidnet-110-270-mini", "pyramidnet-272-200-bottleneck-shakedrop-mini", "resnet50-mini"})
    benchmark::RegisterBenchmark((std::string(n) + "/batch32").c_str(), train_step, std::string(n), 32)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  for (const char* n : {"resnet18", "preact-resnet18", "wrn-16-8", "vgg16-bn"})
    benchmark::RegisterBenchmark((std::string(n) + "/batch8").c_str(), train_step, std::string(n), 8)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  return true;
}();

}  // namespace

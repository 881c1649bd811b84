// Images/s of the data path: the on-device CIFAR batch pipeline (gather +
// augmentation + normalisation) on CPU, the ImageFolder decoder with 1 and 2
// threads, and a ResNet-18 training step for the ratio the issue asks about.
#include "datasets/image_folder.h"
#include "datasets/pipeline.h"
#include "models/registry.h"

#include <benchmark/benchmark.h>

#include <filesystem>

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#endif

using namespace nrs::data;

namespace {

const char* kModes[] = {"none", "basic", "cutout"};

void BM_CifarPipeline(benchmark::State& state) {
  const int64_t n = 10000, batch = state.range(1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0);
  Split s{torch::randint(0, 256, {n, 3, 32, 32}, gen, torch::kUInt8), torch::randint(0, 10, {n}, gen, torch::kInt64)};
  DatasetInfo info{"bench", 3, 32, 32, 10, {0.49, 0.48, 0.45}, {0.25, 0.24, 0.26}, {}, ""};
  AugmentOptions aug;
  aug.mode = kModes[state.range(0)];
  BatchPipeline pipe(s, info, batch, torch::kCPU, aug, true, 1);
  int64_t images = 0, epoch = 0;
  Batch b;
  for (auto _ : state) {
    if (!pipe.next(b)) {
      pipe.start_epoch(++epoch);
      pipe.next(b);
    }
    benchmark::DoNotOptimize(b.x.data_ptr<float>());
    images += b.x.size(0);
  }
  state.SetLabel(std::string("augment=") + kModes[state.range(0)]);
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_CifarPipeline)->ArgsProduct({{0, 1, 2}, {512}})->Unit(benchmark::kMillisecond)->UseRealTime();

// One forward + backward of ResNet-18 (CIFAR) on the same CPU: the pipeline
// must be much faster than this for it not to be the bottleneck.
void BM_ResNet18Step(benchmark::State& state) {
  const int64_t batch = state.range(0);
  auto model = nrs::models::make_model("resnet18", nrs::models::ModelSpec{3, 32, 32, 10});
  model->train();
  auto x = torch::randn({batch, 3, 32, 32});
  auto y = torch::randint(0, 10, {batch}, torch::kInt64);
  for (auto _ : state) {
    model->zero_grad();
    auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
    loss.backward();
  }
  state.counters["images/s"] =
      benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ResNet18Step)->Arg(64)->Iterations(3)->Unit(benchmark::kMillisecond)->UseRealTime();

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
// ImageNet-like JPEGs (500x375, q90, smooth content so the entropy coder does
// realistic work), decoded with the train transform to 224.
const std::string& jpeg_tree() {
  static const std::string root = [] {
    auto dir = std::filesystem::temp_directory_path() / "nrsbench-bench-imagefolder";
    for (int k = 0; k < 2; ++k) {
      auto cls = dir / "train" / ("c" + std::to_string(k));
      std::filesystem::create_directories(cls);
      for (int i = 0; i < 64; ++i) {
        auto p = cls / (std::to_string(i) + ".jpg");
        if (std::filesystem::exists(p)) continue;
        cv::Mat m(375, 500, CV_8UC3);
        cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::Mat smooth;
        cv::resize(m(cv::Rect(0, 0, 50, 38)), smooth, m.size(), 0, 0, cv::INTER_CUBIC);
        cv::imwrite(p.string(), smooth, {cv::IMWRITE_JPEG_QUALITY, 90});
      }
    }
    return (dir / "train").string();
  }();
  return root;
}

void BM_ImageFolderDecode(benchmark::State& state) {
  auto index = scan_image_folder(jpeg_tree());
  ImageTransform t;
  t.train = true;
  t.size = 224;
  ImageFolderLoader loader(index, t, static_cast<int>(state.range(0)), 64, 0);
  int64_t images = 0, epoch = 0;
  torch::Tensor x, y;
  loader.start_epoch(0, true);
  for (auto _ : state) {
    if (!loader.next(32, x, y)) {
      loader.start_epoch(++epoch, true);
      loader.next(32, x, y);
    }
    images += x.size(0);
  }
  state.SetLabel("threads=" + std::to_string(state.range(0)) + " 500x375 JPEG -> RRC 224");
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ImageFolderDecode)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
#endif

}  // namespace

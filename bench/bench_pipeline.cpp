// Images/s of the data path: the on-device CIFAR batch pipeline (gather +
// augmentation + normalisation) on CPU, the ImageFolder decoder (train and
// eval transforms) and the streamed training source with 1 and 2 threads, and
// a ResNet-18 training step for the ratio the issue asks about.
#include "datasets/image_folder.h"
#include "datasets/pipeline.h"
#include "datasets/stream_source.h"
#include "models/registry.h"

#include <benchmark/benchmark.h>

#include <filesystem>

#include <sys/resource.h>

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
// ImageNet-like JPEGs (400x350, q90, smooth content so the entropy coder does
// realistic work), 128 files in 2 classes.
const std::string& jpeg_tree() {
  static const std::string root = [] {
    auto dir = std::filesystem::temp_directory_path() / "nrsbench-bench-imagefolder-400x350";
    for (int k = 0; k < 2; ++k) {
      auto cls = dir / "train" / ("c" + std::to_string(k));
      std::filesystem::create_directories(cls);
      for (int i = 0; i < 64; ++i) {
        auto p = cls / (std::to_string(i) + ".jpg");
        if (std::filesystem::exists(p)) continue;
        cv::Mat m(350, 400, CV_8UC3);
        cv::randu(m, cv::Scalar::all(0), cv::Scalar::all(255));
        cv::Mat smooth;
        cv::resize(m(cv::Rect(0, 0, 40, 35)), smooth, m.size(), 0, 0, cv::INTER_CUBIC);
        cv::imwrite(p.string(), smooth, {cv::IMWRITE_JPEG_QUALITY, 90});
      }
    }
    return (dir / "train").string();
  }();
  return root;
}

// The transforms the streamed ImageFolder uses at 224 px.
ImageTransform transform224(bool train) {
  ImageTransform t;
  t.train = train;
  t.size = 224;
  t.resize = 256;
  return t;
}

// CPU seconds of the whole process (every thread): on a shared machine
// images per CPU-second is the per-core rate, wall-clock rates are not.
double process_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

// `decoded` counts files the workers read in the timed span (prefetch makes
// it differ from the images consumed), `cpu_s` the process CPU in that span.
void report(benchmark::State& state, int64_t images, int64_t decoded, double cpu_s, int threads,
            const std::string& what) {
  state.SetLabel("threads=" + std::to_string(threads) + " 400x350 JPEG -> " + what);
  state.counters["images/s"] = benchmark::Counter(static_cast<double>(images), benchmark::Counter::kIsRate);
  state.counters["images/s/thread"] =
      benchmark::Counter(static_cast<double>(images) / threads, benchmark::Counter::kIsRate);
  state.counters["images/cpu-s"] = static_cast<double>(decoded) / cpu_s;
}

// Decode + transform on the loader's worker threads (uint8 batches on the CPU).
// Args: threads, train (1: random-resized crop 224 + flip; 0: resize 256 + centre crop 224).
void BM_ImageFolderDecode(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const bool train = state.range(1) != 0;
  ImageFolderLoader loader(scan_image_folder(jpeg_tree()), transform224(train), threads, 64, 0);
  int64_t images = 0, epoch = 0;
  torch::Tensor x, y;
  loader.start_epoch(0, true);
  loader.next(32, x, y);  // warm: the first batch includes thread start-up
  const double cpu0 = process_cpu_seconds();
  const int64_t read0 = loader.files_read();
  for (auto _ : state) {
    if (!loader.next(32, x, y)) {
      loader.start_epoch(++epoch, true);
      loader.next(32, x, y);
    }
    images += x.size(0);
  }
  report(state, images, loader.files_read() - read0, process_cpu_seconds() - cpu0, threads,
         train ? "RRC 224 + flip" : "resize 256 + centre crop 224");
}
BENCHMARK(BM_ImageFolderDecode)
    ->ArgsProduct({{1, 2}, {1, 0}})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(2.0);

// The whole streamed training path: decode + RRC on workers, byte-capped
// queue (512 MiB), batch of 32 stacked and normalised to float on the CPU.
void BM_StreamSourceTrain(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  StreamingFolder f;
  f.train = scan_image_folder(jpeg_tree());
  f.info = DatasetInfo{"bench", 3, 224, 224, 2, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}, {}, ""};
  f.train_t = transform224(true);
  f.eval_t = transform224(false);
  f.threads = threads;
  StreamSource src(f, StreamSplit::kTrain, 32, torch::kCPU, true, 0);
  int64_t images = 0, epoch = 0;
  Batch b;
  src.start_epoch(0);
  src.next(b);
  const double cpu0 = process_cpu_seconds();
  const int64_t read0 = src.files_read();
  for (auto _ : state) {
    if (!src.next(b)) {
      src.start_epoch(++epoch);
      src.next(b);
    }
    benchmark::DoNotOptimize(b.x.data_ptr<float>());
    images += b.x.size(0);
  }
  report(state, images, src.files_read() - read0, process_cpu_seconds() - cpu0, threads,
         "RRC 224 + flip, normalised batches of 32");
  state.counters["peak_queued_MiB"] = static_cast<double>(src.peak_queued_bytes()) / (1 << 20);
}
BENCHMARK(BM_StreamSourceTrain)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
#endif

}  // namespace

// JPEG decoding per core on ImageNet-sized photographs (500x375, quality 90,
// 4:2:0, made here): OpenCV imgcodecs (the image-folder path) against the
// TurboJPEG decoder (datasets/jpeg_decoder.h) at full size and with
// DCT-domain scaling to 1/2, 1/4 and 1/8; and the streamed training
// transform (read, random-resized crop, resize to SIZE, flip) with and
// without imagefolder-stream-SIZE-dct's scaled decode. Run interleaved, e.g.
//   build/bench/bench_jpeg_decode --benchmark_repetitions=6
//       --benchmark_enable_random_interleaving=true --benchmark_report_aggregates_only=true
#include "datasets/image_folder.h"
#include "datasets/jpeg_decoder.h"

#include <benchmark/benchmark.h>
#include <turbojpeg.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace {

// 16 different images, so no decode sees a cache-warm copy of the last one.
const std::vector<std::vector<uint8_t>>& photos() {
  static const std::vector<std::vector<uint8_t>> all = [] {
    std::vector<std::vector<uint8_t>> out;
    std::mt19937_64 rng(7);
    std::normal_distribution<double> noise(0.0, 10.0);
    tjhandle tj = tjInitCompress();
    for (int k = 0; k < 16; ++k) {
      std::vector<uint8_t> rgb(500 * 375 * 3);
      for (int y = 0; y < 375; ++y)
        for (int x = 0; x < 500; ++x)
          for (int c = 0; c < 3; ++c)
            rgb[(y * 500 + x) * 3 + c] = static_cast<uint8_t>(
                std::clamp(128 + 90 * std::sin(0.013 * (k + 1) * x * (c + 1) + 0.021 * y) + noise(rng), 0.0, 255.0));
      unsigned char* buf = nullptr;
      unsigned long size = 0;
      tjCompress2(tj, rgb.data(), 500, 0, 375, TJPF_RGB, &buf, &size, TJSAMP_420, 90, 0);
      out.emplace_back(buf, buf + size);
      tjFree(buf);
    }
    tjDestroy(tj);
    return out;
  }();
  return all;
}

void BM_OpenCvImdecode(benchmark::State& state) {
  cv::setNumThreads(0);
  size_t i = 0;
  for (auto _ : state) {
    const auto& p = photos()[i++ % photos().size()];
    cv::Mat img = cv::imdecode(p, cv::IMREAD_COLOR);
    benchmark::DoNotOptimize(img.data);
  }
  state.SetItemsProcessed(state.iterations());
}

// Arg: the smallest side to keep (0 = full size; 187, 93, 46 = 1/2, 1/4, 1/8).
void BM_TurboJpeg(benchmark::State& state) {
  size_t i = 0;
  const int min_side = static_cast<int>(state.range(0));
  for (auto _ : state) {
    const auto& p = photos()[i++ % photos().size()];
    auto img = nrs::data::decode_jpeg(p.data(), p.size(), "bench", min_side);
    benchmark::DoNotOptimize(img.pixels.data());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetLabel("1/" + std::to_string(nrs::data::jpeg_scale_denominator(500, 375, min_side)));
}

// The photos as files, as the streamed loader reads them.
const std::vector<std::string>& photo_files() {
  static const std::vector<std::string> all = [] {
    const auto dir = std::filesystem::temp_directory_path() / "nrsbench-bench-jpeg";
    std::filesystem::create_directories(dir);
    std::vector<std::string> out;
    for (size_t k = 0; k < photos().size(); ++k) {
      std::string name = std::to_string(k);  // not "p" + ...: GCC 12's -Wrestrict false positive (CMakeLists.txt)
      name += ".jpg";
      out.push_back((dir / name).string());
      std::ofstream(out.back(), std::ios::binary)
          .write(reinterpret_cast<const char*>(photos()[k].data()), static_cast<std::streamsize>(photos()[k].size()));
    }
    return out;
  }();
  return all;
}

// Args: SIZE, and 1 for the DCT-scaled decode. Crops of area 0.08-1 of
// 500x375: at SIZE 224 only those >= 448 a side could use 1/2 (none fit), so
// the scaled decode helps at smaller SIZEs.
void BM_StreamTrainTransform(benchmark::State& state) {
  cv::setNumThreads(0);
  nrs::data::ImageTransform t;
  t.train = true;
  t.size = state.range(0);
  t.dct_scaled = state.range(1) != 0;
  uint64_t i = 0;
  for (auto _ : state) {
    auto img = nrs::data::load_image(photo_files()[i % photo_files().size()], t, i);
    ++i;
    benchmark::DoNotOptimize(img->data_ptr());
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_StreamTrainTransform)->ArgsProduct({{224, 128, 64}, {0, 1}})->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_OpenCvImdecode)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_TurboJpeg)->Arg(0)->Arg(187)->Arg(93)->Arg(46)->Unit(benchmark::kMicrosecond);

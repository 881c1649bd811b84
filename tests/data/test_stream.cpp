// The streamed ImageFolder: byte-bounded prefetch, thread-count independence,
// exact mid-epoch resume, the crops, skipped files and its error messages.
#include "datasets/image_folder.h"
#include "datasets/pipeline.h"
#include "datasets/registry.h"
#include "datasets/stream_source.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <chrono>
#include <thread>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

namespace {

// Smooth random content (a coarse noise grid upsampled), so crops at
// different places and flips give different pixels.
void write_jpeg(const std::string& path, int w, int h, int seed) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  cv::Mat coarse(6, 6, CV_8UC3);
  cv::theRNG().state = static_cast<uint64_t>(seed) + 1;
  cv::randu(coarse, cv::Scalar::all(0), cv::Scalar::all(255));
  cv::Mat m;
  cv::resize(coarse, m, cv::Size(w, h), 0, 0, cv::INTER_CUBIC);
  ASSERT_TRUE(cv::imwrite(path, m, {cv::IMWRITE_JPEG_QUALITY, 90}));
}

// root/{train,val}/c<k>/<i>.jpg, `per_class` training and 2 val images per class.
void make_tree(const std::string& root, int classes, int per_class, int side = 96) {
  for (int k = 0; k < classes; ++k)
    for (int i = 0; i < per_class; ++i) {
      write_jpeg(root + "/train/c" + std::to_string(k) + "/" + std::to_string(i) + ".jpg", side, side - 8,
                 k * 1000 + i);
      if (i < 2) write_jpeg(root + "/val/c" + std::to_string(k) + "/" + std::to_string(i) + ".jpg", side, side, -k - 1);
    }
}

StreamingFolder open_folder(const TempDir& d, int64_t size = 32, int threads = 2, int64_t prefetch_mb = 1,
                            int64_t val_split = 0, uint64_t seed = 0) {
  DatasetOptions o;
  o.data_dir = d.str();
  o.decode_threads = threads;
  o.stream_prefetch_mb = prefetch_mb;
  o.val_split = val_split;
  o.seed = seed;
  return open_streaming_folder("imagefolder-stream-" + std::to_string(size), o);
}

// Every batch of one epoch, concatenated.
std::pair<torch::Tensor, torch::Tensor> drain(BatchSource& s, int64_t max_batches = -1) {
  std::vector<torch::Tensor> xs, ys;
  Batch b;
  while ((max_batches < 0 || static_cast<int64_t>(xs.size()) < max_batches) && s.next(b)) {
    xs.push_back(b.x);
    ys.push_back(b.y);
  }
  if (xs.empty()) return {torch::Tensor(), torch::Tensor()};
  return {torch::cat(xs), torch::cat(ys)};
}

std::string data_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "(no DataError)";
}

}  // namespace

TEST(Stream, FolderLargerThanCapStreamsWithBoundedQueue) {
  TempDir d;
  make_tree(d.str(), 3, 100);  // 300 training JPEGs of 96x88
  auto f = open_folder(d, /*size=*/64, /*threads=*/2, /*prefetch_mb=*/1);
  const int64_t cap = 1 << 20, sample = 3 * 64 * 64;
  ASSERT_EQ(f.prefetch_bytes, cap);
  StreamSource src(f, StreamSplit::kTrain, 16, torch::kCPU, /*augment=*/true, 7);
  ASSERT_EQ(src.size(), 300);
  EXPECT_GT(300 * sample, 3 * cap);  // the decoded epoch is ~3.5x the cap
  src.start_epoch(0);
  // Let the workers run ahead until the cap stops them: the queue fills to
  // exactly the cap's whole number of images and no further.
  const int64_t full = (cap / sample) * sample;
  for (int i = 0; i < 500 && src.peak_queued_bytes() < full; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(src.peak_queued_bytes(), full);
  int64_t seen = 0;
  Batch b;
  while (src.next(b)) {
    EXPECT_EQ(b.x.sizes(), (std::vector<int64_t>{b.y.size(0), 3, 64, 64}));
    seen += b.y.size(0);
  }
  EXPECT_EQ(seen, 300);
  EXPECT_EQ(src.files_read(), 300);
  EXPECT_LE(src.peak_queued_bytes(), cap);
  EXPECT_EQ(src.skipped(), 0);
  std::cout << "[ stream   ] decoded " << seen * sample << " bytes through a queue capped at " << cap
            << " bytes; peak queued " << src.peak_queued_bytes() << " bytes\n";
}

TEST(Stream, CapBelowOneImageIsAnError) {
  TempDir d;
  make_tree(d.str(), 1, 2);
  auto f = open_folder(d, 32);
  f.prefetch_bytes = 100;  // < 3*32*32
  const auto msg = data_error([&] { StreamSource(f, StreamSplit::kTrain, 4, torch::kCPU, true, 0); });
  EXPECT_NE(msg.find("smaller than one decoded image"), std::string::npos) << msg;
}

TEST(Stream, OrderAndPixelsIndependentOfThreadCount) {
  TempDir d;
  make_tree(d.str(), 3, 12);
  for (bool augment : {true, false}) {
    auto run = [&](int threads) {
      auto f = open_folder(d, 32, threads);
      auto src = make_stream_source(f, StreamSplit::kTrain, 5, torch::kCPU, augment, 11);
      src->start_epoch(3);
      return drain(*src);
    };
    auto [x1, y1] = run(1);
    auto [x3, y3] = run(3);
    ASSERT_EQ(x1.size(0), 36);
    EXPECT_TRUE(torch::equal(x1, x3)) << "augment " << augment;
    EXPECT_TRUE(torch::equal(y1, y3)) << "augment " << augment;
  }
}

TEST(Stream, ResumeMidEpochGivesTheUninterruptedBatchesWithoutDecodingSkippedOnes) {
  TempDir d;
  make_tree(d.str(), 3, 10);
  write_bytes(d / "train/c1/broken.jpg", "not a jpeg");  // a skip inside the epoch
  auto f = open_folder(d, 24, 2);
  ::testing::internal::CaptureStderr();
  StreamSource whole(f, StreamSplit::kTrain, 4, torch::kCPU, true, 5);
  whole.start_epoch(2);
  std::vector<Batch> expected;
  for (Batch b; whole.next(b);) expected.push_back(b);
  ASSERT_EQ(expected.size(), 8u);  // 30 images in batches of 4 (31 files, one skipped)

  for (int64_t k : {0, 1, 3, 7, 8}) {
    StreamSource first(f, StreamSplit::kTrain, 4, torch::kCPU, true, 5);
    first.start_epoch(2);
    Batch b;
    for (int64_t i = 0; i < k; ++i) ASSERT_TRUE(first.next(b));
    const auto st = first.state();
    ASSERT_EQ(st.size(), 2u);
    EXPECT_EQ(st[0].item<int64_t>(), 2);
    const int64_t pos = st[1].item<int64_t>();

    StreamSource resumed(f, StreamSplit::kTrain, 4, torch::kCPU, true, 5);
    resumed.load_state(st);
    size_t i = static_cast<size_t>(k);
    for (; resumed.next(b); ++i) {
      ASSERT_LT(i, expected.size());
      EXPECT_TRUE(torch::equal(b.x, expected[i].x)) << "resume after " << k << ", batch " << i;
      EXPECT_TRUE(torch::equal(b.y, expected[i].y)) << "resume after " << k << ", batch " << i;
    }
    EXPECT_EQ(i, expected.size()) << "resume after " << k;
    // Only the rest of the epoch was read: the seek decodes nothing.
    EXPECT_EQ(resumed.files_read(), 31 - pos) << "resume after " << k;
  }
  ::testing::internal::GetCapturedStderr();
  EXPECT_THROW(whole.load_state({torch::scalar_tensor(0, torch::kInt64)}), DataError);
  EXPECT_THROW(whole.load_state({torch::scalar_tensor(0, torch::kInt64), torch::scalar_tensor(99, torch::kInt64)}),
               DataError);
}

TEST(Stream, RandomResizedCropShapeRangeAndDeterminism) {
  TempDir d;
  make_tree(d.str(), 2, 6);
  auto f = open_folder(d, 40);
  auto epoch = [&](uint64_t seed, int64_t e) {
    auto src = make_stream_source(f, StreamSplit::kTrain, 12, torch::kCPU, true, seed);
    src->start_epoch(e);
    return drain(*src);
  };
  auto [x, y] = epoch(1, 0);
  EXPECT_EQ(x.sizes(), (std::vector<int64_t>{12, 3, 40, 40}));
  EXPECT_EQ(x.scalar_type(), torch::kFloat32);
  // Normalised pixels lie in [(0 - mean)/std, (1 - mean)/std] per channel.
  for (int c = 0; c < 3; ++c) {
    const double lo = (0 - f.info.mean[c]) / f.info.std[c], hi = (1 - f.info.mean[c]) / f.info.std[c];
    EXPECT_GE(x.select(1, c).min().item<double>(), lo - 1e-5);
    EXPECT_LE(x.select(1, c).max().item<double>(), hi + 1e-5);
  }
  auto [x_again, y_again] = epoch(1, 0);
  EXPECT_TRUE(torch::equal(x, x_again));
  EXPECT_TRUE(torch::equal(y, y_again));
  EXPECT_FALSE(torch::equal(x, epoch(1, 1).first));  // another epoch: other order and crops
  EXPECT_FALSE(torch::equal(x, epoch(2, 0).first));  // another seed

  // One file: the crop depends on the per-sample seed only, and differs from
  // the eval centre crop.
  const auto& path = f.train.samples[0].first;
  auto a = load_image(path, f.train_t, 1), b = load_image(path, f.train_t, 2), e = load_image(path, f.eval_t, 0);
  ASSERT_TRUE(a && b && e);
  EXPECT_EQ(a->sizes(), (std::vector<int64_t>{3, 40, 40}));
  EXPECT_FALSE(torch::equal(*a, *b));
  EXPECT_FALSE(torch::equal(*a, *e));
  EXPECT_TRUE(torch::equal(*a, *load_image(path, f.train_t, 1)));
}

TEST(Stream, EvalTransformIsResizeThenCentreCrop) {
  TempDir d;
  // 8x6 PNG (lossless). Shorter side 6 -> 3 halves both sides (4x3) by 2x2
  // box averages (INTER_AREA); the 2x2 centre crop starts at column 1, row 0.
  cv::Mat m(6, 8, CV_8UC3);
  auto px = [](int y, int x, int c) { return 8 * (x + 2 * y) + 40 * c; };  // 2x2 sums divisible by 4
  for (int y = 0; y < 6; ++y)
    for (int x = 0; x < 8; ++x)
      for (int c = 0; c < 3; ++c) m.at<cv::Vec3b>(y, x)[2 - c] = static_cast<uchar>(px(y, x, c));  // BGR
  ASSERT_TRUE(cv::imwrite(d / "x.png", m));
  ImageTransform t;
  t.size = 2;
  t.resize = 3;
  auto img = load_image(d / "x.png", t, 0);
  ASSERT_TRUE(img.has_value());
  ASSERT_EQ(img->sizes(), (std::vector<int64_t>{3, 2, 2}));
  for (int c = 0; c < 3; ++c)
    for (int y = 0; y < 2; ++y)
      for (int x = 0; x < 2; ++x) {
        const int X = 2 * (x + 1), Y = 2 * y;  // top-left of the 2x2 source block
        const int sum = px(Y, X, c) + px(Y, X + 1, c) + px(Y + 1, X, c) + px(Y + 1, X + 1, c);
        ASSERT_EQ(sum % 4, 0);
        EXPECT_EQ((*img)[c][y][x].item<int>(), sum / 4) << "c" << c << " y" << y << " x" << x;
      }
}

TEST(Stream, EvalBatchesEqualTheInMemoryImageFolder) {
  TempDir d;
  make_tree(d.str(), 3, 8);
  DatasetOptions o;
  o.data_dir = d.str();
  o.val_split = 5;
  o.seed = 3;
  auto ds = make_dataset("imagefolder-24", o);
  auto f = open_folder(d, 24, 2, 1, /*val_split=*/5, /*seed=*/3);
  // Validation carved from the index = carved from the decoded split.
  ASSERT_EQ(f.val.samples.size(), 5u);
  ASSERT_EQ(f.train.samples.size(), 19u);
  const std::vector<std::pair<StreamSplit, const Split*>> splits = {
      {StreamSplit::kVal, &ds.val}, {StreamSplit::kTest, &ds.test}, {StreamSplit::kTrain, &ds.train}};
  for (const auto& [which, split] : splits) {
    auto src = make_stream_source(f, which, 4, torch::kCPU, /*augment=*/false, 0);
    auto [x, y] = drain(*src);
    BatchPipeline pipe(*split, ds.info, 4, torch::kCPU, AugmentOptions{}, false, 0);
    auto [px, py] = drain(pipe);
    EXPECT_TRUE(torch::equal(y, py));
    EXPECT_TRUE(torch::equal(x, px)) << "split " << static_cast<int>(which);  // same pixels, same normalisation
  }
  // The Hessian's fixed sample: the same images hessian_report would select.
  auto s = load_stream_samples(f, 6, 9);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9 ^ 0x4865737369616eULL);
  auto idx = std::get<0>(torch::randperm(ds.train.size(), gen, torch::kInt64).narrow(0, 0, 6).sort());
  EXPECT_TRUE(torch::equal(s.images, ds.train.images.index_select(0, idx)));
  EXPECT_TRUE(torch::equal(s.labels, ds.train.labels.index_select(0, idx)));
}

TEST(Stream, SubsetIsTheInMemoryRule) {
  ImageFolderIndex idx;
  idx.classes = {"a"};
  for (int i = 0; i < 50; ++i) idx.samples.emplace_back(std::to_string(i), 0);
  auto sub = index_subset(idx, 7);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(0x5b5e7ULL);
  auto want = std::get<0>(torch::randperm(50, gen, torch::kInt64).slice(0, 0, 7).sort());
  ASSERT_EQ(sub.samples.size(), 7u);
  for (int i = 0; i < 7; ++i) EXPECT_EQ(sub.samples[i].first, std::to_string(want[i].item<int64_t>()));
  EXPECT_EQ(index_subset(idx, 0).samples.size(), 50u);
  EXPECT_EQ(index_subset(idx, 80).samples.size(), 50u);
}

TEST(Stream, CorruptFileIsSkippedAndCounted) {
  TempDir d;
  make_tree(d.str(), 2, 3);
  write_bytes(d / "train/c0/broken.jpg", "this is not a jpeg");
  auto f = open_folder(d, 16);
  StreamSource src(f, StreamSplit::kTrain, 4, torch::kCPU, false, 0);
  ::testing::internal::CaptureStderr();
  auto [x, y] = drain(src);
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(x.size(0), 6);
  EXPECT_EQ(src.skipped(), 1);
  EXPECT_NE(err.find("warning: skipped undecodable image"), std::string::npos) << err;
  EXPECT_NE(err.find("broken.jpg (1 skipped so far)"), std::string::npos) << err;
}

TEST(Stream, BadFolderIsOneLineDataErrorNamingTheDir) {
  TempDir d;
  auto one_line = [](const std::string& m) { return m.find('\n') == std::string::npos; };
  // No train/ at all: where it looked.
  DatasetOptions o;
  o.data_dir = d / "nowhere";
  auto m = data_error([&] { open_streaming_folder("imagefolder-stream", o); });
  EXPECT_NE(m.find(d / "nowhere"), std::string::npos) << m;
  EXPECT_TRUE(one_line(m)) << m;
  // train/ without val/ or test/.
  write_jpeg(d / "train/c0/a.jpg", 16, 16, 0);
  m = data_error([&] { open_folder(d); });
  EXPECT_NE(m.find(d.str() + ": no val/"), std::string::npos) << m;
  EXPECT_TRUE(one_line(m)) << m;
  // A class directory without images.
  TempDir e;
  std::filesystem::create_directories(e / "train/c0");
  std::filesystem::create_directories(e / "val/c0");
  m = data_error([&] { open_folder(e); });
  EXPECT_NE(m.find(e / "train"), std::string::npos) << m;
  EXPECT_TRUE(one_line(m)) << m;
  // train is a file, not a directory.
  TempDir g;
  write_bytes(g / "train", "x");
  std::filesystem::create_directories(g / "val/c0");
  m = data_error([&] { open_folder(g); });
  EXPECT_NE(m.find(g / "train"), std::string::npos) << m;
  EXPECT_TRUE(one_line(m)) << m;
}

TEST(Stream, RegisteredButNeverLoadedWhole) {
  EXPECT_TRUE(has_dataset("imagefolder-stream"));
  EXPECT_TRUE(has_dataset("imagefolder-stream-224"));
  EXPECT_FALSE(has_dataset("imagefolder-stream-x"));
  int64_t size = 0;
  EXPECT_TRUE(parse_streaming_folder_name("imagefolder-stream-160", &size));
  EXPECT_EQ(size, 160);
  EXPECT_FALSE(parse_image_folder_name("imagefolder-stream", nullptr));
  const auto m = data_error([] { make_dataset("imagefolder-stream-224", DatasetOptions{}); });
  EXPECT_NE(m.find("make_stream_source"), std::string::npos) << m;
}
#endif

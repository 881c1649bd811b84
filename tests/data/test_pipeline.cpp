#include "datasets/pipeline.h"

#include <gtest/gtest.h>

#include <set>

using namespace nrs::data;

namespace {

constexpr int64_t H = 8, W = 8, P = 2;

// Each pixel value names its position (1..64), so a crop shows its offset.
Split position_images(int64_t n) {
  auto img = torch::empty({n, 1, H, W}, torch::kUInt8);
  auto a = img.accessor<uint8_t, 4>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) a[i][0][y][x] = static_cast<uint8_t>(1 + y * W + x);
  return Split{img, torch::arange(n, torch::kInt64)};
}

DatasetInfo info1() { return DatasetInfo{"t", 1, H, W, 4, {0.0}, {1.0}, {}, ""}; }

// Value at (y, x) of the image padded by P on each side with zeros.
int padded_zero(int64_t y, int64_t x) {
  y -= P;
  x -= P;
  return (y < 0 || y >= H || x < 0 || x >= W) ? 0 : static_cast<int>(1 + y * W + x);
}

int reflect(int64_t i, int64_t n) { return static_cast<int>(i < 0 ? -i : (i >= n ? 2 * (n - 1) - i : i)); }
int padded_reflect(int64_t y, int64_t x) { return 1 + reflect(y - P, H) * W + reflect(x - P, W); }

// Offset (dy, dx) in [0, 2P]^2 at which `out` equals the padded image, or -1.
std::pair<int, int> find_offset(const torch::Tensor& out, int (*padded)(int64_t, int64_t)) {
  auto a = out.accessor<uint8_t, 3>();
  for (int dy = 0; dy <= 2 * P; ++dy)
    for (int dx = 0; dx <= 2 * P; ++dx) {
      bool ok = true;
      for (int64_t y = 0; y < H && ok; ++y)
        for (int64_t x = 0; x < W && ok; ++x) ok = a[0][y][x] == padded(y + dy, x + dx);
      if (ok) return {dy, dx};
    }
  return {-1, -1};
}

AugmentOptions aug(std::string mode, bool flip, int64_t pad, std::string pad_mode = "zero") {
  AugmentOptions a;
  a.mode = std::move(mode);
  a.flip = flip;
  a.pad = pad;
  a.pad_mode = std::move(pad_mode);
  return a;
}

}  // namespace

TEST(Pipeline, CropStaysWithinZeroPaddedImage) {
  auto s = position_images(256);
  BatchPipeline pipe(s, info1(), 256, torch::kCPU, aug("basic", false, P), false, 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto out = pipe.augment(s.images, gen);
  std::set<int> dys, dxs;
  for (int64_t i = 0; i < 256; ++i) {
    auto [dy, dx] = find_offset(out[i], padded_zero);
    ASSERT_GE(dy, 0) << "sample " << i << " is not a crop of the padded image";
    dys.insert(dy);
    dxs.insert(dx);
  }
  // Every offset in [0, 2P] occurs and nothing outside it does.
  EXPECT_EQ(dys.size(), static_cast<size_t>(2 * P + 1));
  EXPECT_EQ(dxs.size(), static_cast<size_t>(2 * P + 1));
}

TEST(Pipeline, ReflectPaddingMirrorsEdges) {
  auto s = position_images(128);
  BatchPipeline pipe(s, info1(), 128, torch::kCPU, aug("basic", false, P, "reflect"), false, 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(3);
  auto out = pipe.augment(s.images, gen);
  int shifted = 0;
  for (int64_t i = 0; i < 128; ++i) {
    auto [dy, dx] = find_offset(out[i], padded_reflect);
    ASSERT_GE(dy, 0) << "sample " << i;
    shifted += (dy != P || dx != P);
  }
  EXPECT_GT(shifted, 64);
}

TEST(Pipeline, FlipIsExactMirror) {
  auto s = position_images(200);
  BatchPipeline pipe(s, info1(), 200, torch::kCPU, aug("basic", true, 0), false, 1);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(11);
  auto out = pipe.augment(s.images, gen);
  auto a = out.accessor<uint8_t, 4>();
  int flipped = 0, same = 0;
  for (int64_t i = 0; i < 200; ++i) {
    bool is_same = true, is_flip = true;
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        is_same &= a[i][0][y][x] == 1 + y * W + x;
        is_flip &= a[i][0][y][x] == 1 + y * W + (W - 1 - x);
      }
    ASSERT_TRUE(is_same || is_flip) << "sample " << i;
    flipped += is_flip;
    same += is_same;
  }
  EXPECT_GT(flipped, 60);  // p = 0.5 over 200 draws
  EXPECT_GT(same, 60);
}

TEST(Pipeline, NormalisesWithDatasetMeanAndStd) {
  auto s = Split{torch::full({1, 3, 2, 2}, 255, torch::kUInt8), torch::zeros({1}, torch::kInt64)};
  DatasetInfo info{"t", 3, 2, 2, 2, {0.5, 0.25, 0.0}, {0.5, 0.25, 2.0}, {}, ""};
  BatchPipeline pipe(s, info, 1, torch::kCPU, aug("none", false, 0), false, 0);
  Batch b;
  ASSERT_TRUE(pipe.next(b));
  EXPECT_NEAR(b.x[0][0][0][0].item<float>(), 1.0, 1e-5);  // (1 - 0.5) / 0.5
  EXPECT_NEAR(b.x[0][1][1][1].item<float>(), 3.0, 1e-5);  // (1 - 0.25) / 0.25
  EXPECT_NEAR(b.x[0][2][0][1].item<float>(), 0.5, 1e-5);  // (1 - 0) / 2
}

TEST(Pipeline, CutoutZeroesOneSquareAtMostSizeSquared) {
  auto s = Split{torch::full({64, 1, 16, 16}, 200, torch::kUInt8), torch::zeros({64}, torch::kInt64)};
  DatasetInfo info{"t", 1, 16, 16, 2, {0.0}, {1.0}, {}, ""};
  auto a = aug("cutout", false, 0);
  a.cutout = 4;
  BatchPipeline pipe(s, info, 64, torch::kCPU, a, false, 5);
  Batch b;
  ASSERT_TRUE(pipe.next(b));
  auto zero = b.x.eq(0).squeeze(1);
  for (int64_t i = 0; i < 64; ++i) {
    auto rows = zero[i].any(1).sum().item<int64_t>(), cols = zero[i].any(0).sum().item<int64_t>();
    const auto count = zero[i].sum().item<int64_t>();
    ASSERT_GT(count, 0);
    ASSERT_LE(rows, 4);
    ASSERT_LE(cols, 4);
    ASSERT_EQ(count, rows * cols) << "the cut region must be one rectangle";
  }
}

TEST(Pipeline, SameSeedSameBatchesDifferentSeedsDiffer) {
  auto s = position_images(64);
  auto batches = [&](uint64_t seed, int64_t epoch) {
    BatchPipeline pipe(s, info1(), 16, torch::kCPU, aug("cutout", true, P), true, seed);
    pipe.start_epoch(epoch);
    std::vector<torch::Tensor> xs;
    Batch b;
    while (pipe.next(b)) xs.push_back(torch::cat({b.x.flatten(), b.y.to(torch::kFloat32)}));
    return torch::cat(xs);
  };
  EXPECT_TRUE(torch::equal(batches(3, 0), batches(3, 0)));
  EXPECT_TRUE(torch::equal(batches(3, 2), batches(3, 2)));
  EXPECT_FALSE(torch::equal(batches(3, 0), batches(4, 0)));
  EXPECT_FALSE(torch::equal(batches(3, 0), batches(3, 1)));
}

TEST(Pipeline, EveryEpochVisitsEachSampleOnce) {
  auto s = position_images(50);
  BatchPipeline pipe(s, info1(), 16, torch::kCPU, aug("basic", true, P), true, 9);
  EXPECT_EQ(pipe.batches_per_epoch(), 4);
  std::vector<torch::Tensor> ys;
  Batch b;
  while (pipe.next(b)) ys.push_back(b.y);
  auto all = std::get<0>(torch::cat(ys).sort());
  EXPECT_TRUE(torch::equal(all, torch::arange(50, torch::kInt64)));
}

TEST(Pipeline, DropLastEndsTheEpochBeforeThePartialBatch) {
  // 50 samples, batches of 16: 3 full batches (48 distinct samples), the
  // remaining 2 dropped (official: tf.data batch(drop_remainder=True)).
  auto s = position_images(50);
  BatchPipeline pipe(s, info1(), 16, torch::kCPU, aug("basic", true, P), true, 9, /*drop_last=*/true);
  EXPECT_EQ(pipe.batches_per_epoch(), 3);
  std::vector<torch::Tensor> ys;
  Batch b;
  while (pipe.next(b)) {
    EXPECT_EQ(b.y.size(0), 16);
    ys.push_back(b.y);
  }
  ASSERT_EQ(ys.size(), 3u);
  auto all = torch::cat(ys);
  EXPECT_EQ(std::get<0>(torch::_unique(all)).size(0), 48);
  // Without it the same order ends in the partial batch of 2.
  BatchPipeline keep(s, info1(), 16, torch::kCPU, aug("basic", true, P), true, 9);
  int64_t last = 0, n = 0;
  while (keep.next(b)) last = b.y.size(0), ++n;
  EXPECT_EQ(n, 4);
  EXPECT_EQ(last, 2);
}

TEST(Pipeline, CutoutBatchModeUsesOnePositionForTheWholeBatch) {
  auto s = Split{torch::full({64, 1, 16, 16}, 200, torch::kUInt8), torch::zeros({64}, torch::kInt64)};
  DatasetInfo info{"t", 1, 16, 16, 2, {0.0}, {1.0}, {}, ""};
  auto zero_masks = [&](const std::string& mode, uint64_t seed) {
    auto a = aug("cutout", false, 0);
    a.cutout = 4;
    a.cutout_mode = mode;
    BatchPipeline pipe(s, info, 64, torch::kCPU, a, false, seed);
    Batch b;
    EXPECT_TRUE(pipe.next(b));
    return b.x.eq(0).squeeze(1);
  };
  for (uint64_t seed : {1, 2, 3}) {
    auto z = zero_masks("batch", seed);
    ASSERT_GT(z[0].sum().item<int64_t>(), 0);
    for (int64_t i = 1; i < 64; ++i) ASSERT_TRUE(torch::equal(z[i], z[0])) << "image " << i << ", seed " << seed;
  }
  // Per image: 64 draws of 256 centres are not all the same position.
  auto z = zero_masks("image", 1);
  int differing = 0;
  for (int64_t i = 1; i < 64; ++i) differing += !torch::equal(z[i], z[0]);
  EXPECT_GT(differing, 32);
}

TEST(Pipeline, RejectsUnknownAugmentMode) {
  EXPECT_THROW(AugmentOptions::validate(aug("strong", true, 4)), std::invalid_argument);
  EXPECT_THROW(AugmentOptions::validate(aug("basic", true, 4, "wrap")), std::invalid_argument);
  auto a = aug("cutout", true, 4);
  a.cutout_mode = "pixel";
  try {
    AugmentOptions::validate(a);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--cutout-mode 'pixel'"), std::string::npos) << e.what();
  }
}

TEST(Pipeline, StateResumesMidEpochWithTheSameBatchesAndAugmentation) {
  auto s = position_images(50);
  AugmentOptions a = aug("cutout", true, P);
  a.cutout = 3;
  BatchPipeline whole(s, info1(), 8, torch::kCPU, a, true, 4);
  whole.start_epoch(1);
  std::vector<Batch> expected;
  for (Batch b; whole.next(b);) expected.push_back(b);
  ASSERT_EQ(expected.size(), 7u);
  for (size_t k : {0u, 2u, 7u}) {
    BatchPipeline first(s, info1(), 8, torch::kCPU, a, true, 4);
    first.start_epoch(1);
    Batch b;
    for (size_t i = 0; i < k; ++i) ASSERT_TRUE(first.next(b));
    const auto st = first.state();
    ASSERT_EQ(st.size(), 3u);
    EXPECT_EQ(st[0].device().type(), torch::kCPU);
    EXPECT_EQ(st[0].scalar_type(), torch::kInt64);
    EXPECT_EQ(st[2].dim(), 0);
    EXPECT_EQ(st[2].item<int64_t>(), std::min<int64_t>(50, 8 * static_cast<int64_t>(k)));
    // A fresh pipeline (its constructor starts epoch 0) continues exactly.
    BatchPipeline resumed(s, info1(), 8, torch::kCPU, a, true, 4);
    resumed.load_state(st);
    size_t i = k;
    for (; resumed.next(b); ++i) {
      ASSERT_LT(i, expected.size());
      EXPECT_TRUE(torch::equal(b.x, expected[i].x)) << "resume after " << k << ", batch " << i;
      EXPECT_TRUE(torch::equal(b.y, expected[i].y)) << "resume after " << k << ", batch " << i;
    }
    EXPECT_EQ(i, expected.size());
  }
  // A checkpoint of a split with another size is refused.
  BatchPipeline other(position_images(49), info1(), 8, torch::kCPU, a, true, 4);
  EXPECT_THROW(other.load_state(whole.state()), DataError);
}

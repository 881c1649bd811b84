#include "datasets/image_folder.h"
#include "datasets/jpeg_decoder.h"
#include "datasets/registry.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
#include <turbojpeg.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

namespace {

// Class k is a solid RGB colour far from the others, so the decoded pixel
// identifies the class even after JPEG rounding.
const std::vector<std::string> kClasses = {"cat", "dog", "eel"};  // sorted: indices 0, 1, 2
cv::Vec3b rgb_of(int k) {
  return k == 0 ? cv::Vec3b(220, 20, 20) : k == 1 ? cv::Vec3b(20, 220, 20) : cv::Vec3b(20, 20, 220);
}

void write_image(const std::string& path, int k, int w, int h) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  const auto c = rgb_of(k);
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(c[2], c[1], c[0]));  // OpenCV stores BGR
  ASSERT_TRUE(cv::imwrite(path, m));
}

// Per class: two PNGs and one JPEG of odd sizes; plus two undecodable files.
void make_tree(const std::string& root) {
  for (const std::string split : {"train", "val"})
    for (int k = 0; k < 3; ++k) {
      const auto dir = root + "/" + split + "/" + kClasses[k] + "/";
      write_image(dir + "a.png", k, 20, 24);
      write_image(dir + "b.PNG", k, 40, 30);
      write_image(dir + "c.jpg", k, 33, 33);
    }
  write_bytes(root + "/train/dog/broken.jpg", "this is not a jpeg");
  write_bytes(root + "/train/eel/empty.png", "");
}

int class_of_pixel(const torch::Tensor& img) {
  auto r = img[0][5][5].item<int>(), g = img[1][5][5].item<int>(), b = img[2][5][5].item<int>();
  for (int k = 0; k < 3; ++k) {
    const auto c = rgb_of(k);
    if (std::abs(r - c[0]) < 12 && std::abs(g - c[1]) < 12 && std::abs(b - c[2]) < 12) return k;
  }
  return -1;
}

}  // namespace

TEST(ImageFolder, LoadsTreeWithRightLabelsAndSkipsCorruptFiles) {
  TempDir d;
  make_tree(d.str());
  DatasetOptions o;
  o.data_dir = d.str();
  ::testing::internal::CaptureStderr();
  auto ds = make_dataset("imagefolder-16", o);
  const auto err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(ds.info.class_names, kClasses);
  EXPECT_EQ(ds.info.num_classes, 3);
  EXPECT_EQ(ds.info.height, 16);
  ASSERT_EQ(ds.train.size(), 9);  // 11 files, 2 undecodable
  ASSERT_EQ(ds.test.size(), 9);
  EXPECT_EQ(ds.train.images.sizes(), (std::vector<int64_t>{9, 3, 16, 16}));
  EXPECT_NE(ds.info.source.find("2 undecodable images skipped"), std::string::npos) << ds.info.source;
  EXPECT_NE(err.find("broken.jpg"), std::string::npos) << err;
  EXPECT_NE(err.find("empty.png"), std::string::npos) << err;
  for (const Split* s : {&ds.train, &ds.test})
    for (int64_t i = 0; i < s->size(); ++i)
      EXPECT_EQ(class_of_pixel(s->images[i]), s->labels[i].item<int64_t>()) << "sample " << i;
}

TEST(ImageFolder, LoaderCountsSkipsAndIsThreadCountIndependent) {
  TempDir d;
  make_tree(d.str());
  auto index = scan_image_folder(d / "train");
  ASSERT_EQ(index.samples.size(), 11u);
  ImageTransform t;
  t.train = true;
  t.size = 12;
  auto run = [&](int threads) {
    ImageFolderLoader loader(index, t, threads, /*prefetch=*/2, /*seed=*/42);
    loader.start_epoch(1, /*shuffle=*/true);
    std::vector<torch::Tensor> xs, ys;
    torch::Tensor x, y;
    while (loader.next(4, x, y)) {
      xs.push_back(x);
      ys.push_back(y);
    }
    EXPECT_EQ(loader.skipped(), 2);
    return std::make_pair(torch::cat(xs), torch::cat(ys));
  };
  ::testing::internal::CaptureStderr();
  auto [x1, y1] = run(1);
  auto [x2, y2] = run(2);
  ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(x1.sizes(), (std::vector<int64_t>{9, 3, 12, 12}));
  EXPECT_TRUE(torch::equal(x1, x2));
  EXPECT_TRUE(torch::equal(y1, y2));
  // Random-resized crops of a solid image are still that solid colour.
  for (int64_t i = 0; i < 9; ++i) EXPECT_EQ(class_of_pixel(x1[i]), y1[i].item<int64_t>());
}

TEST(ImageFolder, EvalTransformCentreCropsAfterResize) {
  TempDir d;
  // Left half red, right half blue, 64x32: after resizing the shorter side to
  // 18 (36x18) and a 16x16 centre crop, column 0 is red and column 15 blue.
  cv::Mat m(32, 64, CV_8UC3, cv::Scalar(0, 0, 255));
  m(cv::Rect(32, 0, 32, 32)).setTo(cv::Scalar(255, 0, 0));
  ASSERT_TRUE(cv::imwrite(d / "x.png", m));
  ImageTransform t;
  t.size = 16;
  t.resize = 18;
  auto img = load_image(d / "x.png", t, 0);
  ASSERT_TRUE(img.has_value());
  EXPECT_EQ(img->sizes(), (std::vector<int64_t>{3, 16, 16}));
  EXPECT_EQ((*img)[0][8][0].item<int>(), 255);
  EXPECT_EQ((*img)[2][8][0].item<int>(), 0);
  EXPECT_EQ((*img)[2][8][15].item<int>(), 255);
  EXPECT_FALSE(load_image(d / "missing.png", t, 0).has_value());
}

TEST(ImageFolder, JpegThroughTurboJpegIsOpenCvsResizedCrop) {
  // A 48x40 photograph-like JPEG: decoded, resized (INTER_AREA: shorter side
  // 40 -> 20) and centre-cropped to 16x16 by OpenCV alone, in RGB order, must
  // be what load_image gives by way of TurboJPEG.
  TempDir d;
  cv::Mat m(40, 48, CV_8UC3);
  for (int y = 0; y < 40; ++y)
    for (int x = 0; x < 48; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b((x * 5) % 256, (y * 7) % 256, (x * y) % 256);
  ASSERT_TRUE(cv::imwrite(d / "p.jpg", m));
  cv::Mat ref = cv::imread(d / "p.jpg", cv::IMREAD_COLOR), resized, crop;
  cv::resize(ref, resized, cv::Size(24, 20), 0, 0, cv::INTER_AREA);
  cv::cvtColor(resized(cv::Rect(4, 2, 16, 16)), crop, cv::COLOR_BGR2RGB);
  ImageTransform t;
  t.size = 16;
  t.resize = 20;
  const auto img = load_image(d / "p.jpg", t, 0);
  ASSERT_TRUE(img.has_value());
  const auto expected = torch::from_blob(crop.clone().data, {16, 16, 3}, torch::kUInt8).permute({2, 0, 1});
  EXPECT_TRUE(torch::equal(*img, expected));
}

TEST(ImageFolder, CmykJpegFallsBackToOpenCv) {
  // TurboJPEG gives no RGB from a CMYK JPEG (ImageNet holds a few); OpenCV
  // converts it, so such a file is loaded, not skipped.
  TempDir d;
  std::vector<uint8_t> cmyk(24 * 24 * 4, 0);
  for (size_t i = 0; i < cmyk.size(); i += 4) cmyk[i + 1] = 200;  // one ink
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(tj, cmyk.data(), 24, 0, 24, TJPF_CMYK, &out, &size, TJSAMP_444, 90, 0), 0);
  write_bytes(d / "m.jpg", std::string(reinterpret_cast<const char*>(out), size));
  EXPECT_THROW(decode_jpeg(out, size, "m.jpg"), DataError);
  tjFree(out);
  tjDestroy(tj);
  ImageTransform t;
  t.size = 16;
  t.resize = 16;
  const auto img = load_image(d / "m.jpg", t, 0);
  ASSERT_TRUE(img.has_value());
  cv::Mat ref = cv::imread(d / "m.jpg", cv::IMREAD_COLOR), resized, rgb;
  cv::resize(ref, resized, cv::Size(16, 16), 0, 0, cv::INTER_AREA);
  cv::cvtColor(resized, rgb, cv::COLOR_BGR2RGB);
  EXPECT_TRUE(torch::equal(*img, torch::from_blob(rgb.data, {16, 16, 3}, torch::kUInt8).permute({2, 0, 1})));
}

TEST(ImageFolder, ValClassMissingFromTrainIsAnError) {
  TempDir d;
  write_image(d / "train/cat/a.png", 0, 8, 8);
  write_image(d / "val/zebra/a.png", 1, 8, 8);
  EXPECT_THROW(scan_image_folder(d / "val", scan_image_folder(d / "train").classes), DataError);
}

// imagefolder-stream-SIZE-dct: a training crop decoded in the DCT domain at
// 1/denominator is the full decode's crop up to resampling: close to it
// pixel by pixel, and bitwise equal where no scale keeps SIZE pixels.
TEST(ImageFolder, DctScaledTrainCropIsTheFullDecodesCrop) {
  TempDir d;
  cv::Mat m(384, 512, CV_8UC3);  // a smooth 512x384 photograph stand-in
  for (int y = 0; y < 384; ++y)
    for (int x = 0; x < 512; ++x) m.at<cv::Vec3b>(y, x) = cv::Vec3b(x / 2, y * 255 / 383, (x + y) / 4);
  ASSERT_TRUE(cv::imwrite(d / "p.jpg", m, {cv::IMWRITE_JPEG_QUALITY, 90}));
  const auto mean_abs_diff = [](const torch::Tensor& a, const torch::Tensor& b) {
    return (a.to(torch::kFloat32) - b.to(torch::kFloat32)).abs().mean().item<double>();
  };
  ImageTransform full;
  full.train = true;
  full.size = 64;
  ImageTransform dct = full;
  dct.dct_scaled = true;
  // Area 1.0 fits no aspect ratio but 4:3, so every seed takes the centred
  // 384 x 384 square: decoded at 1/4 (96 >= 64 a side; 1/8 would give 48).
  full.scale_min = full.scale_max = dct.scale_min = dct.scale_max = 1.0;
  EXPECT_EQ(jpeg_scale_denominator(384, 384, 64), 4);
  for (uint64_t seed = 0; seed < 4; ++seed) {
    const auto a = load_image(d / "p.jpg", full, seed), b = load_image(d / "p.jpg", dct, seed);
    ASSERT_TRUE(a && b);
    EXPECT_FALSE(torch::equal(*a, *b)) << "seed " << seed << ": the scaled decode was not used";
    EXPECT_LT(mean_abs_diff(*a, *b), 2.0) << "seed " << seed;
  }
  // Random crops (area 0.08-1): each seed's crop, at whatever scale it allows.
  full.scale_min = dct.scale_min = 0.08;
  for (uint64_t seed = 0; seed < 8; ++seed) {
    const auto a = load_image(d / "p.jpg", full, seed), b = load_image(d / "p.jpg", dct, seed);
    ASSERT_TRUE(a && b);
    EXPECT_LT(mean_abs_diff(*a, *b), 3.0) << "seed " << seed;
  }
  // At 224 a side no crop of this image allows 1/2: the same bits.
  full.size = dct.size = 224;
  for (uint64_t seed = 0; seed < 3; ++seed)
    EXPECT_TRUE(torch::equal(*load_image(d / "p.jpg", full, seed), *load_image(d / "p.jpg", dct, seed)));
}

TEST(ImageFolder, BuildWithOpenCvHeadersHasTheDecoder) { EXPECT_TRUE(have_image_decoder()); }
#else
using namespace nrs::data;

// Without OpenCV the loaders must refuse with the decoder named, not crash
// or return empty data.
TEST(ImageFolder, WithoutOpenCvLoadingThrowsNamingTheDecoder) {
  EXPECT_FALSE(have_image_decoder());
  ImageFolderIndex index{{"a"}, {{"a/x.jpg", 0}}};
  try {
    ImageFolderLoader loader(index, ImageTransform{}, 1, 1, 0);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("OpenCV imgcodecs"), std::string::npos) << e.what();
  }
}
#endif

#include "datasets/image_folder.h"
#include "datasets/image_header.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
#include <opencv2/imgcodecs.hpp>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

namespace {

// OpenCV's own encoders are the reference: whatever they write, the header
// reader must report the size they were given.
std::vector<uchar> encode(const std::string& ext, int w, int h, std::vector<int> params = {}) {
  cv::Mat m(h, w, CV_8UC3, cv::Scalar(10, 200, 30));
  std::vector<uchar> out;
  EXPECT_TRUE(cv::imencode(ext, m, out, params));
  return out;
}

std::optional<ImageSize> size_of(const std::vector<uchar>& b) { return jpeg_or_png_size(b.data(), b.size()); }

// Offset of the first SOF0/SOF2 marker of an encoded JPEG.
size_t sof_offset(const std::vector<uchar>& b) {
  for (size_t i = 0; i + 1 < b.size(); ++i)
    if (b[i] == 0xFF && (b[i + 1] == 0xC0 || b[i + 1] == 0xC2)) return i;
  ADD_FAILURE() << "no SOF marker";
  return 0;
}

}  // namespace

TEST(ImageHeader, ReadsTheSizeOpenCvEncoded) {
  for (const auto& b :
       {encode(".jpg", 37, 21), encode(".jpg", 37, 21, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}), encode(".png", 37, 21)}) {
    const auto s = size_of(b);
    ASSERT_TRUE(s.has_value());
    EXPECT_EQ(s->width, 37);
    EXPECT_EQ(s->height, 21);
  }
}

// libjpeg skips stray bytes between segments (with a warning) and still
// decodes; the reader must find the same frame header.
TEST(ImageHeader, SkipsStrayBytesBetweenSegmentsAsLibjpegDoes) {
  auto b = encode(".jpg", 12, 9);
  b.insert(b.begin() + static_cast<std::ptrdiff_t>(sof_offset(b)), {0x00, 0x17, 0xFF, 0xFF});
  const cv::Mat img = cv::imdecode(b, cv::IMREAD_COLOR);
  ASSERT_FALSE(img.empty());
  const auto s = size_of(b);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->width, img.cols);
  EXPECT_EQ(s->height, img.rows);
}

TEST(ImageHeader, OtherFormatsAndCutHeadersHaveNoSize) {
  const auto jpg = encode(".jpg", 8, 8);
  EXPECT_FALSE(size_of(std::vector<uchar>(jpg.begin(), jpg.begin() + static_cast<std::ptrdiff_t>(sof_offset(jpg)) + 4))
                   .has_value());
  const auto png = encode(".png", 8, 8);
  EXPECT_FALSE(size_of(std::vector<uchar>(png.begin(), png.begin() + 20)).has_value());
  EXPECT_FALSE(size_of(encode(".bmp", 8, 8)).has_value());
  EXPECT_FALSE(size_of({}).has_value());
}

TEST(ImageHeader, PixelLimitChecksEachSideBeforeTheProduct) {
  EXPECT_TRUE(within_pixel_limit({8192, 8192}));
  EXPECT_FALSE(within_pixel_limit({8193, 8192}));
  EXPECT_FALSE(within_pixel_limit({0, 5}));
  EXPECT_FALSE(within_pixel_limit({int64_t{1} << 32, 1}));  // a PNG side can be 2^32 - 1
}

// Found by fuzzing (tests/fuzz/corpus/fuzz_image/regress-huge-header.jpg): a
// CIFAR JPEG whose frame header claims 32767x32767 made OpenCV allocate
// 3 GiB before finding the data missing. Now it is skipped undecoded.
TEST(ImageHeader, HugeClaimedSizeIsSkippedBeforeDecoding) {
  TempDir d;
  auto b = encode(".jpg", 32, 32);
  const size_t sof = sof_offset(b);
  for (size_t k : {size_t{5}, size_t{7}}) {  // height, width
    b[sof + k] = 0x7F;
    b[sof + k + 1] = 0xFF;
  }
  write_bytes(d / "huge.jpg", std::string(b.begin(), b.end()));
  const auto s = size_of(b);
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->width, 32767);
  EXPECT_FALSE(load_image(d / "huge.jpg", ImageTransform{}, 0).has_value());
}

#endif

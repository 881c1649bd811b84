// The TurboJPEG decoder (datasets/jpeg_decoder.h) against an independent
// decoder (OpenCV imgcodecs, bit for bit, on images TurboJPEG encodes), the scaled sizes libjpeg-turbo
// documents (ceil(side / denominator)), a box filter of the full decode for
// the scaled pixels, and bad input.
#include "datasets/dataset.h"
#include "datasets/jpeg_decoder.h"

#include <gtest/gtest.h>
#include <turbojpeg.h>
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <random>

using namespace nrs::data;

namespace {

// A smooth colour image with some noise, as OpenCV encodes it (BGR order).
cv::Mat test_image(int w, int h, uint64_t seed) {
  cv::Mat m(h, w, CV_8UC3);
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> noise(-12, 12);
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x)
      for (int c = 0; c < 3; ++c) {
        const double v = 128 + 100 * std::sin(0.05 * (c + 1) * x + 0.031 * y * (3 - c));
        m.at<cv::Vec3b>(y, x)[c] = cv::saturate_cast<uint8_t>(v + noise(rng));
      }
  return m;
}

// Encoded by TurboJPEG (OpenCV 4.6 cannot choose the chroma subsampling).
std::vector<uint8_t> encode(const cv::Mat& m, int quality, int sampling) {
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj, m.data, m.cols, 0, m.rows, TJPF_BGR, &out, &size, sampling, quality, 0);
  std::vector<uint8_t> bytes(out, out + (rc == 0 ? size : 0));
  tjFree(out);
  tjDestroy(tj);
  return bytes;
}

}  // namespace

TEST(JpegDecoder, DecodesTheBitsOpenCvDecodes) {
  // 4:2:0 (the cifar10-jpeg copy's), 4:2:2 and 4:4:4, odd sizes included.
  for (int sampling : {TJSAMP_420, TJSAMP_422, TJSAMP_444})
    for (auto [w, h] : {std::pair{32, 32}, std::pair{33, 17}, std::pair{500, 375}}) {
      const auto bytes = encode(test_image(w, h, w * 7 + h), 75, sampling);
      const RgbImage img = decode_jpeg(bytes.data(), bytes.size(), "test");
      const cv::Mat ref = cv::imdecode(bytes, cv::IMREAD_COLOR);
      ASSERT_EQ(img.width, ref.cols);
      ASSERT_EQ(img.height, ref.rows);
      int64_t differing = 0;
      for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
          for (int c = 0; c < 3; ++c)
            differing += img.pixels[(static_cast<size_t>(y) * w + x) * 3 + c] != ref.at<cv::Vec3b>(y, x)[2 - c];
      EXPECT_EQ(differing, 0) << w << "x" << h << " sampling " << sampling;
    }
}

TEST(JpegDecoder, ScaledDecodeKeepsTheMinimumSide) {
  // libjpeg-turbo's scaled sizes are ceil(side / denominator).
  EXPECT_EQ(jpeg_scale_denominator(500, 375, 0), 1);
  EXPECT_EQ(jpeg_scale_denominator(500, 375, 187), 2);  // 250x187
  EXPECT_EQ(jpeg_scale_denominator(500, 375, 188), 1);
  EXPECT_EQ(jpeg_scale_denominator(500, 375, 93), 4);  // 125x93
  EXPECT_EQ(jpeg_scale_denominator(500, 375, 1), 8);   // 8 is the smallest scale
  const auto bytes = encode(test_image(500, 375, 3), 90, TJSAMP_420);
  const RgbImage full = decode_jpeg(bytes.data(), bytes.size(), "test");
  for (int min_side : {187, 93, 46}) {
    const int d = jpeg_scale_denominator(500, 375, min_side);
    const RgbImage s = decode_jpeg(bytes.data(), bytes.size(), "test", min_side);
    EXPECT_EQ(s.width, (500 + d - 1) / d);
    EXPECT_EQ(s.height, (375 + d - 1) / d);
    // A DCT-domain scale is close to the d x d box average of the full image:
    // mean absolute difference under 4 grey levels on this smooth image.
    double sum = 0;
    int64_t n = 0;
    for (int y = 0; y + 1 < s.height && (y + 1) * d <= 375; ++y)
      for (int x = 0; x + 1 < s.width && (x + 1) * d <= 500; ++x)
        for (int c = 0; c < 3; ++c) {
          double box = 0;
          for (int dy = 0; dy < d; ++dy)
            for (int dx = 0; dx < d; ++dx) box += full.pixels[((y * d + dy) * 500 + (x * d + dx)) * 3 + c];
          sum += std::abs(box / (d * d) - s.pixels[(static_cast<size_t>(y) * s.width + x) * 3 + c]);
          ++n;
        }
    EXPECT_LT(sum / static_cast<double>(n), 4.0) << "1/" << d;
  }
}

TEST(JpegDecoder, BadInputNamesTheFileAndAllocatesNothingForAHugeHeader) {
  const std::vector<uint8_t> junk = {0x00, 0x01, 0x02, 0x03};
  try {
    decode_jpeg(junk.data(), junk.size(), "junk.jpg");
    FAIL() << "junk decoded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("junk.jpg"), std::string::npos) << e.what();
  }
  // A valid JPEG whose frame header (SOF0) claims 32767 x 32767.
  auto bytes = encode(test_image(16, 16, 1), 75, TJSAMP_420);
  bool patched = false;
  for (size_t i = 0; i + 8 < bytes.size() && !patched; ++i)
    if (bytes[i] == 0xFF && bytes[i + 1] == 0xC0) {
      bytes[i + 5] = 0x7F, bytes[i + 6] = 0xFF, bytes[i + 7] = 0x7F, bytes[i + 8] = 0xFF;
      patched = true;
    }
  ASSERT_TRUE(patched);
  try {
    decode_jpeg(bytes.data(), bytes.size(), "huge.jpg");
    FAIL() << "a 32767 x 32767 header decoded";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("huge.jpg: JPEG header claims 32767x32767"), std::string::npos) << e.what();
  }
}

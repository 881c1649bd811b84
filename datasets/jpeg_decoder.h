// JPEG decoding with libjpeg-turbo's TurboJPEG API: the decoder Pillow and
// torchvision use, with their settings (accurate integer IDCT, fancy
// upsampling), so the pixels are the bits Pillow gives (the cifar10-jpeg
// cache is checked against decoded-pillow.sha256). Linked statically where
// a build carries it (a GPU pack needs no OpenCV on the device).
//
// DCT-domain scaling: libjpeg-turbo can decode at 1/2, 1/4 or 1/8 of the
// size by skipping IDCT coefficients, at a fraction of the full decode's
// cost. decode_jpeg's min_side picks the smallest such scale whose image
// keeps both sides >= min_side (0: full size). A scaled image is not the
// full-size image resized: its pixels differ, so a caller states which it
// used.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nrs::data {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // height x width x 3, R G B, row-major
};

// Throws DataError (dataset.h) naming `what` when the bytes are not a JPEG
// TurboJPEG can decode, or when the header claims more than 2^26 pixels
// (image_header.h's limit), before any pixel buffer is allocated.
RgbImage decode_jpeg(const uint8_t* data, size_t size, const char* what, int min_side = 0);
// The same at a given scale: 1/denominator of each side (rounded up), for
// denominator 1, 2, 4 or 8 (std::invalid_argument otherwise).
RgbImage decode_jpeg_scaled(const uint8_t* data, size_t size, const char* what, int denominator);

// The denominator (1, 2, 4 or 8) decode_jpeg uses for a width x height JPEG.
int jpeg_scale_denominator(int width, int height, int min_side);

}  // namespace nrs::data

#include "datasets/jpeg_decoder.h"
#include "datasets/dataset.h"
#include "datasets/image_header.h"

#include <turbojpeg.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace nrs::data {
namespace {

struct TjHandle {
  tjhandle h = tjInitDecompress();
  ~TjHandle() {
    if (h) tjDestroy(h);
  }
};

// One decompressor per thread: TurboJPEG handles are not shared across
// threads, and creating one per image costs more than a 32x32 decode.
tjhandle thread_decompressor() {
  thread_local TjHandle handle;
  if (!handle.h) throw DataError(std::string("TurboJPEG: cannot create a decompressor: ") + tjGetErrorStr());
  return handle.h;
}

}  // namespace

int jpeg_scale_denominator(int width, int height, int min_side) {
  int denom = 1;
  while (min_side > 0 && denom < 8 && width / (2 * denom) >= min_side && height / (2 * denom) >= min_side) denom *= 2;
  return denom;
}

namespace {

// The header's size, checked against the pixel limit before any allocation.
ImageSize checked_header(tjhandle tj, const uint8_t* data, size_t size, const char* what) {
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  if (tjDecompressHeader3(tj, data, static_cast<unsigned long>(size), &width, &height, &subsamp, &colorspace) != 0)
    throw DataError(std::string(what) + ": not a JPEG TurboJPEG can read (" + tjGetErrorStr2(tj) + ")");
  if (width <= 0 || height <= 0 || !within_pixel_limit(ImageSize{width, height}))
    throw DataError(std::string(what) + ": JPEG header claims " + std::to_string(width) + "x" + std::to_string(height) +
                    " pixels (limit 2^26)");
  return ImageSize{width, height};
}

RgbImage decompress(tjhandle tj, const uint8_t* data, size_t size, const char* what, ImageSize full, int denom) {
  RgbImage img;
  img.width = TJSCALED(static_cast<int>(full.width), (tjscalingfactor{1, denom}));
  img.height = TJSCALED(static_cast<int>(full.height), (tjscalingfactor{1, denom}));
  img.pixels.resize(static_cast<size_t>(img.width) * static_cast<size_t>(img.height) * 3);
  // TJFLAG_ACCURATEDCT: the integer IDCT (libjpeg's JDCT_ISLOW, Pillow's
  // default); fancy upsampling stays on (no TJFLAG_FASTUPSAMPLE), as in Pillow.
  if (tjDecompress2(tj, data, static_cast<unsigned long>(size), img.pixels.data(), img.width, 0, img.height, TJPF_RGB,
                    TJFLAG_ACCURATEDCT) != 0 &&
      tjGetErrorCode(tj) == TJERR_FATAL)
    throw DataError(std::string(what) + ": cannot decode JPEG (" + tjGetErrorStr2(tj) + ")");
  return img;
}

}  // namespace

RgbImage decode_jpeg(const uint8_t* data, size_t size, const char* what, int min_side) {
  tjhandle tj = thread_decompressor();
  const ImageSize full = checked_header(tj, data, size, what);
  return decompress(tj, data, size, what, full,
                    jpeg_scale_denominator(static_cast<int>(full.width), static_cast<int>(full.height), min_side));
}

RgbImage decode_jpeg_scaled(const uint8_t* data, size_t size, const char* what, int denominator) {
  if (denominator != 1 && denominator != 2 && denominator != 4 && denominator != 8)
    throw std::invalid_argument("decode_jpeg_scaled: denominator " + std::to_string(denominator) +
                                " (expected 1, 2, 4 or 8)");
  tjhandle tj = thread_decompressor();
  return decompress(tj, data, size, what, checked_header(tj, data, size, what), denominator);
}

}  // namespace nrs::data

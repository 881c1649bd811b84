// Image dimensions from a JPEG or PNG header, read before decoding: OpenCV
// allocates the whole decoded image from the header alone (up to 2^30 pixels,
// 3 GiB as BGR), so a 1 KB file claiming 32767x32767 pixels would cost each
// decode thread 3 GiB before its data turned out to be missing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>

namespace nrs::data {

struct ImageSize {
  int64_t width = 0, height = 0;
};

// Images larger than this are refused as corrupt (2^26 pixels: 8192x8192,
// 192 MiB decoded; ImageNet's largest photographs are well below it).
constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Width and height from the frame header (SOFn) of a JPEG, found the way
// libjpeg finds it (markers in order, stray bytes between them skipped), or
// from the IHDR chunk of a PNG. nullopt when the bytes are neither or the
// header is missing or cut short.
std::optional<ImageSize> jpeg_or_png_size(const uint8_t* data, size_t size);

// Non-empty and at most kMaxImagePixels (each side checked first: a PNG's
// 32-bit sides would overflow the product).
inline bool within_pixel_limit(const ImageSize& s) {
  return s.width > 0 && s.height > 0 && s.width <= kMaxImagePixels && s.height <= kMaxImagePixels &&
         s.width * s.height <= kMaxImagePixels;
}

}  // namespace nrs::data

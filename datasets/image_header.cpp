#include "datasets/image_header.h"

#include <cstring>

namespace nrs::data {
namespace {

uint32_t be16(const uint8_t* p) { return (uint32_t{p[0]} << 8) | p[1]; }
uint32_t be32(const uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }

std::optional<ImageSize> jpeg_size(const uint8_t* d, size_t n) {
  size_t i = 2;  // after SOI (FF D8)
  for (;;) {
    // Like libjpeg's next_marker: skip anything up to an FF, then fill FFs.
    while (i < n && d[i] != 0xFF) ++i;
    while (i < n && d[i] == 0xFF) ++i;
    if (i >= n) return std::nullopt;
    const uint8_t m = d[i++];
    if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;  // no length: SOI, TEM, RSTn
    if (m == 0xD9 || m == 0xDA) return std::nullopt;                   // EOI or SOS before any frame header
    if (i + 2 > n) return std::nullopt;
    const size_t len = be16(d + i);
    if (len < 2) return std::nullopt;
    // SOF0..SOF15 except DHT (C4), JPG (C8), DAC (CC): precision, height, width.
    if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
      if (len < 7 || i + 7 > n) return std::nullopt;
      return ImageSize{be16(d + i + 5), be16(d + i + 3)};
    }
    i += len;
  }
}

}  // namespace

std::optional<ImageSize> jpeg_or_png_size(const uint8_t* data, size_t size) {
  static const uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 2 && data[0] == 0xFF && data[1] == 0xD8) return jpeg_size(data, size);
  // PNG: signature, then the IHDR chunk (length, type, width, height) first.
  if (size >= 24 && std::memcmp(data, kPng, 8) == 0 && std::memcmp(data + 12, "IHDR", 4) == 0)
    return ImageSize{be32(data + 16), be32(data + 20)};
  return std::nullopt;
}

}  // namespace nrs::data

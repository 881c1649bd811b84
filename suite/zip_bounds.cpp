#include "suite/zip_bounds.h"

#include <cstdint>
#include <cstring>

namespace nrs {
namespace {

uint64_t le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int b = bytes - 1; b >= 0; --b) v = (v << 8) | static_cast<unsigned char>(p[b]);
  return v;
}

bool has(const char* data, size_t size, uint64_t at, uint64_t n) { return at <= size && n <= size - at; }

// Offset and entry count of the central directory, from the end-of-central-
// directory record (or its zip64 form when the plain one holds 0xFFFFFFFF).
bool central_directory(const char* d, size_t n, uint64_t* offset, uint64_t* entries) {
  if (n < 22) return false;
  size_t eocd = n - 22;
  const size_t lowest = n >= 22 + 65535 ? n - 22 - 65535 : 0;  // after it: a comment of up to 64 KiB
  while (std::memcmp(d + eocd, "PK\5\6", 4) != 0) {
    if (eocd == lowest) return false;
    --eocd;
  }
  *entries = le(d + eocd + 10, 2);
  *offset = le(d + eocd + 16, 4);
  if (*offset != 0xFFFFFFFFu && *entries != 0xFFFFu) return true;
  // Zip64: a locator just before the record points at the zip64 record.
  if (eocd < 20 || std::memcmp(d + eocd - 20, "PK\6\7", 4) != 0) return false;
  const uint64_t z = le(d + eocd - 20 + 8, 8);
  if (!has(d, n, z, 56) || std::memcmp(d + z, "PK\6\6", 4) != 0) return false;
  *entries = le(d + z + 32, 8);
  *offset = le(d + z + 48, 8);
  return true;
}

}  // namespace

std::optional<std::string> zip_entry_overrun(const char* d, size_t n) {
  uint64_t at = 0, entries = 0;
  if (!central_directory(d, n, &at, &entries)) return std::nullopt;
  const uint64_t limit = static_cast<uint64_t>(n) * kMaxZipExpansion;
  for (uint64_t e = 0; e < entries; ++e) {
    if (!has(d, n, at, 46) || std::memcmp(d + at, "PK\1\2", 4) != 0) return std::nullopt;
    uint64_t declared = le(d + at + 24, 4);
    const uint64_t name_len = le(d + at + 28, 2), extra_len = le(d + at + 30, 2), comment_len = le(d + at + 32, 2);
    if (!has(d, n, at + 46, name_len + extra_len)) return std::nullopt;
    const std::string name(d + at + 46, name_len);
    if (declared == 0xFFFFFFFFu) {
      // Zip64 extended information (id 1): the 8-byte uncompressed size first.
      for (uint64_t x = at + 46 + name_len; x + 4 <= at + 46 + name_len + extra_len;) {
        const uint64_t id = le(d + x, 2), len = le(d + x + 2, 2);
        if (id == 1 && len >= 8 && x + 4 + 8 <= at + 46 + name_len + extra_len) declared = le(d + x + 4, 8);
        x += 4 + len;
      }
    }
    if (declared > limit) return name + " declares " + std::to_string(declared) + " bytes";
    at += 46 + name_len + extra_len + comment_len;
  }
  return std::nullopt;
}

}  // namespace nrs

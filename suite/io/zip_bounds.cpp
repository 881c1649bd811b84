#include "suite/io/zip_bounds.h"

#include <zlib.h>

#include <algorithm>

#include <cstdint>
#include <cstring>
#include <vector>

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

namespace {

// An entry's zip64 extra field holds, in this order, only the fields its
// central header marks 0xFFFFFFFF: uncompressed size, compressed size, offset.
void zip64_fields(const char* d, uint64_t extra, uint64_t extra_len, uint64_t* usize, uint64_t* csize,
                  uint64_t* offset) {
  for (uint64_t x = extra; x + 4 <= extra + extra_len;) {
    const uint64_t id = le(d + x, 2), len = le(d + x + 2, 2);
    if (id == 1) {
      uint64_t at = x + 4;
      const uint64_t end = std::min(x + 4 + len, extra + extra_len);
      for (uint64_t* f : {usize, csize, offset})
        if (*f == 0xFFFFFFFFu && at + 8 <= end) {
          *f = le(d + at, 8);
          at += 8;
        }
      return;
    }
    x += 4 + len;
  }
}

uint32_t crc_of(const char* p, uint64_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<uint64_t>(n, 1u << 30));
    crc = crc32(crc, reinterpret_cast<const Bytef*>(p), chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// CRC-32 of a raw-deflate stream's output, or nullopt when it does not inflate.
std::optional<uint32_t> inflated_crc(const char* p, uint64_t n) {
  z_stream z{};
  if (inflateInit2(&z, -MAX_WBITS) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(p));
  z.avail_in = static_cast<uInt>(std::min<uint64_t>(n, 0xFFFFFFFFu));
  std::vector<Bytef> out(1 << 16);
  uLong crc = crc32(0L, Z_NULL, 0);
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    crc = crc32(crc, out.data(), static_cast<uInt>(out.size() - z.avail_out));
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return static_cast<uint32_t>(crc);
}

}  // namespace

std::optional<std::string> zip_damage(const char* d, size_t n) {
  uint64_t at = 0, entries = 0;
  if (!central_directory(d, n, &at, &entries)) return std::string("no zip directory at its end (empty or cut short)");
  if (entries == 0) return std::string("an archive without records");
  for (uint64_t e = 0; e < entries; ++e) {
    if (!has(d, n, at, 46) || std::memcmp(d + at, "PK\1\2", 4) != 0)
      return "directory entry " + std::to_string(e) + " is damaged";
    const uint64_t method = le(d + at + 10, 2), crc = le(d + at + 16, 4);
    uint64_t csize = le(d + at + 20, 4), usize = le(d + at + 24, 4), local = le(d + at + 42, 4);
    const uint64_t name_len = le(d + at + 28, 2), extra_len = le(d + at + 30, 2), comment_len = le(d + at + 32, 2);
    if (!has(d, n, at + 46, name_len + extra_len)) return "directory entry " + std::to_string(e) + " is cut short";
    const std::string name(d + at + 46, name_len);
    zip64_fields(d, at + 46 + name_len, extra_len, &usize, &csize, &local);
    if (!has(d, n, local, 30) || std::memcmp(d + local, "PK\3\4", 4) != 0) return name + ": local header damaged";
    const uint64_t data = local + 30 + le(d + local + 26, 2) + le(d + local + 28, 2);
    if (!has(d, n, data, csize)) return name + ": cut short";
    if (method == 0) {
      if (csize != usize || crc_of(d + data, csize) != crc) return name + ": CRC mismatch";
    } else if (method == 8) {
      const auto got = inflated_crc(d + data, csize);
      if (!got || *got != crc) return name + ": CRC mismatch";
    } else {
      return name + ": compression method " + std::to_string(method) + " is not one torch.save writes";
    }
    at += 46 + name_len + extra_len + comment_len;
  }
  return std::nullopt;
}

}  // namespace nrs

#include "datasets/idx_reader.h"
#include "datasets/dataset.h"

#include <zlib.h>
#include <fstream>
#include <sstream>

namespace nrs::data {

std::string read_maybe_gzip(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  if (!probe) throw DataError(path + ": cannot open file (missing or unreadable)");
  unsigned char magic[2] = {0, 0};
  probe.read(reinterpret_cast<char*>(magic), 2);
  const bool gz = probe.gcount() == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  if (!gz) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  gzFile f = gzopen(path.c_str(), "rb");
  if (!f) throw DataError(path + ": cannot open gzip file");
  std::string out;
  char buf[1 << 16];
  for (;;) {
    int n = gzread(f, buf, sizeof(buf));
    if (n < 0) {
      int err = 0;
      std::string msg = gzerror(f, &err);
      gzclose(f);
      throw DataError(path + ": corrupt gzip stream (" + msg + ")");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  gzclose(f);
  return out;
}

static uint32_t be32(const std::string& s, size_t off) {
  auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[off + i])); };
  return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
}

torch::Tensor read_idx_ubyte(const std::string& path, int expected_dims) {
  const std::string bytes = read_maybe_gzip(path);
  if (bytes.size() < 4)
    throw DataError(path + ": truncated IDX header (got " + std::to_string(bytes.size()) +
                    " bytes, expected at least 4)");
  const uint32_t magic = be32(bytes, 0);
  const uint32_t want = 0x00000800u | static_cast<uint32_t>(expected_dims);
  if (magic != want) {
    std::ostringstream m;
    m << path << ": wrong IDX magic 0x" << std::hex << magic << ", expected 0x" << want << " (unsigned byte, "
      << std::dec << expected_dims << " dimension(s))";
    throw DataError(m.str());
  }
  const size_t header = 4 + 4 * static_cast<size_t>(expected_dims);
  if (bytes.size() < header)
    throw DataError(path + ": truncated IDX header (got " + std::to_string(bytes.size()) + " bytes, expected " +
                    std::to_string(header) + ")");
  std::vector<int64_t> dims;
  uint64_t count = 1;
  bool overflow = false;  // three 32-bit sizes can wrap 64 bits and then "match" a short file
  for (int d = 0; d < expected_dims; ++d) {
    dims.push_back(be32(bytes, 4 + 4 * d));
    overflow = __builtin_mul_overflow(count, static_cast<uint64_t>(dims.back()), &count) || overflow;
  }
  if (overflow) {
    std::string shape;
    for (auto v : dims) shape += (shape.empty() ? "" : " x ") + std::to_string(v);
    throw DataError(path + ": IDX header declares " + shape + " bytes, more than any file holds (corrupt header)");
  }
  if (bytes.size() != header + count) {
    throw DataError(path + ": " + std::to_string(bytes.size() - header) + " payload bytes, expected " +
                    std::to_string(count) + " (" + std::to_string(dims[0]) + " records)");
  }
  auto t = torch::empty(dims, torch::kUInt8);
  // An empty tensor (0 records) may have no storage: memcpy from/to null is undefined.
  if (count > 0) std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + header, count);
  return t;
}

}  // namespace nrs::data

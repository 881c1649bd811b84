#include "datasets/dataset.h"
#include "datasets/idx_reader.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>
#include <zlib.h>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

namespace {

std::string be32(uint32_t v) {
  return std::string{char(v >> 24), char((v >> 16) & 0xff), char((v >> 8) & 0xff), char(v & 0xff)};
}

// 2 images of 2x3, pixel = 10*image + position.
std::string idx_images() {
  std::string s = be32(0x803) + be32(2) + be32(2) + be32(3);
  for (int i = 0; i < 2; ++i)
    for (int p = 0; p < 6; ++p) s += char(10 * i + p);
  return s;
}

void write_gz(const std::string& path, const std::string& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::string error_of(const std::string& path, int dims) {
  try {
    read_idx_ubyte(path, dims);
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(IdxReader, ReadsRawAndGzipIdentically) {
  TempDir d;
  write_bytes(d / "raw", idx_images());
  write_gz(d / "img.gz", idx_images());
  for (const auto& p : {d / "raw", d / "img.gz"}) {
    auto t = read_idx_ubyte(p, 3);
    ASSERT_EQ(t.sizes(), (std::vector<int64_t>{2, 2, 3}));
    EXPECT_EQ(t[1][1][2].item<int>(), 15);  // image 1, row 1, col 2 -> position 5
    EXPECT_EQ(t[0][0][1].item<int>(), 1);
  }
}

TEST(IdxReader, TruncatedFileIsAnErrorNamingTheFile) {
  TempDir d;
  auto bytes = idx_images();
  bytes.pop_back();
  write_bytes(d / "short", bytes);
  write_gz(d / "short.gz", bytes);
  for (const auto& p : {d / "short", d / "short.gz"}) {
    const auto msg = error_of(p, 3);
    EXPECT_NE(msg.find(p), std::string::npos) << msg;
    EXPECT_NE(msg.find("expected 12"), std::string::npos) << msg;
  }
}

TEST(IdxReader, WrongMagicIsAnError) {
  TempDir d;
  write_bytes(d / "labels", be32(0x801) + be32(1) + "\x03");
  write_gz(d / "labels.gz", be32(0x801) + be32(1) + "\x03");
  for (const auto& p : {d / "labels", d / "labels.gz"}) {
    const auto msg = error_of(p, 3);  // a label file where images are expected
    EXPECT_NE(msg.find("wrong IDX magic"), std::string::npos) << msg;
    EXPECT_EQ(read_idx_ubyte(p, 1)[0].item<int>(), 3);
  }
}

TEST(IdxReader, MissingFileIsAnError) {
  TempDir d;
  EXPECT_NE(error_of(d / "nope", 1).find(d / "nope"), std::string::npos);
}

// Found by fuzzing (tests/fuzz/corpus/fuzz_idx/regress-*.idx): a header with
// 0 records copied 0 bytes to a tensor without storage (memcpy from null).
TEST(IdxReader, ZeroRecordsReadAsAnEmptyTensor) {
  TempDir d;
  write_bytes(d / "empty", be32(0x803) + be32(0) + be32(28) + be32(28));
  auto t = read_idx_ubyte(d / "empty", 3);
  EXPECT_EQ(t.sizes(), (std::vector<int64_t>{0, 28, 28}));
}

// 2^16 * 2^24 * 2^24 = 2^64 wraps to 0 in 64 bits, which an empty payload
// would have matched: the header is corrupt whatever the file's length.
TEST(IdxReader, DimensionsBeyondAnyFileSizeAreAnError) {
  TempDir d;
  write_bytes(d / "huge", be32(0x803) + be32(1u << 16) + be32(1u << 24) + be32(1u << 24));
  const auto msg = error_of(d / "huge", 3);
  EXPECT_NE(msg.find(d / "huge"), std::string::npos) << msg;
  EXPECT_NE(msg.find("65536 x 16777216 x 16777216"), std::string::npos) << msg;
}

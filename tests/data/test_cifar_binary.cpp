#include "datasets/cifar_binary.h"
#include "datasets/registry.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

namespace {

// The official layout written by hand: label byte(s), then the 1024-byte red
// plane, green plane, blue plane, each row-major. Pixel (c, y, x) of record r
// gets a value that encodes all four, so any transposition shows.
uint8_t pixel(int r, int c, int y, int x) { return static_cast<uint8_t>(r * 7 + c * 50 + y * 3 + x); }

std::string records(const std::vector<std::vector<uint8_t>>& labels) {
  std::string s;
  for (size_t r = 0; r < labels.size(); ++r) {
    for (auto l : labels[r]) s += char(l);
    for (int c = 0; c < 3; ++c)
      for (int y = 0; y < 32; ++y)
        for (int x = 0; x < 32; ++x) s += char(pixel(static_cast<int>(r), c, y, x));
  }
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

void write_cifar10_dir(const std::string& dir) {
  for (int i = 1; i <= 5; ++i)
    write_bytes(dir + "/data_batch_" + std::to_string(i) + ".bin", records({{uint8_t(i)}, {uint8_t(9)}}));
  write_bytes(dir + "/test_batch.bin", records({{0}}));
}

}  // namespace

TEST(CifarBinary, Cifar10RecordsDecodeToRgbPlanesRowMajor) {
  TempDir d;
  write_bytes(d / "b.bin", records({{3}, {8}}));
  auto s = read_cifar_file(d / "b.bin", 1, 0);
  ASSERT_EQ(s.images.sizes(), (std::vector<int64_t>{2, 3, 32, 32}));
  EXPECT_EQ(s.images.scalar_type(), torch::kUInt8);
  EXPECT_EQ(s.labels[0].item<int64_t>(), 3);
  EXPECT_EQ(s.labels[1].item<int64_t>(), 8);
  for (int r = 0; r < 2; ++r)
    for (int c = 0; c < 3; ++c)
      for (int y : {0, 5, 31})
        for (int x : {0, 17, 31}) ASSERT_EQ(s.images[r][c][y][x].item<int>(), pixel(r, c, y, x)) << r << c << y << x;
}

TEST(CifarBinary, EncodeRoundTripsAKnownImage) {
  TempDir d;
  const auto bytes = records({{4}, {2}});
  write_bytes(d / "b.bin", bytes);
  auto s = read_cifar_file(d / "b.bin", 1, 0);
  EXPECT_EQ(encode_cifar10_records(s.images, s.labels), bytes);
}

TEST(CifarBinary, Cifar100PicksFineOrCoarseByte) {
  TempDir d;
  write_bytes(d / "train.bin", records({{4, 77}, {19, 99}}));
  auto fine = read_cifar_file(d / "train.bin", 2, 1);
  auto coarse = read_cifar_file(d / "train.bin", 2, 0);
  EXPECT_EQ(fine.labels[0].item<int64_t>(), 77);
  EXPECT_EQ(fine.labels[1].item<int64_t>(), 99);
  EXPECT_EQ(coarse.labels[1].item<int64_t>(), 19);
  EXPECT_EQ(fine.images[1][2][31][31].item<int>(), pixel(1, 2, 31, 31));
}

TEST(CifarBinary, TruncatedFileNamesFileAndRecordSize) {
  TempDir d;
  auto c10 = records({{1}, {2}});
  c10.resize(c10.size() - 10);
  write_bytes(d / "data_batch_1.bin", c10);
  auto msg = error_of([&] { read_cifar_file(d / "data_batch_1.bin", 1, 0); });
  EXPECT_NE(msg.find(d / "data_batch_1.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3073"), std::string::npos) << msg;

  auto c100 = records({{1, 2}});
  c100.pop_back();
  write_bytes(d / "train.bin", c100);
  msg = error_of([&] { read_cifar_file(d / "train.bin", 2, 1); });
  EXPECT_NE(msg.find(d / "train.bin"), std::string::npos) << msg;
  EXPECT_NE(msg.find("3074"), std::string::npos) << msg;
}

TEST(CifarBinary, Cifar10DatasetFromDataDirWithClassNames) {
  TempDir d;
  write_cifar10_dir(d / "cifar-10-batches-bin");
  write_bytes(d / "cifar-10-batches-bin/batches.meta.txt", "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");
  DatasetOptions o;
  o.data_dir = d.str();
  auto ds = make_dataset("cifar10", o);
  EXPECT_EQ(ds.info.name, "cifar10");
  EXPECT_EQ(ds.train.size(), 10);
  EXPECT_EQ(ds.test.size(), 1);
  EXPECT_EQ(ds.info.class_names.at(9), "j");
  EXPECT_EQ(ds.train.labels[2].item<int64_t>(), 2);  // data_batch_2's first record
  EXPECT_EQ(ds.info.mean.size(), 3u);
}

TEST(CifarBinary, Cifar100LabelsOptionAndNameSuffix) {
  TempDir d;
  write_bytes(d / "train.bin", records({{4, 77}, {19, 99}, {0, 5}}));
  write_bytes(d / "test.bin", records({{1, 2}}));
  DatasetOptions o;
  o.data_dir = d.str();
  auto fine = make_dataset("cifar100", o);
  EXPECT_EQ(fine.info.num_classes, 100);
  EXPECT_EQ(fine.train.labels[1].item<int64_t>(), 99);
  o.cifar100_labels = "coarse";
  auto coarse = make_dataset("cifar100", o);
  EXPECT_EQ(coarse.info.num_classes, 20);
  EXPECT_EQ(coarse.info.name, "cifar100-coarse");
  EXPECT_EQ(coarse.train.labels[1].item<int64_t>(), 19);
  o.cifar100_labels = "fine";
  EXPECT_EQ(make_dataset("cifar100-coarse", o).info.num_classes, 20);
  o.cifar100_labels = "medium";
  EXPECT_NE(error_of([&] { make_dataset("cifar100", o); }).find("medium"), std::string::npos);
}

TEST(CifarBinary, MissingDatasetSaysWhereItLookedAndHowToGetIt) {
  TempDir d;
  DatasetOptions o;
  o.data_dir = d.str();
  const auto msg = error_of([&] { make_dataset("cifar10", o); });
  EXPECT_NE(msg.find(d.str()), std::string::npos) << msg;
  EXPECT_NE(msg.find("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

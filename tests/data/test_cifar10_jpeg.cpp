#include "datasets/cifar10_jpeg.h"
#include "datasets/cifar_binary.h"
#include "datasets/sha256.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

using namespace nrs::data;
using nrs::test::TempDir;
using nrs::test::write_bytes;

// FIPS 180-2 appendix B test vectors.
TEST(Sha256, KnownVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, ChunkedUpdatesMatchOneShot) {
  std::string s;
  for (int i = 0; i < 1000; ++i) s += char(i * 31);
  Sha256 h;
  for (size_t a = 0; a < s.size(); a += 37) h.update(s.data() + a, std::min<size_t>(37, s.size() - a));
  EXPECT_EQ(h.hex_digest(), sha256_hex(s));
}

TEST(Cifar10Jpeg, VerifyAgainstReportsMatchAndMismatch) {
  TempDir d;
  write_bytes(d / "data_batch_1.bin", "abc");
  write_bytes(d / "test_batch.bin", "xyz");
  write_bytes(d / "ref.sha256", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad  data_batch_1.bin\n" +
                                    sha256_hex("xyz") + "  test_batch.bin\n");
  auto ok = verify_against(d.str(), d / "ref.sha256");
  EXPECT_TRUE(ok.checked);
  EXPECT_TRUE(ok.mismatched.empty()) << ok.summary;
  write_bytes(d / "test_batch.bin", "xyZ");
  auto bad = verify_against(d.str(), d / "ref.sha256");
  ASSERT_EQ(bad.mismatched, std::vector<std::string>{"test_batch.bin"});
  EXPECT_NE(bad.summary.find("MISMATCH"), std::string::npos);
  EXPECT_FALSE(verify_against(d.str(), d / "none.sha256").checked);
}

TEST(Cifar10Jpeg, OfficialLabelIndicesByName) {
  EXPECT_EQ(cifar10_label_of("airplane"), 0);
  EXPECT_EQ(cifar10_label_of("cat"), 3);
  EXPECT_EQ(cifar10_label_of("truck"), 9);
  EXPECT_EQ(cifar10_label_of("Truck"), -1);
}

#if __has_include(<opencv2/imgcodecs.hpp>)  // OpenCV found at configure time
#include <opencv2/imgcodecs.hpp>

// Records must come out sorted by (official label index, file name), whatever
// the directory order, split into files of `per_file` records.
TEST(Cifar10Jpeg, CacheFromTreeSortsByLabelThenName) {
  TempDir d;
  struct F {
    std::string split, cls, name;
    int grey;
  };
  const std::vector<F> files = {{"train", "truck", "0001.jpg", 40}, {"train", "cat", "0002.jpg", 80},
                                {"train", "cat", "0000.jpg", 120},  {"train", "airplane", "0005.jpg", 160},
                                {"test", "ship", "0000.jpg", 200},  {"test", "airplane", "0003.jpg", 240}};
  for (const auto& f : files) {
    std::filesystem::create_directories(d / (f.split + "/" + f.cls));
    cv::Mat m(32, 32, CV_8UC3, cv::Scalar(f.grey, f.grey, f.grey));
    m.at<cv::Vec3b>(0, 0) = cv::Vec3b(0, 0, 0);
    ASSERT_TRUE(cv::imwrite(d / (f.split + "/" + f.cls + "/" + f.name), m, {cv::IMWRITE_JPEG_QUALITY, 100}));
  }
  write_cifar_cache_from_tree(d.str(), d / "out", /*per_file=*/3, /*threads=*/2);
  auto b1 = read_cifar_file(d / "out/data_batch_1.bin", 1, 0);
  auto b2 = read_cifar_file(d / "out/data_batch_2.bin", 1, 0);
  auto test = read_cifar_file(d / "out/test_batch.bin", 1, 0);
  EXPECT_FALSE(std::filesystem::exists(d / "out/data_batch_3.bin"));
  ASSERT_EQ(b1.size(), 3);
  ASSERT_EQ(b2.size(), 1);
  const std::vector<int64_t> want_labels = {0, 3, 3, 9};
  const std::vector<int> want_grey = {160, 120, 80, 40};
  auto labels = torch::cat({b1.labels, b2.labels});
  auto images = torch::cat({b1.images, b2.images});
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(labels[i].item<int64_t>(), want_labels[i]) << i;
    EXPECT_NEAR(images[i][1][16][16].item<int>(), want_grey[i], 3) << i;
  }
  EXPECT_EQ(test.labels[0].item<int64_t>(), 0);
  EXPECT_EQ(test.labels[1].item<int64_t>(), 8);
  EXPECT_EQ(read_class_names(d / "out/batches.meta.txt").at(1), "automobile");
}

TEST(Cifar10Jpeg, UnknownClassFolderIsAnError) {
  TempDir d;
  std::filesystem::create_directories(d / "train/zebra");
  std::filesystem::create_directories(d / "test/cat");
  EXPECT_THROW(write_cifar_cache_from_tree(d.str(), d / "out", 10, 1), DataError);
}
#endif

// The real cifar10-jpeg archive (../shared/data), decoded by the suite's
// TurboJPEG path into a fresh cache, gives the six batch files whose SHA-256
// the data's README publishes from Pillow 9.4's decode (decoded-pillow.sha256):
// the decoder is Pillow's bit for bit. Skipped where the archive is absent.
// CTest label: e2e
#include "datasets/cifar10_jpeg.h"
#include "datasets/locate.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <cstdlib>

using namespace nrs::data;

TEST(Cifar10JpegPillow, FreshCacheReproducesPillowsHashes) {
  DatasetOptions opts;
  std::string src;
  try {
    src = locate_dataset("cifar10-jpeg", opts, "cifar10-jpeg", {"cifar10-jpeg.tar.xz"}, "");
  } catch (const DataError&) {
    GTEST_SKIP() << "no cifar10-jpeg archive here";
  }
  nrs::test::TempDir cache;
  ::setenv("NRSBENCH_CACHE", cache.str().c_str(), 1);
  HashCheck check;
  ensure_cifar10_jpeg_cache(opts, &check);
  ::unsetenv("NRSBENCH_CACHE");
  EXPECT_TRUE(check.checked) << check.summary;
  EXPECT_TRUE(check.mismatched.empty()) << check.summary;
  EXPECT_NE(check.summary.find("6/6"), std::string::npos) << check.summary;
}

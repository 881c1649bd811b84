// The split sizes the dataset registry publishes for planning (compute
// budgets) against the datasets' own published counts and, where the files
// are here, against what the loaders read.
#include "datasets/registry.h"
#include "datasets/streaming_folder.h"

#include <gtest/gtest.h>

using namespace nrs::data;

TEST(DatasetRegistry, PublishedSplitSizesAreTheDatasetsOwn) {
  // Xiao et al. 2017 (Fashion-MNIST), LeCun et al. (MNIST), Krizhevsky 2009
  // (CIFAR-10/100); cifar10-jpeg is a copy of CIFAR-10 (its README).
  const std::vector<std::tuple<std::string, int64_t, int64_t>> published = {
      {"fashion-mnist", 60000, 10000}, {"mnist", 60000, 10000},           {"cifar10", 50000, 10000},
      {"cifar100", 50000, 10000},      {"cifar100-coarse", 50000, 10000}, {"cifar10-jpeg", 50000, 10000}};
  for (const auto& [name, train, test] : published) {
    EXPECT_EQ(dataset_entry(name).train_images, train) << name;
    EXPECT_EQ(dataset_entry(name).test_images, test) << name;
  }
  EXPECT_EQ(dataset_entry("imagefolder-64").train_images, 0) << "an image folder's size depends on its files";
  EXPECT_THROW(dataset_entry("no-such-set"), DataError);
}

TEST(DatasetRegistry, PublishedSizesMatchWhatTheLoadersRead) {
  DatasetOptions o;
  const auto synthetic = make_dataset("synthetic-1x4x4-3", o);
  EXPECT_EQ(synthetic.train.size(), dataset_entry("synthetic-1x4x4-3").train_images);
  EXPECT_EQ(synthetic.test.size(), dataset_entry("synthetic-1x4x4-3").test_images);
  Dataset fmnist;
  try {
    fmnist = make_dataset("fashion-mnist", o);
  } catch (const DataError&) {
    GTEST_SKIP() << "no Fashion-MNIST files here";
  }
  EXPECT_EQ(fmnist.train.size(), dataset_entry("fashion-mnist").train_images);
  EXPECT_EQ(fmnist.test.size(), dataset_entry("fashion-mnist").test_images);
}

TEST(DatasetRegistry, StreamedFolderNamesCarrySizeAndDctScaling) {
  int64_t size = 0;
  bool dct = true;
  EXPECT_TRUE(parse_streaming_folder_name("imagefolder-stream-160-dct", &size, &dct));
  EXPECT_EQ(size, 160);
  EXPECT_TRUE(dct);
  EXPECT_TRUE(parse_streaming_folder_name("imagefolder-stream-224", &size, &dct));
  EXPECT_EQ(size, 224);
  EXPECT_FALSE(dct);
  EXPECT_TRUE(parse_streaming_folder_name("imagefolder-stream-dct", nullptr, &dct));
  EXPECT_TRUE(dct);
  EXPECT_FALSE(parse_streaming_folder_name("imagefolder-stream-224-dct2", nullptr, nullptr));
  EXPECT_TRUE(has_dataset("imagefolder-stream-224-dct"));
}

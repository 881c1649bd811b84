#include "datasets/dataset.h"

#include <gtest/gtest.h>

#include <set>

using namespace nrs::data;

namespace {

// 600 / 300 / 100 samples of classes 0 / 1 / 2; image i holds the value i so
// membership can be traced after the split.
Dataset imbalanced() {
  Dataset ds;
  std::vector<int64_t> labels;
  for (int i = 0; i < 1000; ++i) labels.push_back(i % 10 < 6 ? 0 : (i % 10 < 9 ? 1 : 2));
  ds.train.labels = torch::tensor(labels, torch::kInt64);
  ds.train.images = torch::arange(1000, torch::kFloat32).view({1000, 1, 1, 1});
  return ds;
}

std::set<int64_t> ids(const Split& s) {
  std::set<int64_t> out;
  for (int64_t i = 0; i < s.size(); ++i) out.insert(static_cast<int64_t>(s.images[i][0][0][0].item<float>()));
  return out;
}

}  // namespace

TEST(ValidationSplit, StratifiedByClass) {
  auto ds = imbalanced();
  carve_validation(ds, 100, 1);
  auto counts = torch::bincount(ds.val.labels, {}, 3);
  EXPECT_EQ(counts[0].item<int64_t>(), 60);
  EXPECT_EQ(counts[1].item<int64_t>(), 30);
  EXPECT_EQ(counts[2].item<int64_t>(), 10);
  EXPECT_EQ(ds.train.size(), 900);
}

TEST(ValidationSplit, DisjointFromTrainAndLabelsFollowImages) {
  auto ds = imbalanced();
  const auto original = ds.train.labels.clone();
  carve_validation(ds, 137, 2);
  auto v = ids(ds.val), t = ids(ds.train);
  EXPECT_EQ(v.size(), 137u);
  EXPECT_EQ(t.size(), 863u);
  for (auto i : v) EXPECT_EQ(t.count(i), 0u) << i;
  for (int64_t i = 0; i < ds.val.size(); ++i) {
    const auto id = static_cast<int64_t>(ds.val.images[i][0][0][0].item<float>());
    ASSERT_EQ(ds.val.labels[i].item<int64_t>(), original[id].item<int64_t>());
  }
}

TEST(ValidationSplit, SeededMembership) {
  auto a = imbalanced(), b = imbalanced(), c = imbalanced();
  carve_validation(a, 100, 5);
  carve_validation(b, 100, 5);
  carve_validation(c, 100, 6);
  EXPECT_EQ(ids(a.val), ids(b.val));
  EXPECT_NE(ids(a.val), ids(c.val));
}

TEST(ValidationSplit, TooLargeIsAnError) {
  auto ds = imbalanced();
  EXPECT_THROW(carve_validation(ds, 1000, 0), DataError);
}

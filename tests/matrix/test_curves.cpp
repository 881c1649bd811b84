// Curves over seeds in the aggregate: the 95% band of test accuracy per
// epoch against a t-interval computed by hand, and the averaged spectral
// densities and loss slices.
#include "suite/matrix/aggregate.h"
#include "suite/matrix/curves.h"
#include "tests/support/result_files.h"

#include <gtest/gtest.h>

#include <cmath>

using nlohmann::json;
using nrs::test::fake_result;
using nrs::test::TempDir;
using nrs::test::write_json;

namespace {

json with_history(json r, const std::vector<double>& acc) {
  r["history"] = json::array();
  for (size_t e = 0; e < acc.size(); ++e) r["history"].push_back({{"epoch", e + 1}, {"test_acc", acc[e]}});
  return r;
}

}  // namespace

TEST(Curves, TestAccuracyBandIsTheTIntervalOverSeeds) {
  TempDir t;
  // Epoch 1: 0.80, 0.82, 0.84 (three seeds); epoch 2: 0.85, 0.87 (the third
  // run stopped after one epoch).
  write_json(t / "s0.json",
             with_history(fake_result("fashion-mnist", "small-cnn", "sgd", 0, 0.85, 10, 5), {0.80, 0.85}));
  write_json(t / "s1.json",
             with_history(fake_result("fashion-mnist", "small-cnn", "sgd", 1, 0.87, 10, 5), {0.82, 0.87}));
  write_json(t / "s2.json", with_history(fake_result("fashion-mnist", "small-cnn", "sgd", 2, 0.84, 10, 5), {0.84}));
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str())).to_json();
  ASSERT_EQ(agg["cells"].size(), 1u);
  const auto& c = agg["cells"][0]["curve"];
  ASSERT_TRUE(c.is_object()) << agg["cells"][0].dump();
  EXPECT_EQ(c["epoch"], json({1.0, 2.0}));
  EXPECT_EQ(c["n"], json({3, 2}));
  // Epoch 1: mean 0.82, sample sd 0.02, t(0.975, 2) = 4.30265:
  // half-width 4.30265 * 0.02 / sqrt(3) = 0.0496827.
  EXPECT_NEAR(c["mean"][0].get<double>(), 0.82, 1e-12);
  EXPECT_NEAR(c["lo"][0].get<double>(), 0.82 - 0.0496827, 1e-5);
  EXPECT_NEAR(c["hi"][0].get<double>(), 0.82 + 0.0496827, 1e-5);
  // Epoch 2: mean 0.86, sd 0.02 / sqrt(2), t(0.975, 1) = 12.7062:
  // half-width 12.7062 * 0.0141421 / sqrt(2) = 0.127062.
  EXPECT_NEAR(c["mean"][1].get<double>(), 0.86, 1e-12);
  EXPECT_NEAR(c["lo"][1].get<double>(), 0.86 - 0.127062, 1e-5);
  EXPECT_NEAR(c["hi"][1].get<double>(), 0.86 + 0.127062, 1e-5);
}

TEST(Curves, SingleRunHasNoInterval) {
  const auto b = nrs::matrix::band_over_runs({{{1, 0.5}, {2, 0.6}}});
  ASSERT_EQ(b.x.size(), 2u);
  EXPECT_EQ(b.n, (std::vector<size_t>{1, 1}));
  EXPECT_DOUBLE_EQ(b.lo[1], 0.6);
  EXPECT_DOUBLE_EQ(b.hi[1], 0.6);
}

TEST(Curves, DensitiesAndSlicesAverageOverRunsOnTheSameGrid) {
  TempDir t;
  auto r0 = fake_result("fashion-mnist", "small-cnn", "sam", 0, 0.9, 10, 5);
  auto r1 = fake_result("fashion-mnist", "small-cnn", "sam", 1, 0.9, 10, 5);
  auto r2 = fake_result("fashion-mnist", "small-cnn", "sam", 2, 0.9, 10, 5);
  r0["hessian"]["density"] = {{"grid", {0, 1, 2}}, {"density", {0.2, 0.6, 0.2}}};
  r1["hessian"]["density"] = {{"grid", {0, 1, 2}}, {"density", {0.4, 0.4, 0.2}}};
  r2["hessian"]["density"] = {{"grid", {0, 5}}, {"density", {0.1, 0.1}}};  // another grid: left out
  r0["hessian"]["repeats"] = {{"lambda_max", {{"sd", 2.0}}}};
  r1["hessian"]["repeats"] = {{"lambda_max", {{"sd", 4.0}}}};
  r0["landscape"]["slices"] = {{{"kind", "random-filter"}, {"alphas", {-1, 0, 1}}, {"train_loss", {1.0, 0.2, 1.4}}},
                               {{"kind", "top-eigenvector"}, {"alphas", {0, 1}}, {"train_loss", {0.2, 3.0}}}};
  r1["landscape"]["slices"] = {{{"kind", "random-filter"}, {"alphas", {-1, 0, 1}}, {"train_loss", {2.0, 0.4, 1.6}}}};
  write_json(t / "r0.json", r0);
  write_json(t / "r1.json", r1);
  write_json(t / "r2.json", r2);
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str())).to_json();
  ASSERT_EQ(agg["cells"].size(), 1u);
  const auto& cell = agg["cells"][0];
  const auto& d = cell["density"];
  EXPECT_EQ(d["grid"], json({0.0, 1.0, 2.0}));
  EXPECT_NEAR(d["density"][0].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(d["density"][1].get<double>(), 0.5, 1e-12);
  EXPECT_NEAR(d["density"][2].get<double>(), 0.2, 1e-12);
  EXPECT_EQ(d["runs"], 2);
  EXPECT_EQ(d["skipped"], 1);
  // Mean Hessian-sampling sd over the two seeds that carry it: (2 + 4) / 2.
  EXPECT_NEAR(cell["metrics"]["lambda_max_sampling_sd"]["mean"].get<double>(), 3.0, 1e-12);
  const auto& s = cell["slices"];
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0]["kind"], "random-filter");
  EXPECT_NEAR(s[0]["train_loss"][0].get<double>(), 1.5, 1e-12);
  EXPECT_NEAR(s[0]["train_loss"][1].get<double>(), 0.3, 1e-12);
  EXPECT_NEAR(s[0]["train_loss"][2].get<double>(), 1.5, 1e-12);
  EXPECT_EQ(s[0]["runs"], 2);
  EXPECT_EQ(s[1]["kind"], "top-eigenvector");
  EXPECT_EQ(s[1]["runs"], 1);
}

TEST(Curves, AbsentWhenNoResultCarriesThem) {
  TempDir t;
  write_json(t / "r.json", fake_result("fashion-mnist", "small-cnn", "sgd", 0, 0.9, 10, 5));
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str())).to_json();
  EXPECT_TRUE(agg["cells"][0]["curve"].is_null());
  EXPECT_TRUE(agg["cells"][0]["density"].is_null());
  EXPECT_TRUE(agg["cells"][0]["slices"].is_null());
  EXPECT_TRUE(agg["cells"][0]["metrics"]["lambda_max_sampling_sd"].is_null());
}

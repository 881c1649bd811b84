// Compute budgets (`run --protocol P --dry-run --step-cost FILE`) against
// device-hours worked out by hand from the protocol and the report.
#include "suite/matrix/compute_budget.h"
#include "tests/support/result_files.h"

#include <gtest/gtest.h>

using nlohmann::json;
using namespace nrs::matrix;

namespace {

// synthetic-1x8x8-3: the registry's 2048 training and 512 test images.
// val-split 48 leaves 2000 training images.
Protocol protocol() {
  return parse_protocol(json::parse(R"({
    "name": "budget", "seeds": [0, 1],
    "defaults": {"dataset": "synthetic-1x8x8-3", "epochs": 3, "batch-size": 100, "val-split": 48},
    "models": ["mlp-mini"],
    "optimizers": ["sgd", "sam", {"label": "sgd-dp", "optimizer": "sgd", "batch-size": 200, "nproc": 2,
                                  "drop-last": true},
                   {"label": "nrs", "optimizer": "nrs", "nrs-neighbor": "random"}]
  })"),
                        "budget.json");
}

StepCostReport report(int64_t batch, double sgd_ms, double sam_ms) {
  return read_step_cost_report(nrs::test::step_cost_report("mlp-mini", batch, {{"sgd", sgd_ms}, {"sam", sam_ms}}),
                               "sc-" + std::to_string(batch) + ".json");
}

const CellBudget& cell(const Budget& b, const std::string& suffix) {
  for (const auto& c : b.cells)
    if (c.cell.size() >= suffix.size() && c.cell.compare(c.cell.size() - suffix.size(), suffix.size(), suffix) == 0)
      return c;
  throw std::runtime_error("no cell " + suffix);
}

constexpr double kMsPerHour = 3600.0 * 1000.0;

}  // namespace

TEST(ComputeBudget, DeviceHoursWorkedOutByHand) {
  const auto b = estimate_budget(protocol(), {report(100, 10.0, 25.0)});
  ASSERT_EQ(b.cells.size(), 4u);

  // sgd: 2000 / 100 = 20 steps an epoch, x 3 epochs x 2 seeds = 120 steps of 10 ms.
  const auto& sgd = cell(b, "/sgd");
  EXPECT_EQ(sgd.steps_per_epoch, 20);
  EXPECT_DOUBLE_EQ(sgd.train_hours, 1200.0 / kMsPerHour);
  // Evaluation: (48 val + 512 test) x 3 epochs + 2000 training images once,
  // = 3680 a seed, 7360 in all, at 10 ms / 100 images / 3 each.
  EXPECT_NEAR(sgd.eval_hours, 7360.0 * 0.1 / 3.0 / kMsPerHour, 1e-15);

  // sam: the same 120 steps at 25 ms; evaluation priced from SGD's cost.
  const auto& sam = cell(b, "/sam");
  EXPECT_DOUBLE_EQ(sam.train_hours, 3000.0 / kMsPerHour);
  EXPECT_NEAR(sam.eval_hours, sgd.eval_hours, 1e-15);

  // sgd on 2 devices, global batch 200 (100 each), drop-last: 2000 / 200 = 10
  // steps, x 3 x 2 = 60 steps of 10 ms on each of 2 devices.
  const auto& dp = cell(b, "/sgd-dp");
  EXPECT_EQ(dp.devices, 2);
  EXPECT_EQ(dp.per_device_batch, 100);
  EXPECT_EQ(dp.steps_per_epoch, 10);
  EXPECT_DOUBLE_EQ(dp.train_hours, 1200.0 / kMsPerHour);

  // nrs: no report entry; counted apart, not in the total.
  const auto& nrs = cell(b, "/nrs");
  EXPECT_FALSE(nrs.ms_per_step.has_value());
  EXPECT_NE(nrs.missing.find("mlp-mini"), std::string::npos);
  EXPECT_EQ(b.unpriced, 1u);
  EXPECT_DOUBLE_EQ(b.train_hours, (1200.0 + 3000.0 + 1200.0) / kMsPerHour);
}

TEST(ComputeBudget, PartialLastBatchCountsUnlessDropped) {
  auto p = protocol();
  p.cells[0].config.batch_size = 300;  // 2000 / 300: 6 full batches and one of 200
  p.cells[1].config.batch_size = 300;
  p.cells[1].config.drop_last = true;
  const auto b = estimate_budget(p, {report(300, 30.0, 75.0)});
  EXPECT_EQ(b.cells[0].steps_per_epoch, 7);
  EXPECT_EQ(b.cells[1].steps_per_epoch, 6);
}

TEST(ComputeBudget, AnotherBatchSizeIsScaledPerImageFromTheNearestReport) {
  // Reports at batch 50 (6 ms) and 400 (40 ms): the cell's batch 100 takes the
  // nearer one, 6 ms x 100 / 50 = 12 ms, and says so.
  const auto b = estimate_budget(protocol(), {report(400, 40.0, 100.0), report(50, 6.0, 15.0)});
  const auto& sgd = cell(b, "/sgd");
  ASSERT_TRUE(sgd.ms_per_step.has_value());
  EXPECT_DOUBLE_EQ(*sgd.ms_per_step, 12.0);
  EXPECT_NE(sgd.source.find("sc-50.json (batch 50, scaled per image)"), std::string::npos) << sgd.source;
  EXPECT_DOUBLE_EQ(*cell(b, "/sam").ms_per_step, 30.0);
}

TEST(ComputeBudget, ReportsOfAnotherPrecisionOrModelDoNotPrice) {
  auto bf16 = nrs::test::step_cost_report("mlp-mini", 100, {{"sgd", 5.0}});
  bf16["precision"] = "bf16";
  auto other = nrs::test::step_cost_report("small-cnn", 100, {{"sgd", 5.0}});
  const auto b = estimate_budget(protocol(), {read_step_cost_report(bf16, "a"), read_step_cost_report(other, "b")});
  EXPECT_EQ(b.unpriced, 4u);
  EXPECT_EQ(b.hours(), 0.0);
}

TEST(ComputeBudget, ImageFolderNeedsItsSize) {
  auto p = protocol();
  p.cells[0].config.dataset = "imagefolder-64";
  try {
    estimate_budget(p, {report(100, 10.0, 25.0)});
    FAIL() << "expected an error naming --train-images";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--train-images"), std::string::npos) << e.what();
  }
  BudgetOptions o;
  o.train_images = 1048;  // less the 48 held out: 1000 = 10 batches
  o.test_images = 100;
  EXPECT_EQ(estimate_budget(p, {report(100, 10.0, 25.0)}, o).cells[0].steps_per_epoch, 10);
}

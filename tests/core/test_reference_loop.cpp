// The full training path (train_epochs: step hooks, a checkpoint after every
// step and every epoch, timing segments) against the single-process
// reference loop (reference_loop.h) on the same configuration: the same
// weights and buffers bit for bit, and the same history figures. What the
// full path adds around the steps must not touch the numbers.
#include "suite/run/checkpoint.h"
#include "suite/run/epoch_loop.h"
#include "suite/run/reference_loop.h"
#include "suite/run/run_options.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

using nlohmann::json;

namespace {

nrs::TrainState fresh_state(const nrs::RunConfig& cfg) {
  torch::manual_seed(cfg.seed);  // as the run's process scope does
  return nrs::build_train_state(cfg, /*threads=*/1);
}

// The history without its clocks.
json figures(const json& history) {
  json out = json::array();
  for (auto row : history) {
    row.erase("epoch_time_s");
    row.erase("train_images_per_s");
    out.push_back(row);
  }
  return out;
}

void expect_same_tensors(const nrs::TrainState& a, const nrs::TrainState& b) {
  auto pb = b.model->named_parameters();
  for (const auto& kv : a.model->named_parameters()) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  auto bb = b.model->named_buffers();
  for (const auto& kv : a.model->named_buffers()) EXPECT_TRUE(torch::equal(kv.value(), bb[kv.key()])) << kv.key();
}

class ReferenceLoop : public ::testing::TestWithParam<const char*> {};

}  // namespace

TEST_P(ReferenceLoop, FullPathEqualsTheReferenceBitwise) {
  json flags = {{"model", "small-cnn-mini"},
                {"dataset", "synthetic-1x8x8-3"},
                {"train-subset", "384"},
                {"val-split", "64"},
                {"epochs", "3"},
                {"batch-size", "32"},
                {"augment", "basic"},
                {"pad", "1"},
                {"lr", "0.05"},
                {"eval-batch-size", "100"}};
  const json method = json::parse(GetParam());
  for (const auto& [k, v] : method.items()) flags[k] = v;
  const auto cfg = nrs::config_from_flags(flags, "test");

  auto reference = fresh_state(cfg);
  nrs::train_reference(reference);

  nrs::test::TempDir d;
  auto full = fresh_state(cfg);
  nrs::LoopOptions o;
  o.quiet = true;
  o.checkpoint_every_epochs = 1;
  o.checkpoint_every_seconds = 1e-9;  // the clock is due after every step
  int checkpoints = 0;
  o.checkpoint = [&](const nrs::TrainState& s) {
    nrs::save_checkpoint(s, d / "c.ckpt");
    ++checkpoints;
  };
  nrs::train_epochs(full, o);

  EXPECT_EQ(full.progress.status, "ok");
  EXPECT_EQ(reference.progress.status, "ok");
  EXPECT_EQ(full.progress.global_step, 3 * 12);  // a 384-sample training subset / 32, 3 epochs
  EXPECT_EQ(reference.progress.global_step, full.progress.global_step);
  EXPECT_GE(checkpoints, 30);  // the full path did write them
  EXPECT_EQ(figures(full.progress.history), figures(reference.progress.history));
  ASSERT_EQ(full.progress.history.size(), 3u);
  EXPECT_TRUE(full.progress.history.back().contains("train_eval_acc"));
  expect_same_tensors(full, reference);
}

INSTANTIATE_TEST_SUITE_P(Methods, ReferenceLoop,
                         ::testing::Values(R"({"optimizer": "sgd"})", R"({"optimizer": "sam", "rho": "0.05"})",
                                           R"({"optimizer": "nrs", "nrs-neighbor": "random", "nrs-radius": "0.5"})"),
                         [](const auto& info) { return std::to_string(info.index); });

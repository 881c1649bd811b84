// Results files: atomic writes survive a crash mid-write; runs are complete
// and deterministic; saved weights reload bitwise.
// CTest label: cli
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/io/weights.h"
#include "suite/run/run.h"

#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("nrsbench-" + tag + "-" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

nrs::RunConfig tiny_run(uint64_t seed) {
  nrs::RunConfig c;
  c.model = "small-cnn-mini";
  c.dataset = "synthetic-1x8x8-3";
  c.epochs = 1;
  c.batch_size = 32;
  c.seed = seed;
  c.threads = 1;
  c.schedule.base_lr = 0.05;
  c.strategy.name = "nrs";
  c.strategy.nrs_neighbor = "random";
  c.strategy.nrs_samples = 2;
  c.augment.mode = "basic";
  c.augment.pad = 1;
  return c;
}

// In memory only: no result file, no checkpoint.
nlohmann::json run(const nrs::RunConfig& c) {
  return nrs::run_training(c, nrs::RunOutput{"test", {false, true}, "", std::nullopt}).to_json();
}

}  // namespace

TEST(Results, AtomicWriteNeverLeavesAPartialFile) {
  auto dir = temp_dir("atomic");
  const auto path = (dir / "r.json").string();
  nlohmann::json big;
  for (int i = 0; i < 20000; ++i) big[std::to_string(i).append("k")] = std::string(50, 'x');
  const nlohmann::json small = {{"version", "old"}};
  nrs::write_json_atomic(path, small);  // a committed file the writes must never damage
  int landed = 0;
  for (int trial = 0; trial < 20; ++trial) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      for (;;) nrs::write_json_atomic(path, big);
    }
    ::usleep(2000 + 1500 * trial);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    // Either the old file or a complete new one, never a partial or no file.
    ASSERT_TRUE(fs::exists(path)) << "trial " << trial;
    const auto j = nrs::read_json_file(path);  // throws on a partial file
    EXPECT_TRUE(j == small || j == big) << "trial " << trial;
    landed += j == big;
  }
  // The writes did land (the delays grow to 30 ms, many times one ~1 MB write):
  // a writer that never replaced the file would pass the loop above.
  EXPECT_GT(landed, 0);
  fs::remove_all(dir);
}

TEST(Results, ReadReportsTheFileOnBadJson) {
  auto dir = temp_dir("bad");
  const auto path = (dir / "bad.json").string();
  std::ofstream(path) << "{\"truncated\": ";
  try {
    nrs::read_json_file(path);
    FAIL();
  } catch (const std::invalid_argument& e) {  // nrs::InputError: exit code 2
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  fs::remove_all(dir);
}

TEST(Results, RunCarriesEveryRequiredKey) {
  auto r = run(tiny_run(1));
  // The keys docs/results-schema.md promises for every finished run, written
  // out here rather than taken from the reader's list, which must ask no more.
  const std::vector<std::string> documented = {"schema_version",
                                               "suite_version",
                                               "git_commit",
                                               "command_line",
                                               "config",
                                               "seed",
                                               "variant",
                                               "optimizer",
                                               "model",
                                               "dataset",
                                               "device",
                                               "environment",
                                               "threads",
                                               "start_time",
                                               "end_time",
                                               "wall_time_s",
                                               "wall_time_total_s",
                                               "resumes",
                                               "checkpoints",
                                               "resources",
                                               "history",
                                               "final",
                                               "throughput",
                                               "status",
                                               "binary_sha256",
                                               "segments"};
  for (const auto& k : documented) EXPECT_TRUE(r.contains(k)) << k;
  for (const auto& k : nrs::required_result_keys())
    EXPECT_NE(std::find(documented.begin(), documented.end(), k), documented.end()) << k << " required, not documented";
  EXPECT_EQ(r["schema_version"], 2);
  EXPECT_EQ(r["seed"], 1);
  EXPECT_EQ(r["segments"].size(), 1u);  // one process, no resume
  EXPECT_EQ(r["status"], "ok");
  EXPECT_EQ(r["variant"], "nrs-random-k2-detached");
  EXPECT_EQ(r["history"].size(), 1u);
  EXPECT_TRUE(r["final"].contains("test_acc"));
  EXPECT_GT(r["throughput"]["train_images_per_s"].get<double>(), 0.0);
}

// train_eval_acc is the saved final model's accuracy on every training
// sample in eval mode, recounted here with the test's own loop: not the
// running train_acc over augmented batches.
TEST(Results, TrainEvalAccuracyIsTheFinalModelOnTheTrainingSplit) {
  auto dir = temp_dir("train-eval");
  auto cfg = tiny_run(2);
  cfg.epochs = 2;
  cfg.save_weights = (dir / "w.pt").string();
  auto r = run(cfg);
  ASSERT_EQ(r["status"], "ok");
  const double recorded = r["final"]["train_eval_acc"].get<double>();
  EXPECT_EQ(r["history"].back()["train_eval_acc"], r["final"]["train_eval_acc"]);
  EXPECT_FALSE(r["history"].front().contains("train_eval_acc"));  // the last epoch only

  nrs::data::DatasetOptions o;
  o.seed = cfg.seed;
  const auto ds = nrs::data::make_dataset(cfg.dataset, o);  // synthetic: mean 0, sd 1, so no normalisation
  auto model = nrs::models::make_model(cfg.model, {1, 8, 8, 3});
  nrs::load_weights(*model, cfg.save_weights);
  model->eval();
  torch::NoGradGuard ng;
  const auto predicted = model->forward(ds.train.images).argmax(1);
  const int64_t correct = predicted.eq(ds.train.labels).sum().item<int64_t>();
  const int64_t n = ds.train.size();
  ASSERT_EQ(r["dataset"]["train_size"].get<int64_t>(), n);
  EXPECT_DOUBLE_EQ(recorded, static_cast<double>(correct) / static_cast<double>(n));
  // The running figure is another number: augmented batches, train-mode BN,
  // weights still moving.
  EXPECT_NE(recorded, r["final"]["train_acc"].get<double>());
  fs::remove_all(dir);
}

TEST(Results, SameSeedGivesIdenticalMetrics) {
  auto a = run(tiny_run(3));
  auto b = run(tiny_run(3));
  auto c = run(tiny_run(4));
  for (const char* k : {"train_loss", "train_acc", "test_loss", "test_acc", "grad_norm", "kl"}) {
    EXPECT_EQ(a["history"][0][k], b["history"][0][k]) << k;
  }
  EXPECT_NE(a["history"][0]["train_loss"], c["history"][0]["train_loss"]);
}

TEST(Results, DivergedRunIsRecordedNotThrown) {
  auto cfg = tiny_run(1);
  cfg.strategy.name = "sgd";
  cfg.schedule.base_lr = 1e30;
  auto r = run(cfg);
  EXPECT_EQ(r["status"], "diverged");
  EXPECT_TRUE(r.contains("reason"));
}

TEST(Weights, SaveAndReloadIsBitwise) {
  auto dir = temp_dir("weights");
  const auto path = (dir / "w.pt").string();
  torch::manual_seed(1);
  auto a = nrs::models::make_model("small-cnn-mini", {1, 8, 8, 3});
  {
    torch::NoGradGuard ng;
    a->forward(torch::randn({4, 1, 8, 8}));  // non-trivial BN buffers
  }
  nrs::save_weights(*a, path);
  torch::manual_seed(2);
  auto b = nrs::models::make_model("small-cnn-mini", {1, 8, 8, 3});
  nrs::load_weights(*b, path);
  auto pb = b->named_parameters();
  for (const auto& kv : a->named_parameters()) EXPECT_TRUE(torch::equal(kv.value(), pb[kv.key()])) << kv.key();
  auto bb = b->named_buffers();
  for (const auto& kv : a->named_buffers()) EXPECT_TRUE(torch::equal(kv.value(), bb[kv.key()])) << kv.key();
  // A model of another shape is refused with the key named.
  auto c = nrs::models::make_model("small-cnn-mini", {1, 8, 8, 5});
  try {
    nrs::load_weights(*c, path);
    FAIL();
  } catch (const std::invalid_argument& e) {  // nrs::InputError: exit code 2
    EXPECT_NE(std::string(e.what()).find("fc2"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

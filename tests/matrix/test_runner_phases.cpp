// The matrix runner's phases (plan, claim, execute, record) in process, with
// a fake trainer in place of run_training: which items it trains, in which
// order, what each result file carries, and how a stop and a failure are
// recorded. The end-to-end behaviour through the binary is test_runner.cpp's.
#include "suite/core/errors.h"
#include "suite/io/file_lock.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/matrix/runner.h"
#include "suite/run/preemption.h"
#include "tests/support/temp_dir.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <vector>

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

nrs::matrix::Protocol two_by_two() {
  return nrs::matrix::parse_protocol(
      {{"name", "phases"},
       {"seeds", json::parse("[0, 1]")},
       {"defaults", {{"dataset", "synthetic-1x8x8-3"}, {"model", "mlp-mini"}, {"epochs", 1}, {"threads", 1}}},
       {"models", {"mlp-mini"}},
       {"optimizers", {"sgd", {{"optimizer", "sam"}, {"rho", 0.05}}}}},
      "phases.json");
}

// A result as a trainer would return it, written where the runner asks.
struct FakeTrainer {
  std::vector<std::string> calls;  // "<optimizer> s<seed>" in call order
  std::string throw_for;           // this call throws a data error instead
  std::string preempt_for;         // this call stops at its "checkpoint"

  nrs::RunResult operator()(const nrs::RunConfig& cfg, const nrs::RunOutput& out, nrs::dist::Communicator*) {
    const std::string who = cfg.strategy.name + " s" + std::to_string(cfg.seed);
    calls.push_back(who);
    if (who == throw_for) throw nrs::InputError("no such data (fake)");
    if (who == preempt_for) throw nrs::Preempted("SIGTERM", cfg.checkpoint.path);
    nrs::RunResult r;
    r.schema_version = nrs::kResultsSchemaVersion;
    r.suite_version = r.git_commit = r.command_line = "fake";
    r.config = cfg.to_json();
    r.seed = cfg.seed;
    r.variant = cfg.strategy.name;
    r.optimizer = json{{"name", cfg.strategy.name}, {"variant", cfg.strategy.name}};
    r.model = nrs::ResultModel{cfg.model, 1};
    r.dataset = nrs::ResultDataset{};
    r.device = "cpu: fake";
    r.threads = 1;
    r.start_time = r.end_time = "t";
    r.wall_time_s = 0.0;
    r.history.emplace();
    r.final = nrs::ResultFinal{};
    r.final->test_acc = 0.5 + 0.1 * static_cast<double>(cfg.seed);
    r.throughput = nrs::ResultThroughput{};
    r.matrix = out.matrix;
    if (!out.path.empty()) nrs::write_result_atomic(out.path, r);
    return r;
  }
};

nrs::matrix::RunnerOptions options(FakeTrainer& t, const std::string& out) {
  nrs::matrix::RunnerOptions o;
  o.train = [&t](const nrs::RunConfig& c, const nrs::RunOutput& ro, nrs::dist::Communicator* comm) {
    return t(c, ro, comm);
  };
  o.out_dir = out;
  o.quiet = true;
  return o;
}

}  // namespace

TEST(RunnerPhases, TrainsEachItemOnceInOrderAndRecordsItsCell) {
  nrs::test::TempDir d;
  const auto p = two_by_two();
  FakeTrainer t;
  const auto s = nrs::matrix::run_matrix(p, options(t, d.str()));
  EXPECT_EQ(t.calls, (std::vector<std::string>{"sgd s0", "sgd s1", "sam s0", "sam s1"}));
  EXPECT_EQ(s.total, 4u);
  EXPECT_EQ(s.ran, 4u);
  EXPECT_EQ(s.ok, 4u);
  EXPECT_EQ(s.already_done, 0u);
  for (const auto& c : p.cells)
    for (uint64_t seed : {0, 1}) {
      const auto path = nrs::matrix::result_path(d.str(), c, seed);
      const auto r = nrs::read_run_result(nrs::read_json_file(path), path);
      ASSERT_TRUE(r.matrix) << path;
      EXPECT_EQ(r.matrix->cell, c.name);
      EXPECT_EQ(r.matrix->cell_id, c.id);
      EXPECT_EQ(r.matrix->shard, "0/1");
      EXPECT_EQ(r.seed, seed);
      // The trainer was asked to checkpoint beside the result.
      EXPECT_EQ(r.config["checkpoint"]["path"], path + ".ckpt");
    }
  EXPECT_TRUE(fs::exists(fs::path(d.str()) / "protocol-phases.json"));

  // A run killed between writing its result and removing its checkpoint
  // left the checkpoint behind (ci/check-soak saw one).
  const auto first = nrs::matrix::result_path(d.str(), p.cells[0], 0);
  std::ofstream(first + ".ckpt") << "stale";
  // ... or between writing its result and dropping its lock (CI saw one).
  std::ofstream(first + ".lock") << "12345\n";
  // A lock a live process holds stays with it.
  const auto second = nrs::matrix::result_path(d.str(), p.cells[0], 1);
  nrs::FileLock held(second + ".lock");
  ASSERT_TRUE(held.held());

  // A second pass finds every item finished, trains nothing, and removes the
  // checkpoint its result supersedes.
  FakeTrainer again;
  const auto s2 = nrs::matrix::run_matrix(p, options(again, d.str()));
  EXPECT_TRUE(again.calls.empty());
  EXPECT_EQ(s2.already_done, 4u);
  EXPECT_EQ(s2.ran, 0u);
  EXPECT_FALSE(fs::exists(first + ".ckpt"));
  EXPECT_FALSE(fs::exists(first + ".lock"));
  EXPECT_TRUE(fs::exists(second + ".lock"));
}

TEST(RunnerPhases, AFailureIsRecordedAndAStopLeavesTheRestForTheNextPass) {
  nrs::test::TempDir d;
  const auto p = two_by_two();
  FakeTrainer t;
  t.throw_for = "sgd s1";
  t.preempt_for = "sam s0";
  const auto s = nrs::matrix::run_matrix(p, options(t, d.str()));
  EXPECT_EQ(t.calls, (std::vector<std::string>{"sgd s0", "sgd s1", "sam s0"}));  // stopped before sam s1
  EXPECT_TRUE(s.preempted);
  EXPECT_NE(s.preempted_reason.find("stopped by SIGTERM"), std::string::npos) << s.preempted_reason;
  EXPECT_EQ(s.ok, 1u);
  EXPECT_EQ(s.failed, 1u);
  // The failure is a failed result with its reason and cell; the stopped
  // item has no result.
  const auto failed_path = nrs::matrix::result_path(d.str(), p.cells[0], 1);
  const auto f = nrs::read_run_result(nrs::read_json_file(failed_path), failed_path);
  EXPECT_EQ(f.status, nrs::RunStatus::kFailed);
  EXPECT_EQ(f.reason.value_or(""), "no such data (fake)");
  ASSERT_TRUE(f.matrix);
  EXPECT_EQ(f.matrix->cell, p.cells[0].name);
  EXPECT_FALSE(fs::exists(nrs::matrix::result_path(d.str(), p.cells[1], 0)));

  // The next pass retries what did not finish: the failed item and the rest.
  FakeTrainer next;
  const auto s2 = nrs::matrix::run_matrix(p, options(next, d.str()));
  EXPECT_EQ(next.calls, (std::vector<std::string>{"sgd s1", "sam s0", "sam s1"}));
  EXPECT_EQ(s2.already_done, 1u);
  EXPECT_EQ(s2.ok, 3u);
}

TEST(RunnerPhases, AnItemLockedByAnotherProcessIsSkipped) {
  nrs::test::TempDir d;
  const auto p = two_by_two();
  fs::create_directories(fs::path(nrs::matrix::result_path(d.str(), p.cells[1], 1)).parent_path());
  nrs::FileLock other(nrs::matrix::result_path(d.str(), p.cells[1], 1) + ".lock");
  ASSERT_TRUE(other.held());
  FakeTrainer t;
  const auto s = nrs::matrix::run_matrix(p, options(t, d.str()));
  EXPECT_EQ(t.calls, (std::vector<std::string>{"sgd s0", "sgd s1", "sam s0"}));
  EXPECT_EQ(s.busy, 1u);
}

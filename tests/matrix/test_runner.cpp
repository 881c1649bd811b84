// The matrix runner end to end through the real binary: resume after SIGKILL,
// shards, concurrent processes, foreign files, diverged cells.
// CTest label: e2e
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/matrix/aggregate.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

using nlohmann::json;
using nrs::test::nrsbench;
using nrs::test::TempDir;
namespace fs = std::filesystem;

namespace {

// 3 cells x 2 seeds of a tiny MLP on synthetic data; each run takes a
// fraction of a second so a kill lands mid-matrix.
json tiny_protocol(int epochs = 6) {
  return {
      {"name", "tiny"},
      {"seeds", {0, 1}},
      {"defaults",
       {{"dataset", "synthetic-1x8x8-3"},
        {"model", "mlp-mini"},
        {"epochs", epochs},
        {"batch-size", 32},
        {"lr", 0.05},
        {"threads", 1},
        {"hessian-top-k", 2},
        {"hessian-samples", 64}}},
      {"models", {"mlp-mini"}},
      {"optimizers",
       {"sgd", {{"optimizer", "sam"}, {"rho", 0.05}}, {{"label", "nrs"}, {"optimizer", "nrs"}, {"nrs-radius", 0.1}}}}};
}

// Safe to call while a run writes into dir: a temporary file renamed away
// between the listing and the look-up is skipped, not an error.
std::vector<std::string> files_under(const std::string& dir) {
  std::vector<std::string> v;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    std::error_code file_ec;
    if (it->is_regular_file(file_ec)) v.push_back(it->path().lexically_relative(dir).string());
  }
  std::sort(v.begin(), v.end());
  return v;
}

std::vector<std::string> results_under(const std::string& dir) {
  std::vector<std::string> v;
  for (const auto& f : files_under(dir))
    if (f.size() > 5 && f.substr(f.size() - 5) == ".json" && f.find("protocol-") == std::string::npos) v.push_back(f);
  return v;
}

// What must not differ between two runs of the same cell-seed on one machine.
json essence(const json& r) {
  return {{"final", r["final"]},
          {"history_loss",
           [&] {
             json l = json::array();
             for (const auto& h : r["history"]) l.push_back(h["train_loss"]);
             return l;
           }()},
          {"eigenvalues", r["hessian"]["eigenvalues"]},
          {"cell_id", r["matrix"]["cell_id"]},
          {"seed", r["seed"]}};
}

}  // namespace

TEST(Runner, ResumesAfterSigkillWithoutRedoingOrCorrupting) {
  TempDir t;
  nrs::test::write_json(t / "tiny.json", tiny_protocol());
  // Reference: an uninterrupted run.
  auto full = nrsbench("run --quiet --protocol " + t / "tiny.json" + " --out " + t / "a");
  ASSERT_EQ(full.code, 0) << full.text;
  const auto want = results_under(t / "a");
  ASSERT_EQ(want.size(), 6u);

  // Interrupted run: SIGKILL once two results exist.
  const std::string out = t / "b";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::freopen("/dev/null", "w", stderr);
    ::freopen("/dev/null", "w", stdout);
    ::execl(NRSBENCH_BINARY, NRSBENCH_BINARY, "run", "--quiet", "--protocol", (t / "tiny.json").c_str(), "--out",
            out.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((!fs::exists(out) || results_under(out).size() < 2) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // into the next cell
  ::kill(pid, SIGKILL);
  int st = 0;
  ::waitpid(pid, &st, 0);
  ASSERT_TRUE(WIFSIGNALED(st)) << "the run finished before it could be killed";
  const auto survived = results_under(out);
  ASSERT_GE(survived.size(), 2u);
  ASSERT_LT(survived.size(), 6u);
  std::map<std::string, std::pair<ino_t, long>> before;
  for (const auto& f : survived) {
    struct stat s {};
    ::stat((fs::path(out) / f).c_str(), &s);
    before[f] = {s.st_ino, s.st_mtim.tv_nsec};
    EXPECT_NO_THROW(nrs::test::read_json((fs::path(out) / f).string())) << f << " is not complete JSON";
  }

  auto resumed = nrsbench("run --quiet --protocol " + t / "tiny.json" + " --out " + out);
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_NE(resumed.text.find(std::to_string(survived.size()) + " already done"), std::string::npos) << resumed.text;
  for (const auto& [f, id] : before) {
    struct stat s {};
    ::stat((fs::path(out) / f).c_str(), &s);
    EXPECT_EQ(s.st_ino, id.first) << f << " was rewritten";
    EXPECT_EQ(s.st_mtim.tv_nsec, id.second) << f << " was rewritten";
  }
  // Exactly the result files, the manifest, nothing partial or locked.
  auto all = files_under(out);
  for (const auto& f : all)
    EXPECT_TRUE(f == "protocol-tiny.json" ||
                (f.find(".tmp.") == std::string::npos && f.find(".lock") == std::string::npos))
        << "leftover " << f;
  EXPECT_EQ(results_under(out), want);
  for (const auto& f : want)
    EXPECT_EQ(essence(nrs::test::read_json(t / ("a/" + f))),
              essence(nrs::test::read_json((fs::path(out) / f).string())))
        << f;
  // The aggregates agree too (throughput aside).
  auto ga = nrs::matrix::aggregate(nrs::matrix::load_results(t / "a"));
  auto gb = nrs::matrix::aggregate(nrs::matrix::load_results(out));
  ASSERT_EQ(ga.cells.size(), 3u);
  ASSERT_EQ(gb.cells.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(ga.cells[i].cell_id, gb.cells[i].cell_id);
    for (const char* m : {"test_acc", "test_loss", "lambda_max"})
      EXPECT_EQ(ga.cells[i].metrics.find(m)->values, gb.cells[i].metrics.find(m)->values) << m;
  }
  EXPECT_TRUE(gb.missing.empty());
}

TEST(Runner, ShardsAndConcurrentProcessesRunEachItemOnce) {
  TempDir t;
  nrs::test::write_json(t / "tiny.json", tiny_protocol(3));
  const std::string base =
      std::string(NRSBENCH_BINARY) + " run --quiet --protocol " + t / "tiny.json" + " --out " + t / "r";
  // Two shards and a full run at the same time into one directory.
  auto o = nrs::test::run_cmd("(" + base + " --shard 0/2 & " + base + " --shard 1/2 & " + base + " & wait)");
  EXPECT_EQ(o.code, 0) << o.text;
  const auto files = results_under(t / "r");
  ASSERT_EQ(files.size(), 6u) << o.text;
  for (const auto& f : files) {
    auto r = nrs::test::read_json(t / ("r/" + f));
    EXPECT_EQ(r["status"], "ok") << f;
  }
  // Every item was run by exactly one process: the ran counts add up to 6.
  size_t ran = 0;
  for (size_t pos = 0; (pos = o.text.find(" ran (", pos)) != std::string::npos; ++pos) {
    size_t b = o.text.rfind(", ", pos);
    ran += std::stoul(o.text.substr(b + 2, pos - b - 2));
  }
  EXPECT_EQ(ran, 6u) << o.text;
  // A shard rerun finds everything done.
  auto again = nrs::test::run_cmd(base + " --shard 1/2");
  EXPECT_NE(again.text.find("3 runs, 3 already done"), std::string::npos) << again.text;
}

TEST(Runner, DryRunListsStates) {
  TempDir t;
  nrs::test::write_json(t / "tiny.json", tiny_protocol(1));
  auto o = nrsbench("run --protocol " + t / "tiny.json" + " --out " + t / "r" + " --dry-run --shard 0/3");
  ASSERT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("3 cells x 2 seeds; shard 0/3: 2 runs"), std::string::npos) << o.text;
  EXPECT_FALSE(fs::exists(t / "r"));
}

TEST(Runner, DivergedCellIsRecordedAndTheMatrixGoesOn) {
  TempDir t;
  auto p = tiny_protocol(2);
  p["seeds"] = {0};
  p["overrides"] = {{{"when", {{"label", "sam"}}}, {"set", {{"lr", 1e12}}}}};
  nrs::test::write_json(t / "p.json", p);
  auto o = nrsbench("run --quiet --protocol " + t / "p.json" + " --out " + t / "r");
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_EQ(nrs::test::read_json(t / "r/synthetic-1x8x8-3/mlp-mini/sam-s0.json")["status"], "diverged");
  EXPECT_EQ(nrs::test::read_json(t / "r/synthetic-1x8x8-3/mlp-mini/nrs-s0.json")["status"], "ok");
  // A diverged cell counts as finished: a rerun does not repeat it.
  auto again = nrsbench("run --quiet --protocol " + t / "p.json" + " --out " + t / "r");
  EXPECT_NE(again.text.find("3 already done"), std::string::npos) << again.text;
}

// A cell that throws (here: its initial weights do not exist) is recorded as
// failed with the keys a failed result carries (results.h), the matrix goes
// on, and the directory aggregates through the schema's reader: the failed
// and the finished result each pass the key lists defined once.
TEST(Runner, FailedCellCarriesTheFailedResultKeysAndAggregates) {
  TempDir t;
  auto p = tiny_protocol(1);
  p["seeds"] = {0};
  p["overrides"] = {{{"when", {{"label", "sam"}}}, {"set", {{"init-weights", t / "absent.pt"}}}}};
  nrs::test::write_json(t / "p.json", p);
  auto o = nrsbench("run --quiet --protocol " + t / "p.json" + " --out " + t / "r");
  EXPECT_EQ(o.code, 1) << o.text;  // the other cells ran; the failure shows in the exit status
  EXPECT_NE(o.text.find("2 ok, 0 diverged, 1 failed"), std::string::npos) << o.text;
  const auto failed = nrs::test::read_json(t / "r/synthetic-1x8x8-3/mlp-mini/sam-s0.json");
  EXPECT_EQ(failed["status"], "failed");
  for (const auto& k : nrs::required_failed_result_keys()) EXPECT_TRUE(failed.contains(k)) << k;
  EXPECT_NE(failed["reason"].get<std::string>().find("absent.pt"), std::string::npos) << failed["reason"];
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t / "r"));
  ASSERT_EQ(agg.cells.size(), 3u);
  size_t failed_cells = 0, ok_runs = 0;
  for (const auto& c : agg.cells) {
    failed_cells += c.failed;
    ok_runs += c.ok;
  }
  EXPECT_EQ(failed_cells, 1u);
  EXPECT_EQ(ok_runs, 2u);
}

TEST(Runner, ForeignOrCorruptFilesGiveOneLineNamingTheFile) {
  TempDir t;
  nrs::test::write_json(t / "tiny.json", tiny_protocol(1));
  // At a cell's path: the runner refuses before running anything.
  nrs::test::write_bytes(t / "r/synthetic-1x8x8-3/mlp-mini/sam-s1.json", "{\"hello\": 1}");
  auto o = nrsbench("run --quiet --protocol " + t / "tiny.json" + " --out " + t / "r");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("sam-s1.json: not a matrix result"), std::string::npos) << o.text;
  EXPECT_EQ(results_under(t / "r").size(), 1u) << "nothing may run before the check";
  // Anywhere in a results directory: aggregation names the file.
  nrs::test::write_bytes(t / "s/x/broken.json", "{\"schema_version\": 1, \"conf");
  auto c = nrsbench("table --results " + t / "s");
  EXPECT_EQ(c.code, 2) << c.text;
  EXPECT_NE(c.text.find("broken.json"), std::string::npos) << c.text;
  EXPECT_EQ(std::count(c.text.begin(), c.text.end(), '\n'), 1) << c.text;
  nrs::test::write_bytes(t / "s/x/broken.json", "[1, 2]");
  c = nrsbench("leaderboard --results " + t / "s");
  EXPECT_EQ(c.code, 2) << c.text;
  EXPECT_NE(c.text.find("broken.json: not an nrsbench result"), std::string::npos) << c.text;
}

TEST(Runner, ChangedProtocolDoesNotMixWithOldResults) {
  TempDir t;
  auto p = tiny_protocol(1);
  p["seeds"] = {0};
  nrs::test::write_json(t / "p.json", p);
  ASSERT_EQ(nrsbench("run --quiet --protocol " + t / "p.json" + " --out " + t / "r").code, 0);
  p["defaults"]["lr"] = 0.07;
  nrs::test::write_json(t / "p.json", p);
  auto o = nrsbench("run --quiet --protocol " + t / "p.json" + " --out " + t / "r");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("the protocol or its defaults changed"), std::string::npos) << o.text;
}

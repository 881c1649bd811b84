// The typed result (suite/io/run_result.h) against truth from outside it:
// every result committed under results/, written by earlier binaries (as far
// back as schema 1 and the hand-assembled JSON writers), must read into a
// RunResult and write back byte for byte; a fresh run's result does the same;
// and the schema page is the table's own output.
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/run/run.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every run result committed under results/ (objects with a schema_version
// and a config; reports, manifests and check files are skipped).
std::vector<std::pair<std::string, json>> committed_results() {
  std::vector<std::pair<std::string, json>> out;
  for (const auto& e : fs::recursive_directory_iterator(std::string(NRSBENCH_SOURCE_DIR) + "/results")) {
    if (!e.is_regular_file() || e.path().extension() != ".json") continue;
    json j = json::parse(read_file(e.path().string()), nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("schema_version") && j.contains("config") && j.contains("status"))
      out.emplace_back(e.path().string(), std::move(j));
  }
  return out;
}

// A result of the smallest training run, made in memory.
json tiny_result() {
  nrs::RunConfig c;
  c.model = "small-cnn-mini";
  c.dataset = "synthetic-1x8x8-3";
  c.epochs = 2;
  c.batch_size = 32;
  c.threads = 1;
  c.hessian_top_k = 2;
  c.hessian.samples = 64;
  c.strategy.name = "sam";
  return nrs::run_training(c, nrs::RunOutput{"test", {false, true}, "", std::nullopt}).to_json();
}

std::string what_of(const json& j) {
  try {
    nrs::read_run_result(j, "r.json");
  } catch (const nrs::InputError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RunResult, EveryCommittedResultReadsAndWritesBackByteForByte) {
  const auto files = committed_results();
  ASSERT_GE(files.size(), 150u) << "the committed studies hold about 200 results";
  for (const auto& [path, j] : files) {
    nrs::RunResult r;
    ASSERT_NO_THROW(r = nrs::read_run_result(j, path)) << path;
    // A schema-1 file comes back as its upgrade (the one documented change).
    EXPECT_EQ(r.to_json().dump(), nrs::upgrade_result(j).dump()) << path;
    EXPECT_EQ(nrs::check_digest(r.to_json()), nrs::check_digest(nrs::upgrade_result(j))) << path;
  }
}

TEST(RunResult, AFreshRunReadsAndWritesBackByteForByte) {
  const json j = tiny_result();
  const auto r = nrs::read_run_result(j, "fresh");
  EXPECT_EQ(r.to_json().dump(), j.dump());
  ASSERT_TRUE(r.final && r.final->test_acc && r.throughput && r.model && r.dataset && r.segments);
  // The typed numbers are the ones the history recorded.
  EXPECT_EQ(*r.final->test_acc, j["history"].back()["test_acc"].get<double>());
  EXPECT_EQ(*r.final->epochs_completed, 2);
  EXPECT_EQ(r.segments->size(), 1u);
  EXPECT_EQ(*r.segments->front().from_global_step, 0);
  // Every key the fresh run wrote is in the table, and every key a finished
  // run must carry is there.
  std::set<std::string> table;
  for (const auto& k : nrs::result_keys()) table.insert(k.key);
  for (const auto& [k, v] : j.items()) EXPECT_TRUE(table.count(k)) << k << " is written but not in result_keys()";
  for (const auto& k : nrs::required_result_keys()) EXPECT_TRUE(j.contains(k)) << k;
}

TEST(RunResult, MissingMisspeltAndMistypedKeysAreNamed) {
  const json good = tiny_result();
  ASSERT_EQ(what_of(good), "");
  auto with = [&](auto change) {
    json j = good;
    change(j);
    return what_of(j);
  };
  EXPECT_NE(with([](json& j) { j["finall"] = j["final"]; }).find("\"finall\" is not a key"), std::string::npos);
  EXPECT_NE(with([](json& j) { j["final"]["test_acc"] = "0.9"; }).find("\"final.test_acc\" must be a number"),
            std::string::npos);
  EXPECT_NE(with([](json& j) { j["throughput"].erase("steps"); }).find("\"throughput.steps\" is missing"),
            std::string::npos);
  // Found by ci/check-fuzz (tests/fuzz/corpus/fuzz_results/regress-dataset-shape-missing.json).
  EXPECT_NE(with([](json& j) { j["dataset"].erase("shape"); }).find("\"dataset.shape\" is missing"), std::string::npos);
  EXPECT_NE(with([](json& j) { j["dataset"]["shape"] = 3; }).find("\"dataset.shape\" must be a list"),
            std::string::npos);
  EXPECT_NE(
      with([](json& j) { j["segments"][0]["git_commit"] = 7; }).find("\"segments[].git_commit\" must be a string"),
      std::string::npos);
  EXPECT_NE(with([](json& j) { j["seed"] = -1; }).find("\"seed\" must be an integer >= 0"), std::string::npos);
  EXPECT_NE(with([](json& j) { j["status"] = "done"; }).find("expected ok, diverged or failed"), std::string::npos);
  EXPECT_NE(with([](json& j) { j.erase("history"); }).find("a ok result of schema 2 needs \"history\""),
            std::string::npos);
  // A failed result needs its reason, and not the training's keys.
  json failed = {
      {"schema_version", 2},      {"suite_version", "t"}, {"git_commit", "t"},  {"command_line", "t"},
      {"config", good["config"]}, {"seed", uint64_t{0}},  {"variant", "sgd"},   {"environment", json::object()},
      {"end_time", "t"},          {"status", "failed"},   {"reason", "no data"}};
  EXPECT_EQ(what_of(failed), "");
  failed.erase("reason");
  EXPECT_NE(what_of(failed).find("needs \"reason\""), std::string::npos);
  // Every message names the file.
  EXPECT_EQ(what_of(failed).rfind("r.json: ", 0), 0u);
}

TEST(RunResult, NaNReadsAndWritesAsNull) {
  json j = tiny_result();
  j["final"]["train_loss"] = nullptr;  // how JSON records a NaN loss
  const auto r = nrs::read_run_result(j, "nan");
  ASSERT_TRUE(r.final->train_loss);
  EXPECT_TRUE(std::isnan(*r.final->train_loss));
  EXPECT_EQ(r.to_json().dump(), j.dump());
}

TEST(RunResult, RequiredKeysComeFromTheTable) {
  // The lists the writers and readers used before the table (commit 430ef96's
  // suite/io/results.cpp), plus optimizer, model and dataset, which every
  // finished result has carried since schema 1.
  const std::set<std::string> finished = {"schema_version", "suite_version", "git_commit", "command_line", "config",
                                          "seed",           "variant",       "device",     "environment",  "threads",
                                          "start_time",     "end_time",      "history",    "final",        "throughput",
                                          "wall_time_s",    "status",        "optimizer",  "model",        "dataset"};
  const std::set<std::string> failed = {"schema_version", "suite_version", "git_commit", "command_line",
                                        "config",         "seed",          "variant",    "environment",
                                        "end_time",       "status",        "reason"};
  const auto f = nrs::required_result_keys();
  const auto g = nrs::required_failed_result_keys();
  EXPECT_EQ(std::set<std::string>(f.begin(), f.end()), finished);
  EXPECT_EQ(std::set<std::string>(g.begin(), g.end()), failed);
}

TEST(RunResult, SchemaPageTableIsGeneratedFromTheTable) {
  const std::string page = read_file(std::string(NRSBENCH_SOURCE_DIR) + "/docs/results-schema.md");
  const std::string begin = "<!-- generated: nrsbench list result-keys -->\n";
  const std::string end = "<!-- end generated -->";
  const auto b = page.find(begin), e = page.find(end);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(e, std::string::npos);
  EXPECT_EQ(page.substr(b + begin.size(), e - b - begin.size()), nrs::result_keys_markdown())
      << "regenerate the table with: nrsbench list result-keys";
}

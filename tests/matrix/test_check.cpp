// Aggregation statistics and checker verdicts on hand-written results, where
// every expected number is computed by hand here.
// CTest label: cli
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/io/run_result.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>

#include <cmath>

using nlohmann::json;
using nrs::test::fake_result;
using nrs::test::TempDir;
using nrs::test::write_json;

namespace {

// SGD: acc 0.90, 0.92, 0.94 (mean 0.92, sd 0.02), lambda 30, 34, 32; 10 ms/step.
// NRS: acc 0.93, 0.93, 0.96 (mean 0.94, sd 0.017321), lambda 20, 22, 24; 25 ms/step.
void write_results(const std::string& dir) {
  const double sgd_acc[] = {0.90, 0.92, 0.94}, sgd_l[] = {30, 34, 32};
  const double nrs_acc[] = {0.93, 0.93, 0.96}, nrs_l[] = {20, 22, 24};
  for (int s = 0; s < 3; ++s) {
    write_json(dir + "/sgd-s" + std::to_string(s) + ".json",
               fake_result("cifar10", "wrn-28-10", "sgd", s, sgd_acc[s], sgd_l[s], 10));
    write_json(dir + "/nrs-s" + std::to_string(s) + ".json",
               fake_result("cifar10", "wrn-28-10", "nrs", s, nrs_acc[s], nrs_l[s], 25));
  }
}

// The InputError's message, or "" when the directory loads.
std::string load_error(const std::string& dir) {
  try {
    nrs::matrix::load_results(dir);
  } catch (const nrs::InputError& e) {
    return e.what();
  }
  return "";
}

json paper_file(double value, const std::string& ci) {
  return {{"entries",
           {{{"id", "t1/sgd"},
             {"dataset", "cifar10"},
             {"model", "wrn-28-10"},
             {"optimizer", "sgd"},
             {"epochs", 200},
             {"augmentation", "Basic"},
             {"metric", "test_error_pct"},
             {"value", value},
             {"ci95", ci},
             {"citation", {{"table", "Table 1"}}}},
            {{"id", "t1/sam"},
             {"dataset", "cifar10"},
             {"model", "wrn-28-10"},
             {"optimizer", "sam"},
             {"augmentation", "Basic"},
             {"metric", "test_error_pct"},
             {"value", 2.7},
             {"ci95", "0.1"},
             {"citation", {{"table", "Table 1"}}}},
            {{"id", "t1/aa"},
             {"dataset", "cifar10"},
             {"model", "wrn-28-10"},
             {"optimizer", "sgd"},
             {"augmentation", "AA"},
             {"metric", "test_error_pct"},
             {"value", 2.3},
             {"ci95", "0.1"},
             {"citation", {{"table", "Table 1"}}}}}},
          {"_file", "paper.json"}};
}

json run_check(const std::string& dir, const std::vector<json>& baselines) {
  return nrs::matrix::check(nrs::matrix::aggregate(nrs::matrix::load_results(dir)), baselines, {}).to_json();
}

}  // namespace

TEST(Aggregate, MeanStdCiAndCostRatioByHand) {
  TempDir t;
  write_results(t.str());
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str()));
  ASSERT_EQ(agg.cells.size(), 2u);
  const nrs::matrix::CellAggregate* sgd = nullptr;
  const nrs::matrix::CellAggregate* nrs = nullptr;
  for (const auto& c : agg.cells) (c.optimizer == "sgd" ? sgd : nrs) = &c;
  ASSERT_TRUE(sgd && nrs);
  const auto& a = sgd->metrics.test_acc;
  EXPECT_EQ(a.n, 3u);
  EXPECT_NEAR(a.mean, 0.92, 1e-12);
  EXPECT_NEAR(a.std, 0.02, 1e-12);
  EXPECT_NEAR(a.ci95, 4.303 * 0.02 / std::sqrt(3.0), 1e-9);  // t(0.975, 2) = 4.303
  EXPECT_NEAR(nrs->metrics.lambda_max.mean, 22.0, 1e-12);
  EXPECT_NEAR(nrs->cost_ratio_vs_sgd.value(), 2.5, 1e-12);
  EXPECT_NEAR(sgd->cost_ratio_vs_sgd.value(), 1.0, 1e-12);
  EXPECT_EQ(nrs->sgd_cell, sgd->cell_id);
  // The published form carries the same numbers under the README's names.
  const auto j = nrs->to_json();
  EXPECT_NEAR(j["metrics"]["lambda_max"]["mean"].get<double>(), 22.0, 1e-12);
  EXPECT_EQ(j["sgd_cell"], sgd->cell_id);
  EXPECT_TRUE(agg.to_json()["cells"][0]["metrics"]["test_acc"]["ci95"].is_number());
}

TEST(Aggregate, StudentTQuantiles) {
  EXPECT_NEAR(nrs::matrix::t_critical_975(1), 12.706, 1e-3);
  EXPECT_NEAR(nrs::matrix::t_critical_975(4), 2.776, 1e-3);
  EXPECT_NEAR(nrs::matrix::t_critical_975(60), 2.000, 2e-3);
  EXPECT_NEAR(nrs::matrix::t_critical_975(1000), 1.962, 2e-3);
}

TEST(Check, PaperEntryWithinAndOutsideTheBand) {
  TempDir t;
  write_results(t.str());
  // Measured SGD error: 8.0 %, sd 2 points over n = 3 (se 1.1547); reference se 0.1/1.96, its n not
  // stated (df large). Welch df 2.0078; band = t(0.975, 2.0078) * sqrt(se_m^2 + se_ref^2) = 4.95461
  // (SciPy 1.17.1: stats.t.ppf(0.975, df) * sqrt(...)).
  auto r = run_check(t.str(), {paper_file(3.5, "0.1")});
  ASSERT_EQ(r["rows"].size(), 3u);
  EXPECT_EQ(r["rows"][0]["verdict"], "pass") << r["rows"][0].dump(2);  // delta 4.5 <= 4.9546
  EXPECT_NEAR(r["rows"][0]["measured"]["mean"].get<double>(), 8.0, 1e-9);
  EXPECT_NEAR(r["rows"][0]["band"].get<double>(), 4.9546149544739855, 1e-6);
  EXPECT_NEAR(r["rows"][0]["df"].get<double>(), 2.0078168691880975, 1e-6);
  EXPECT_EQ(r["rows"][1]["verdict"], "missing");      // no SAM cell
  EXPECT_EQ(r["rows"][2]["verdict"], "missing");      // AutoAugment: not a suite augmentation
  r = run_check(t.str(), {paper_file(3.0, "<0.1")});  // delta 5.0 > 4.9546
  EXPECT_EQ(r["rows"][0]["verdict"], "fail") << r["rows"][0].dump(2);
  EXPECT_EQ(r["summary"]["fail"], 1);
  EXPECT_EQ(r["summary"]["missing"], 2);
  EXPECT_EQ(r["alpha"], 0.05);  // a number, not prose
}

TEST(Check, PinnedAbsoluteTolerance) {
  TempDir t;
  write_results(t.str());
  json pinned = {{"kind", "pinned"},
                 {"provenance", {{"commit", "abc"}, {"protocol", "x"}}},
                 {"entries",
                  {{{"id", "p/nrs"},
                    {"match", {{"model", "wrn-28-10"}, {"optimizer", "nrs"}}},
                    {"metric", "test_acc"},
                    {"value", 0.95},
                    {"tolerance", {{"abs", 0.02}}}},
                   {{"id", "p/sgd"},
                    {"match", {{"model", "wrn-28-10"}, {"optimizer", "sgd"}}},
                    {"metric", "test_acc"},
                    {"value", 0.95},
                    {"tolerance", {{"abs", 0.02}}}}}},
                 {"_file", "pinned.json"}};
  auto r = run_check(t.str(), {pinned});
  EXPECT_EQ(r["rows"][0]["verdict"], "pass");  // |0.94 - 0.95| = 0.01
  EXPECT_EQ(r["rows"][1]["verdict"], "fail");  // |0.92 - 0.95| = 0.03
}

TEST(Check, ClaimsAreThreeWayAndOneHolmFamily) {
  TempDir t;
  write_results(t.str());
  using nrs::test::claim;
  using nrs::test::claims_file;
  const json claims = claims_file({claim("acc", "test_acc"), claim("flat", "lambda_max")});
  auto r = run_check(t.str(), {claims});
  ASSERT_EQ(r["claims"].size(), 2u);
  const auto& acc = r["claims"][0];
  const auto& flat = r["claims"][1];
  // acc: NRS 0.94 (sd 0.017321) vs SGD 0.92 (sd 0.02), n = 3 each: se = sqrt(0.0004/3 + 0.0003/3) = 0.015275,
  // t = 1.3093, Welch df = (0.0007/3)^2 / ((0.0004/3)^2/2 + (0.0003/3)^2/2) = 3.92.
  EXPECT_NEAR(acc["difference"].get<double>(), 0.02, 1e-12);
  EXPECT_NEAR(acc["se"].get<double>(), std::sqrt(0.0007 / 3), 1e-9);
  EXPECT_NEAR(acc["df"].get<double>(), 0.0007 * 0.0007 / (0.0004 * 0.0004 / 2 + 0.0003 * 0.0003 / 2), 1e-6);
  EXPECT_EQ(acc["verdict"], "inconclusive");
  // flat: lambda 22 vs 32 (sd 2 each): d = -10, lower is better, se = sqrt(8/3), df 4:
  // one-sided p = P(T_4 > 6.1237) = 0.0018 (t table: t(0.999, 4) = 7.173, t(0.995, 4) = 4.604).
  EXPECT_EQ(flat["better"], "lower");
  EXPECT_NEAR(flat["df"].get<double>(), 4.0, 1e-9);
  EXPECT_GT(flat["p_support"].get<double>(), 0.001);
  EXPECT_LT(flat["p_support"].get<double>(), 0.005);
  // Holm over the family of 2: the smaller support p doubles, the larger stays (capped by monotonicity).
  EXPECT_NEAR(flat["p_support_holm"].get<double>(), 2 * flat["p_support"].get<double>(), 1e-12);
  EXPECT_NEAR(acc["p_support_holm"].get<double>(),
              std::max(acc["p_support"].get<double>(), flat["p_support_holm"].get<double>()), 1e-12);
  EXPECT_EQ(flat["verdict"], "supported");
  EXPECT_EQ(r["family"]["size"], 2);
  EXPECT_EQ(r["summary"]["claims"]["supported"], 1);
  // The opposite claim ("NRS is sharper") is contradicted by the same data.
  json sharper = claims_file({claim("sharper", "lambda_max")});
  sharper["claims"][0]["better"] = "higher";
  EXPECT_EQ(run_check(t.str(), {sharper})["claims"][0]["verdict"], "contradicted");
  // The old string form is refused with its replacement named.
  json old = {{"claims", {{{"id", "x"}, {"check", "nrs.acc >= sgd.acc - tol"}, {"citation", "c"}}}},
              {"_file", "b.json"}};
  try {
    run_check(t.str(), {old});
    FAIL() << "old claim form accepted";
  } catch (const nrs::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("old claim form"), std::string::npos) << e.what();
  }
}

TEST(Check, ComparatorThatDiffersInWeightDecayIsRefusedByName) {
  TempDir t;
  write_results(t.str());
  // The SGD runs at another weight decay than the NRS runs.
  for (int s = 0; s < 3; ++s) {
    const std::string f = t / ("sgd-s" + std::to_string(s) + ".json");
    auto r = nrs::test::read_json(f);
    r["config"]["sgd"] = {{"weight_decay", 0.0001}};
    write_json(f, r);
    const std::string g = t / ("nrs-s" + std::to_string(s) + ".json");
    auto q = nrs::test::read_json(g);
    q["config"]["sgd"] = {{"weight_decay", 0.0005}};
    write_json(g, q);
  }
  json claims = nrs::test::claims_file({nrs::test::claim("flat", "lambda_max")});
  auto r = run_check(t.str(), {claims});
  ASSERT_EQ(r["claims"].size(), 1u);
  EXPECT_EQ(r["claims"][0]["verdict"], "refused");
  EXPECT_NE(r["claims"][0]["why"].get<std::string>().find("sgd.weight_decay (0.0005 vs 0.0001)"), std::string::npos)
      << r["claims"][0].dump(2);
  EXPECT_EQ(r["family"]["size"], 0);
  // Declared, the difference is what the claim compares: tested.
  claims["claims"][0]["differs_in"] = {"sgd.weight_decay"};
  r = run_check(t.str(), {claims});
  EXPECT_EQ(r["claims"][0]["verdict"], "supported") << r["claims"][0].dump(2);
}

TEST(Check, EqualComputeComparatorIsTheCellAtTwiceTheEpochs) {
  TempDir t;
  // SAM at 10 epochs; SGD at 10 and 20 epochs.
  const double sam[] = {0.93, 0.94, 0.95}, sgd10[] = {0.90, 0.91, 0.92}, sgd20[] = {0.93, 0.935, 0.94};
  for (int s = 0; s < 3; ++s) {
    write_json(t / ("sam-s" + std::to_string(s) + ".json"), fake_result("c", "m", "sam", s, sam[s], 1, 1, 10));
    write_json(t / ("sgd-s" + std::to_string(s) + ".json"), fake_result("c", "m", "sgd", s, sgd10[s], 1, 1, 10));
    write_json(t / ("sgd2-s" + std::to_string(s) + ".json"), fake_result("c", "m", "sgd", s, sgd20[s], 1, 1, 20));
  }
  json claims = nrs::test::claims_file({nrs::test::claim("equal-compute", "test_acc", "sam", "sgd")});
  claims["claims"][0]["comparator_epochs_factor"] = 2;
  auto r = run_check(t.str(), {claims});
  ASSERT_EQ(r["claims"].size(), 1u) << r.dump(2);
  EXPECT_NEAR(r["claims"][0]["comparator_measured"]["mean"].get<double>(), 0.935, 1e-12);
  EXPECT_NEAR(r["claims"][0]["difference"].get<double>(), 0.005, 1e-12);
}

TEST(Check, CliExitCodesAndUncitedBaselines) {
  TempDir t;
  write_results(t / "r");
  write_json(t / "ok.json", paper_file(3.5, "0.1"));
  write_json(t / "bad.json", paper_file(0.3, "0.1"));
  auto o = nrs::test::nrsbench("check --results " + t / "r" + " --baselines " + t / "ok.json" + " --report " +
                               t / "rep.json");
  EXPECT_EQ(o.code, 0) << o.text;
  EXPECT_NE(o.text.find("1 pass, 0 fail, 2 missing"), std::string::npos) << o.text;
  EXPECT_EQ(nrs::test::read_json(t / "rep.json")["summary"]["pass"], 1);
  o = nrs::test::nrsbench("check --results " + t / "r" + " --baselines " + t / "bad.json");
  EXPECT_EQ(o.code, 1) << o.text;
  auto uncited = paper_file(3.5, "0.1");
  uncited["entries"][0].erase("citation");
  write_json(t / "uncited.json", uncited);
  o = nrs::test::nrsbench("check --results " + t / "r" + " --baselines " + t / "uncited.json");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("uncited.json: t1/sgd has no citation"), std::string::npos) << o.text;
}

TEST(Check, ShippedBaselinesLoadAndMatchTheirCells) {
  // Every shipped file, so that a new one cannot skip the loader's checks.
  int shipped = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::string(NRSBENCH_SOURCE_DIR) + "/baselines")) {
    if (e.path().extension() != ".json") continue;
    ++shipped;
    EXPECT_NO_THROW(nrs::matrix::load_baseline_file(e.path().string())) << e.path();
  }
  EXPECT_GE(shipped, 12);  // the files in baselines/ when this was written
  // A measured WRN-28-10 CIFAR-10 200-epoch basic SGD cell meets the paper's row.
  TempDir t;
  write_results(t.str());
  auto sam = nrs::matrix::load_baseline_file(std::string(NRSBENCH_SOURCE_DIR) + "/baselines/sam-paper.json");
  auto r = run_check(t.str(), {sam});
  int matched = 0;
  for (const auto& row : r["rows"])
    if (row["verdict"] != "missing") {
      ++matched;
      EXPECT_EQ(row["id"], "sam-t1/wrn-28-10/200ep/basic/cifar10/sgd");
    }
  EXPECT_EQ(matched, 1);
}

// Time to target by hand: SGD's two seeds end at 0.80 and 0.84 (target 0.82).
// NRS seed 0 first reaches it in epoch 2 (after 10 + 12 s), seed 1 never does.
TEST(Aggregate, TimeToTargetByHand) {
  TempDir t;
  auto with_history = [](json r, std::vector<double> accs) {
    json h = json::array();
    for (size_t e = 0; e < accs.size(); ++e)
      h.push_back({{"epoch", e + 1}, {"test_acc", accs[e]}, {"epoch_time_s", 10.0 + 2.0 * static_cast<double>(e)}});
    r["history"] = h;
    r["final"]["test_acc"] = accs.back();
    r["throughput"]["steps"] = 100 * accs.size();  // 100 steps per epoch
    return r;
  };
  using nrs::test::fake_result;
  nrs::test::write_json(t / "sgd-s0.json",
                        with_history(fake_result("fashion-mnist", "m", "sgd", 0, 0, 10, 5, 3), {0.6, 0.7, 0.80}));
  nrs::test::write_json(t / "sgd-s1.json",
                        with_history(fake_result("fashion-mnist", "m", "sgd", 1, 0, 10, 5, 3), {0.6, 0.8, 0.84}));
  nrs::test::write_json(t / "nrs-s0.json",
                        with_history(fake_result("fashion-mnist", "m", "nrs", 0, 0, 10, 5, 3), {0.7, 0.83, 0.85}));
  nrs::test::write_json(t / "nrs-s1.json",
                        with_history(fake_result("fashion-mnist", "m", "nrs", 1, 0, 10, 5, 3), {0.7, 0.75, 0.81}));
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str()));
  const nrs::matrix::CellAggregate* nrs = nullptr;
  const nrs::matrix::CellAggregate* sgd = nullptr;
  for (const auto& c : agg.cells) (c.optimizer == "sgd" ? sgd : nrs) = &c;
  ASSERT_TRUE(nrs && sgd);
  ASSERT_TRUE(nrs->time_to_target && sgd->time_to_target);
  const auto& tt = *nrs->time_to_target;
  EXPECT_NEAR(tt.target_test_acc, 0.82, 1e-12);
  EXPECT_EQ(tt.runs, 2u);
  EXPECT_EQ(tt.reached, 1u);
  // Censored, not dropped: seed 0 at epoch 2 (200 steps, 22 s), seed 1 never.
  ASSERT_EQ(tt.epochs.size(), 2u);
  EXPECT_EQ(tt.epochs[0].value(), 2.0);
  EXPECT_FALSE(tt.epochs[1].has_value());
  EXPECT_EQ(tt.steps[0].value(), 200.0);
  EXPECT_EQ(tt.train_seconds[0].value(), 22.0);
  // The median of {2, never} falls between a reached and a censored run: not reached.
  EXPECT_FALSE(tt.median_epochs.has_value());
  EXPECT_EQ(nrs->to_json()["time_to_target"]["median_epochs"], "not reached");
  // SGD itself: seed 1 reaches 0.82 in epoch 3, seed 0 never (0.80 < 0.82).
  EXPECT_EQ(sgd->time_to_target->reached, 1u);
  EXPECT_FALSE(sgd->time_to_target->median_epochs.has_value());
  // Hand-made medians: {1, 3, never} -> 3; {1, never, never} -> not reached; {1, 2, 4, never} -> 3.
  using nrs::matrix::censored_median;
  EXPECT_EQ(censored_median({1.0, 3.0, std::nullopt}).value(), 3.0);
  EXPECT_FALSE(censored_median({1.0, std::nullopt, std::nullopt}).has_value());
  EXPECT_EQ(censored_median({1.0, 2.0, 4.0, std::nullopt}).value(), 3.0);
}

// lambda_max per run is the mean over its Hessian sample subsets; the spread
// over seeds splits into a sampling and a seed part (by hand: subsets sd 3 in
// every run, R = 3: sampling sd of a run's mean = sqrt(9 / 3) = 1.732; per-run
// means 20, 22, 24: total sd 2, seed sd sqrt(4 - 3) = 1).
TEST(Aggregate, LambdaMaxIsTheSubsetMeanWithSeedAndSamplingParts) {
  TempDir t;
  const double means[] = {20, 22, 24};
  for (int s = 0; s < 3; ++s) {
    auto r = fake_result("c", "m", "sgd", s, 0.9, 99.0 /* first subset */, 1);
    r["hessian"]["repeats"] = {{"R", 3}, {"lambda_max", {{"mean", means[s]}, {"sd", 3.0}}}};
    write_json(t / ("sgd-s" + std::to_string(s) + ".json"), r);
  }
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str()));
  const auto& c = agg.cells.at(0);
  EXPECT_NEAR(c.metrics.lambda_max.mean, 22.0, 1e-12);
  EXPECT_NEAR(c.metrics.lambda_max_first_subset.mean, 99.0, 1e-12);
  ASSERT_TRUE(c.lambda_spread.has_value());
  EXPECT_NEAR(c.lambda_spread->total_sd, 2.0, 1e-12);
  EXPECT_NEAR(c.lambda_spread->sampling_sd, std::sqrt(3.0), 1e-12);
  EXPECT_NEAR(c.lambda_spread->seed_sd, 1.0, 1e-12);
}

TEST(Check, SgdRowsAreTheBetterOfTheTwoBudgetsAndSayWhich) {
  // The paper's SGD column is the better of 1x and 2x epochs. Ours:
  //   200 epochs: acc 0.960, 0.962, 0.964 -> error 3.8 %;
  //   400 epochs: acc 0.9655, 0.9665, 0.9675 -> error 3.35 % (sd 0.1 pct points).
  // The 400-epoch cell is chosen: delta = 3.35 - 3.5 = -0.15.
  //   Welch: band 0.186 (below) -> pass;
  //   paper CI: |-0.15| > 0.1 -> outside; our CI (0.2484) overlaps it (0.15 <= 0.3484).
  // SAM: acc 0.972, 0.973, 0.974 -> error 2.7 % = the reference: inside.
  TempDir t;
  const double a200[] = {0.960, 0.962, 0.964}, a400[] = {0.9655, 0.9665, 0.9675}, sam[] = {0.972, 0.973, 0.974};
  const std::string m = "wrn-28-10-official";
  for (int s = 0; s < 3; ++s) {
    write_json(t / ("sgd-s" + std::to_string(s) + ".json"), fake_result("cifar10", m, "sgd", s, a200[s], 30, 10, 200));
    write_json(t / ("sgd2x-s" + std::to_string(s) + ".json"),
               fake_result("cifar10", m, "sgd", s, a400[s], 30, 10, 400));
    write_json(t / ("sam-s" + std::to_string(s) + ".json"), fake_result("cifar10", m, "sam", s, sam[s], 20, 20, 200));
  }
  json entry = {{"id", "t1/sgd"},
                {"dataset", "cifar10"},
                {"model", {"wrn-28-10-official", "wrn-28-10"}},
                {"optimizer", "sgd"},
                {"epochs", 200},
                {"best_of_epochs", {200, 400}},
                {"augmentation", "Basic"},
                {"metric", "test_error_pct"},
                {"value", 3.5},
                {"ci95", "0.1"},
                {"citation", {{"table", "Table 1"}}}};
  json sam_entry = {{"id", "t1/sam"},
                    {"dataset", "cifar10"},
                    {"model", {"wrn-28-10-official", "wrn-28-10"}},
                    {"optimizer", "sam"},
                    {"epochs", 200},
                    {"augmentation", "Basic"},
                    {"metric", "test_error_pct"},
                    {"value", 2.7},
                    {"ci95", "0.1"},
                    {"citation", {{"table", "Table 1"}}}};
  json file = {{"entries", {entry, sam_entry}}, {"_file", "paper.json"}};
  auto r = run_check(t.str(), {file});
  ASSERT_EQ(r["rows"].size(), 2u) << r["rows"].dump(2);
  const auto& sgd = r["rows"][0];
  EXPECT_EQ(sgd["chosen_epochs"], 400);
  EXPECT_EQ(sgd["best_of"].size(), 2u);
  EXPECT_NEAR(sgd["best_of"][0]["mean"].get<double>(), 3.8, 1e-9);
  EXPECT_NEAR(sgd["best_of"][1]["mean"].get<double>(), 3.35, 1e-9);
  EXPECT_NEAR(sgd["delta"].get<double>(), -0.15, 1e-9);
  // Welch: our se 0.1/sqrt(3), the paper's 0.1/1.96 (its n not stated): df 6.343, band 0.18608 (SciPy).
  EXPECT_NEAR(sgd["band"].get<double>(), 0.18608353944380332, 1e-6);
  EXPECT_EQ(sgd["verdict"], "pass");
  EXPECT_EQ(sgd["verdict_paper_ci"], "outside");
  EXPECT_EQ(sgd["paper_ci"]["intervals_overlap"], true);
  EXPECT_NE(sgd["selection"].get<std::string>().find("400 epochs"), std::string::npos) << sgd["selection"];
  const auto& s = r["rows"][1];
  EXPECT_NEAR(s["measured"]["mean"].get<double>(), 2.7, 1e-9);
  EXPECT_EQ(s["verdict_paper_ci"], "inside");
  EXPECT_FALSE(s.contains("best_of"));
  EXPECT_EQ(r["summary"]["paper_ci"]["inside"], 1);
  EXPECT_EQ(r["summary"]["paper_ci"]["outside"], 1);

  // With only the 1x cell measured the row says so and uses it.
  TempDir u;
  for (int k = 0; k < 3; ++k)
    write_json(u / ("sgd-s" + std::to_string(k) + ".json"), fake_result("cifar10", m, "sgd", k, a200[k], 30, 10, 200));
  r = run_check(u.str(), {file});
  ASSERT_EQ(r["rows"][0]["best_of"].size(), 1u);
  EXPECT_EQ(r["rows"][0]["chosen_epochs"], 200);
  EXPECT_NEAR(r["rows"][0]["delta"].get<double>(), 0.3, 1e-9);
  EXPECT_EQ(r["rows"][0]["verdict_paper_ci"], "outside");
}

// Found by fuzzing (tests/fuzz/corpus/fuzz_results/regress-*.json): a result
// or manifest with a key missing or of another type escaped as a JSON library
// error (exit 1), or was read through a const operator[] past the end of its
// object (a heap overflow). Each is now an InputError naming the file.
TEST(Aggregate, ResultOrManifestOfTheWrongShapeNamesTheFile) {
  TempDir t;
  write_results(t / "r");
  auto odd = fake_result("cifar10", "wrn-28-10", "sam", 0, 0.9, 10, 20);
  odd["config"].erase("optimizer");
  write_json(t / "r/odd-s0.json", odd);
  EXPECT_NE(load_error(t / "r").find(t / "r/odd-s0.json"), std::string::npos);
  std::filesystem::remove(t / "r/odd-s0.json");
  write_json(t / "r/protocol-p.json", {{"kind", "nrsbench-protocol-manifest"}, {"name", "p"}});  // no cells
  EXPECT_NE(load_error(t / "r").find(t / "r/protocol-p.json"), std::string::npos);
}

// The reader requires the schema's keys (results.h) and names the file and
// the key; a failed result needs only the failed list.
TEST(Aggregate, ResultWithoutARequiredKeyNamesTheKey) {
  TempDir t;
  auto r = fake_result("cifar10", "wrn-28-10", "sgd", 0, 0.9, 10, 10);
  r.erase("throughput");
  write_json(t / "r/sgd-s0.json", r);
  try {
    nrs::matrix::load_results(t / "r");
    ADD_FAILURE() << "a result without throughput was accepted";
  } catch (const nrs::InputError& e) {
    EXPECT_NE(std::string(e.what()).find(t / "r/sgd-s0.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("\"throughput\""), std::string::npos) << e.what();
  }
  json failed = {{"status", "failed"}};
  for (const auto& k : nrs::required_failed_result_keys())
    if (!failed.contains(k)) failed[k] = r.contains(k) ? r[k] : json("x");
  write_json(t / "r/sgd-s0.json", failed);
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t / "r"));
  ASSERT_EQ(agg.cells.size(), 1u);
  EXPECT_EQ(agg.cells[0].failed, 1u);
  EXPECT_TRUE(agg.cells[0].metrics.test_acc.empty());
}

// write_results with the thread count recorded, as every real result has it.
void write_results_with_threads(const std::string& dir) {
  write_results(dir);
  nrs::test::record_threads(dir);
}

// The fake results' model at `batch_size`: SGD at sgd_ms, NRS at nrs_ms.
json step_cost_report(int64_t batch_size, double sgd_ms, double nrs_ms) {
  return nrs::test::step_cost_report("wrn-28-10", batch_size, {{"sgd", sgd_ms}, {"nrs", nrs_ms}});
}

// nrsbench's own reports beside the results are recognised, not read as runs:
// a step-cost report (kind nrsbench-step-cost) adds no cell.
TEST(Aggregate, StepCostReportBesideTheResultsIsNotARun) {
  TempDir t;
  write_results_with_threads(t / "r");
  write_json(t / "r/step-cost.json", step_cost_report(256, 100, 180));
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t / "r"));
  EXPECT_EQ(agg.cells.size(), 2u);
  size_t runs = 0;
  for (const auto& c : agg.cells) runs += c.runs;
  EXPECT_EQ(runs, 6u);
}

// The runs' own ms per step (10 for SGD, 25 for NRS: 2.5x) stay the runs'
// ratio; the report's one-process figures (100 and 180 ms: 1.8x) become the
// cell's step cost, with their source. A report for another batch size, or
// results without a thread count, match nothing.
TEST(Aggregate, StepCostReportGivesTheCellsOneProcessCost) {
  TempDir t;
  write_results_with_threads(t / "r");
  write_json(t / "r/step-cost.json", step_cost_report(256, 100, 180));
  write_json(t / "r/other-batch.json", step_cost_report(128, 50, 200));
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t / "r"));
  bool seen = false;
  for (const auto& c : agg.cells) {
    ASSERT_TRUE(c.step_cost) << c.label;
    EXPECT_EQ(c.step_cost->file, "step-cost.json");
    EXPECT_EQ(c.step_cost->threads, 1);
    if (c.label != "nrs") continue;
    seen = true;
    EXPECT_NEAR(*c.cost_ratio_vs_sgd, 2.5, 1e-12);
    EXPECT_NEAR(c.step_cost->ratio_to_sgd, 1.8, 1e-12);
    EXPECT_NEAR(c.step_cost->ms_per_step, 180.0, 1e-12);
    EXPECT_NEAR(c.to_json()["step_cost"]["ratio_to_sgd"].get<double>(), 1.8, 1e-12);
  }
  EXPECT_TRUE(seen);
  TempDir u;
  write_results(u / "r");  // no "threads" in the configuration
  write_json(u / "r/step-cost.json", step_cost_report(256, 100, 180));
  for (const auto& c : nrs::matrix::aggregate(nrs::matrix::load_results(u / "r")).cells)
    EXPECT_FALSE(c.step_cost) << c.label;
}

// Two reports for the same cell would make the verdict depend on file order;
// a report without its model is named with the field. Both are input errors.
TEST(Aggregate, AmbiguousOrIncompleteStepCostReportIsNamed) {
  TempDir t;
  write_results_with_threads(t / "r");
  write_json(t / "r/a-cost.json", step_cost_report(256, 100, 180));
  write_json(t / "r/b-cost.json", step_cost_report(256, 100, 190));
  try {
    nrs::matrix::aggregate(nrs::matrix::load_results(t / "r"));
    ADD_FAILURE() << "two matching step-cost reports were accepted";
  } catch (const nrs::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a-cost.json"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("b-cost.json"), std::string::npos) << e.what();
  }
  auto bad = step_cost_report(256, 100, 180);
  bad.erase("model");
  write_json(t / "r/b-cost.json", bad);
  EXPECT_NE(load_error(t / "r").find("\"model\""), std::string::npos) << load_error(t / "r");
  EXPECT_NE(load_error(t / "r").find("b-cost.json"), std::string::npos) << load_error(t / "r");
}

// A field of the wrong type is named with its path, not read as missing.
TEST(Aggregate, NumberFieldOfAnotherTypeIsNamed) {
  TempDir t;
  auto r = fake_result("cifar10", "wrn-28-10", "sgd", 0, 0.9, 10, 10);
  r["hessian"]["lambda_max"] = "big";
  write_json(t / "r/sgd-s0.json", r);
  try {
    nrs::matrix::load_results(t / "r");
    ADD_FAILURE() << "a string lambda_max was accepted";
  } catch (const nrs::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("\"hessian.lambda_max\" must be a number"), std::string::npos) << e.what();
  }
}

// Results that lack a configuration key the SGD matching compares (here
// channels_last, on both cells) still aggregate: the key compares as null.
TEST(Aggregate, ConfigKeyMissingFromBothCellsStillMatchesTheSgdCell) {
  TempDir t;
  for (int s = 0; s < 2; ++s)
    for (const char* opt : {"sgd", "nrs"}) {
      auto r = fake_result("cifar10", "wrn-28-10", opt, s, 0.9, 10, opt[0] == 's' ? 10 : 25);
      r["config"].erase("channels_last");
      write_json(t / (std::string(opt) + "-s" + std::to_string(s) + ".json"), r);
    }
  const auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str()));
  ASSERT_EQ(agg.cells.size(), 2u);
  for (const auto& c : agg.cells) {
    if (c.optimizer == "nrs") {
      EXPECT_DOUBLE_EQ(c.cost_ratio_vs_sgd.value_or(0.0), 2.5);  // 25 ms / 10 ms
    }
  }
}

// Baseline values check() reads by type are checked when the file is loaded.
TEST(Check, BaselineFieldOfAnotherTypeNamesTheFileAndTheEntry) {
  TempDir t;
  auto numeric_id = paper_file(3.5, "0.1");
  numeric_id["entries"][0]["id"] = 7;
  write_json(t / "id.json", numeric_id);
  auto numeric_metric = paper_file(3.5, "0.1");
  numeric_metric["entries"][0]["metric"] = 1;
  write_json(t / "metric.json", numeric_metric);
  for (const auto& [file, needle] : {std::pair<std::string, std::string>{"id.json", "\"id\" that is not a string"},
                                     {"metric.json", "t1/sgd: \"metric\" must be a string"}}) {
    try {
      nrs::matrix::load_baseline_file(t / file);
      ADD_FAILURE() << file << " was accepted";
    } catch (const nrs::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(t / file), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  }
}

// Pins that can fail: the committed fmnist-converged study passes its own pins,
// and the same study with SAM's lambda_max replaced by the weight-decay
// control's (SGD at SAM's weight decay: SAM's headline flattening removed)
// fails SAM's lambda_max pin, and only that one.
TEST(Check, PinsFailWhenTheStudyLosesItsHeadlineEffect) {
  namespace fs = std::filesystem;
  const std::string src = std::string(NRSBENCH_SOURCE_DIR) + "/results/fmnist-converged/fashion-mnist/small-cnn";
  const std::string control =
      std::string(NRSBENCH_SOURCE_DIR) + "/results/fmnist-converged-wd-control/fashion-mnist/small-cnn";
  TempDir t;
  for (const auto& e : fs::directory_iterator(src))
    if (e.path().extension() == ".json") fs::copy_file(e.path(), t / e.path().filename().string());
  const auto pins =
      nrs::matrix::load_baseline_file(std::string(NRSBENCH_SOURCE_DIR) + "/baselines/pinned-fmnist-converged.json");
  auto r = run_check(t.str(), {pins});
  ASSERT_EQ(r["rows"].size(), 8u);
  EXPECT_EQ(r["summary"]["pass"], 8) << r["rows"].dump(2);
  for (int s = 0; s < 5; ++s) {
    const std::string f = t / ("sam-s" + std::to_string(s) + ".json");
    auto sam = nrs::test::read_json(f);
    const auto ctl = nrs::test::read_json(control + "/sgd-wd5e-4-s" + std::to_string(s) + ".json");
    sam["hessian"]["repeats"]["lambda_max"] = ctl["hessian"]["repeats"]["lambda_max"];
    nrs::write_result_atomic(f, sam);  // with its own digest, as a rerun's result would carry
  }
  r = run_check(t.str(), {pins});
  for (const auto& row : r["rows"])
    EXPECT_EQ(row["verdict"], row["id"] == "fmnist-converged/small-cnn/sam/lambda_max" ? "fail" : "pass")
        << row.dump(2);
}

// A single run of ours against a paper row over n = 5 runs: our seed sd is
// taken as the paper's (a stated prior), se_ref = 0.1 / 1.96, so the paper's
// sd is 0.1 / 1.96 * sqrt(5) = 0.11408 and ours the same over n = 1; Welch df
// = (v1 + v2)^2 / (v1^2 / 4 + v2^2 / 4) with v1 = 0.1^2/1.96^2 = 0.0026031,
// v2 = 5 v1: df = 36 v1^2 / (26 v1^2 / 4) = 5.5385; band = t(0.975, 5.5385) *
// sqrt(6 v1) = 2.4972 * 0.12497 = 0.31209 (SciPy 1.17.1: t.ppf(0.975, 5.5385) = 2.4972).
TEST(Check, OneRunGetsTheReferencesSeedSdAsAStatedPrior) {
  TempDir t;
  write_json(t / "sgd-s0.json", fake_result("cifar10", "wrn-28-10", "sgd", 0, 0.963, 30, 10));
  json paper = paper_file(3.5, "0.1");
  paper["entries"][0]["n"] = 5;
  auto r = run_check(t.str(), {paper});
  const auto& row = r["rows"][0];
  EXPECT_NE(row["prior"].get<std::string>().find("a prior, not a measurement"), std::string::npos) << row.dump(2);
  EXPECT_NEAR(row["df"].get<double>(), 36.0 / 6.5, 1e-9);
  EXPECT_NEAR(row["band"].get<double>(), 0.3120850452284712, 1e-6);
  EXPECT_EQ(row["verdict"], "pass");  // 3.7 - 3.5 = 0.2
  paper["entries"][0].erase("n");     // without the paper's n there is no seed sd to lend
  r = run_check(t.str(), {paper});
  EXPECT_FALSE(r["rows"][0].contains("prior"));
}

// A result's digest: written by the writer, equal to coreutils' sha256sum of
// the result's compact JSON without the digest; a hand edit of one number is
// refused by every reader (load_results), naming the file; migrate-ids stamps
// results that have none and refuses edited ones.
TEST(Aggregate, ResultDigestCatchesAHandEdit) {
  TempDir t;
  auto r = fake_result("c", "m", "sgd", 0, 0.9, 10, 1);
  nrs::write_result_atomic(t / "sgd-s0.json", r);
  auto stored = nrs::test::read_json(t / "sgd-s0.json");
  nrs::test::write_bytes(t / "body.txt", r.dump());
  const auto sum = nrs::test::run_cmd("sha256sum " + t / "body.txt");
  EXPECT_EQ(stored["digest"], sum.text.substr(0, 64));
  EXPECT_NO_THROW(nrs::matrix::load_results(t.str()));
  stored["final"]["test_acc"] = 0.95;
  write_json(t / "sgd-s0.json", stored);
  const std::string err = load_error(t.str());
  EXPECT_NE(err.find("sgd-s0.json: its digest does not match"), std::string::npos) << err;
  // An old result without a digest is read as before.
  write_json(t / "sgd-s0.json", r);
  EXPECT_EQ(load_error(t.str()), "");
}

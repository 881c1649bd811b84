// Leaderboard JSON ranking and the HTML page, loaded in headless Chromium.
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/matrix/leaderboard.h"
#include "util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <sstream>

using nlohmann::json;
using nrs::test::fake_result;
using nrs::test::TempDir;
using nrs::test::write_json;

namespace {

void write_results(const std::string& dir) {
  for (int s = 0; s < 2; ++s) {
    write_json(dir + "/a" + std::to_string(s) + ".json",
               fake_result("fashion-mnist", "small-cnn", "sgd", s, 0.90 + 0.01 * s, 30, 10));
    write_json(dir + "/b" + std::to_string(s) + ".json",
               fake_result("fashion-mnist", "small-cnn", "sam", s, 0.92 + 0.01 * s, 12, 20));
    write_json(dir + "/c" + std::to_string(s) + ".json",
               fake_result("fashion-mnist", "small-cnn", "nrs", s, 0.91, 15, 21));
    write_json(dir + "/d" + std::to_string(s) + ".json", fake_result("fashion-mnist", "mlp", "sgd", s, 0.85, 5, 3));
  }
}

std::string slurp(const std::string& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

}  // namespace

TEST(Leaderboard, RanksByMeanAccuracyAndKeepsReportedApart) {
  TempDir t;
  write_results(t.str());
  auto agg = nrs::matrix::aggregate(nrs::matrix::load_results(t.str()));
  json claims = {
      {"claims",
       {{{"id", "flat"}, {"check", "nrs.lambda_max < sgd.lambda_max"}, {"claim", "flatter"}, {"citation", "abs"}}}},
      {"_file", "c.json"}};
  auto lb = nrs::matrix::make_leaderboard(agg, nrs::matrix::check(agg, {claims}, {}), "T", t.str());
  ASSERT_EQ(lb["boards"].size(), 2u);
  const auto& b = lb["boards"][0];
  EXPECT_EQ(b["model"], "small-cnn");
  ASSERT_EQ(b["methods"].size(), 3u);
  EXPECT_EQ(b["methods"][0]["label"], "sam");  // 0.925
  EXPECT_EQ(b["methods"][1]["label"], "nrs");  // 0.91
  EXPECT_EQ(b["methods"][2]["label"], "sgd");  // 0.905
  EXPECT_EQ(b["methods"][0]["rank"], 1);
  EXPECT_NEAR(b["methods"][0]["cost_ratio_vs_sgd"].get<double>(), 2.0, 1e-12);
  EXPECT_NEAR(b["methods"][2]["test_acc"]["std"].get<double>(), std::sqrt(0.00005), 1e-12);
  ASSERT_EQ(b["claims"].size(), 1u);
  EXPECT_EQ(b["claims"][0]["verdict"], "pass");
  EXPECT_TRUE(lb["boards"][1]["claims"].empty());
}

TEST(Leaderboard, EscapesHtml) {
  EXPECT_EQ(nrs::matrix::html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(Leaderboard, PageIsSelfContainedAndRendersInChromium) {
  TempDir t;
  write_results(t / "r");
  auto o = nrs::test::nrsbench("leaderboard --results " + t / "r" + " --baselines " + std::string(NRSBENCH_SOURCE_DIR) +
                               "/baselines/nrs-paper-claims.json --title 'Test <board>'");
  ASSERT_EQ(o.code, 0) << o.text;
  const auto html = slurp(t / "r/leaderboard.html");
  auto lb = nrs::test::read_json(t / "r/leaderboard.json");
  EXPECT_EQ(lb["boards"].size(), 2u);
  // Nothing fetched from elsewhere: no src/href attributes, no @import or url().
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=|@import|url\()", std::regex::icase))) << html;
  EXPECT_NE(html.find("Test &lt;board&gt;"), std::string::npos);

  std::string chromium;
  for (const char* c : {"chromium", "chromium-browser", "google-chrome"})
    if (nrs::test::run_cmd(std::string("command -v ") + c).code == 0) chromium = c;
  if (chromium.empty()) GTEST_SKIP() << "no chromium on PATH (scripts/setup installs Debian's chromium)";
  auto dom = nrs::test::run_cmd("timeout 120 " + chromium +
                                " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --enable-logging=stderr"
                                " --v=0 --virtual-time-budget=2000 --dump-dom file://" +
                                t / "r/leaderboard.html");
  ASSERT_EQ(dom.code, 0) << dom.text;
  // The page script ran to its end and counted the method rows.
  EXPECT_NE(dom.text.find("data-ready=\"4\""), std::string::npos) << dom.text.substr(0, 4000);
  for (const char* label : {"data-label=\"sam\"", "data-label=\"nrs\"", "data-label=\"sgd\""})
    EXPECT_NE(dom.text.find(label), std::string::npos) << label;
  EXPECT_EQ(dom.text.find("Uncaught"), std::string::npos) << dom.text.substr(0, 4000);
  EXPECT_NE(dom.text.find("nrs.lambda_max &lt; sgd.lambda_max"), std::string::npos);
}

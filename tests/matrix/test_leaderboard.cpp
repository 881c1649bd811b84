// Leaderboard JSON ranking and the HTML page, loaded in headless Chromium.
// CTest label: cli
#include "suite/core/errors.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/matrix/leaderboard.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>

using nlohmann::json;
using nrs::test::fake_result;
using nrs::test::TempDir;
using nrs::test::write_json;

namespace {

// Per-epoch test accuracy of seed s: 0.5, then up to the final accuracy.
json with_curves(json r, int seed, bool density, bool eigen_slice) {
  const double fin = r["final"]["test_acc"].get<double>();
  r["history"] = {{{"epoch", 1}, {"test_acc", 0.5 + 0.01 * seed}},
                  {{"epoch", 2}, {"test_acc", (0.5 + fin) / 2}},
                  {{"epoch", 3}, {"test_acc", fin}}};
  if (density) r["hessian"]["density"] = {{"grid", {0, 10, 20, 30}}, {"density", {0.05, 0.01, 1e-4, 1e-9}}};
  r["landscape"]["slices"] = json::array();
  r["landscape"]["slices"].push_back(
      {{"kind", "random-filter"}, {"alphas", {-1, 0, 1}}, {"train_loss", {1.2, 0.3 + 0.01 * seed, 1.1}}});
  if (eigen_slice)
    r["landscape"]["slices"].push_back(
        {{"kind", "top-eigenvector"}, {"alphas", {-0.5, 0, 0.5}}, {"train_loss", {0.9, 0.3, 0.8}}});
  return r;
}

void write_results(const std::string& dir, bool curves = false) {
  for (int s = 0; s < 2; ++s) {
    auto sgd = fake_result("fashion-mnist", "small-cnn", "sgd", s, 0.90 + 0.01 * s, 30, 10);
    auto sam = fake_result("fashion-mnist", "small-cnn", "sam", s, 0.92 + 0.01 * s, 12, 20);
    auto nrs = fake_result("fashion-mnist", "small-cnn", "nrs", s, 0.91, 15, 21);
    auto mlp = fake_result("fashion-mnist", "mlp", "sgd", s, 0.85, 5, 3);
    if (curves) {
      // small-cnn: densities for sgd and sam, random-filter slices for all
      // three, a top-eigenvector slice for sgd only, Hessian sampling spread
      // for sam; mlp: accuracy curves only.
      sgd = with_curves(sgd, s, true, true);
      sam = with_curves(sam, s, true, false);
      sam["hessian"]["repeats"] = {{"lambda_max", {{"sd", 1.5}}}};
      nrs = with_curves(nrs, s, false, false);
      mlp["history"] = {{{"epoch", 1}, {"test_acc", 0.8}}, {{"epoch", 2}, {"test_acc", 0.85}}};
    }
    write_json(dir + "/a" + std::to_string(s) + ".json", sgd);
    write_json(dir + "/b" + std::to_string(s) + ".json", sam);
    write_json(dir + "/c" + std::to_string(s) + ".json", nrs);
    write_json(dir + "/d" + std::to_string(s) + ".json", mlp);
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
  const json claims = nrs::test::claims_file({nrs::test::claim("flat", "lambda_max")});
  const auto report = nrs::matrix::check(agg, {claims}, {});
  auto lb = nrs::matrix::make_leaderboard(agg, &report, "T", t.str());
  ASSERT_EQ(lb.boards.size(), 2u);
  const auto& b = lb.boards[0];
  EXPECT_EQ(b.model, "small-cnn");
  ASSERT_EQ(b.methods.size(), 3u);
  EXPECT_EQ(b.methods[0].label, "sam");  // 0.925
  EXPECT_EQ(b.methods[1].label, "nrs");  // 0.91
  EXPECT_EQ(b.methods[2].label, "sgd");  // 0.905
  // Two seeds each: SAM 0.925 against SGD 0.905 is t = 2.83 on 2 df (two-sided p 0.106 before Holm), so
  // the data separate no pair and all three share rank 1, marked tied.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(b.methods[i].rank, 1u) << b.methods[i].to_json().dump();
    EXPECT_TRUE(b.methods[i].tied);
  }
  EXPECT_NEAR(*b.methods[0].cost_ratio_vs_sgd, 2.0, 1e-12);
  EXPECT_NEAR(b.methods[2].test_acc->std, std::sqrt(0.00005), 1e-12);
  ASSERT_EQ(b.claims.size(), 1u);
  // lambda_max is 15 and 30 in every seed: no spread, nothing to test against.
  EXPECT_EQ(b.claims[0].verdict, "inconclusive");
  EXPECT_NE(b.claims[0].why.find("not testable"), std::string::npos);
  // Ten seeds at a clear gap separate the methods: ranks 1, 2, 3, none tied.
  TempDir u;
  for (int s = 0; s < 10; ++s) {
    const double e = 0.001 * (s % 2);
    write_json(u / ("a" + std::to_string(s) + ".json"), fake_result("f", "m", "sgd", s, 0.80 + e, 1, 1));
    write_json(u / ("b" + std::to_string(s) + ".json"), fake_result("f", "m", "sam", s, 0.90 + e, 1, 1));
    write_json(u / ("c" + std::to_string(s) + ".json"), fake_result("f", "m", "nrs", s, 0.85 + e, 1, 1));
  }
  auto lu =
      nrs::matrix::make_leaderboard(nrs::matrix::aggregate(nrs::matrix::load_results(u.str())), nullptr, "T", u.str());
  const auto& ms = lu.boards[0].methods;
  EXPECT_EQ(ms[0].label, "sam");
  EXPECT_EQ(ms[0].rank, 1u);
  EXPECT_EQ(ms[1].rank, 2u);
  EXPECT_EQ(ms[2].rank, 3u);
  EXPECT_FALSE(ms[0].tied);
  // Ranked by a sweep's selection metric instead.
  EXPECT_THROW(nrs::matrix::make_leaderboard(nrs::matrix::aggregate(nrs::matrix::load_results(u.str())), nullptr, "T",
                                             u.str(), "no_such_metric"),
               nrs::InputError);
  EXPECT_TRUE(lb.boards[1].claims.empty());
}

// A step-cost report beside the results (one process: SGD 100 ms, SAM 190,
// NRS 205) gives the small CNN's board a column of its own beside the runs'
// ratio (SAM 20 ms over SGD's 10: 2.0), and the cost chart its ratios; the
// mlp board, which no report covers, gets no such column.
TEST(Leaderboard, OneProcessStepCostHasAColumnOnlyOnBoardsItCovers) {
  TempDir t;
  write_results(t.str());
  nrs::test::record_threads(t.str());
  auto without = nrs::matrix::render_html(
      nrs::matrix::make_leaderboard(nrs::matrix::aggregate(nrs::matrix::load_results(t.str())), nullptr, "T", t.str()));
  EXPECT_EQ(without.find("one process</th>"), std::string::npos);
  EXPECT_NE(without.find("in-run (loaded machine)</th>"), std::string::npos);
  write_json(t.str() + "/step-cost.json",
             nrs::test::step_cost_report("small-cnn", 256, {{"sgd", 100}, {"sam", 190}, {"nrs", 205}}));
  auto lb =
      nrs::matrix::make_leaderboard(nrs::matrix::aggregate(nrs::matrix::load_results(t.str())), nullptr, "T", t.str());
  const auto& sam = lb.boards[0].methods[0];
  ASSERT_EQ(sam.label, "sam");
  EXPECT_NEAR(*sam.cost_ratio_vs_sgd, 2.0, 1e-12);
  ASSERT_TRUE(sam.step_cost);
  EXPECT_NEAR(sam.step_cost->ratio_to_sgd, 1.9, 1e-12);
  EXPECT_FALSE(lb.boards[1].methods[0].step_cost);
  const auto html = nrs::matrix::render_html(lb);
  size_t columns = 0;
  for (size_t p = html.find("one process</th>"); p != std::string::npos; p = html.find("one process</th>", p + 1))
    ++columns;
  EXPECT_EQ(columns, 1u);
  EXPECT_NE(html.find(">1.90</td>"), std::string::npos);
  EXPECT_NE(html.find(">2.05</td>"), std::string::npos);
  EXPECT_NE(html.find("step-cost in one process"), std::string::npos);  // the cost chart's axis
  // Every ranking row has as many cells as its table has headings, with and without the column.
  for (const std::string& page : {html, without}) {
    const auto count = [](const std::string& text, const std::string& tag) {
      size_t n = 0;
      for (size_t p = text.find(tag); p != std::string::npos; p = text.find(tag, p + 1)) ++n;
      return n;
    };
    size_t tables = 0;
    for (size_t at = page.find("<table class=\"board\">"); at != std::string::npos;
         at = page.find("<table class=\"board\">", at + 1), ++tables) {
      const size_t head_end = page.find("</thead>", at), body_end = page.find("</tbody>", at);
      ASSERT_NE(body_end, std::string::npos);
      const std::string head = page.substr(at, head_end - at), body = page.substr(head_end, body_end - head_end);
      const size_t rows = count(body, "<tr ");
      ASSERT_GT(rows, 0u);
      EXPECT_EQ(count(body, "<td"), rows * (count(head, "<th>") + count(head, "<th "))) << head << "\n" << body;
    }
    EXPECT_EQ(tables, 2u);
  }
}

TEST(Leaderboard, EscapesHtml) {
  EXPECT_EQ(nrs::matrix::html_escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
}

TEST(Leaderboard, TemplatePlaceholdersMustMatch) {
  EXPECT_EQ(nrs::matrix::fill_template("<h1>{{t}}</h1>{{t}}{{b}}", {{"t", "x"}, {"b", "y"}}), "<h1>x</h1>xy");
  EXPECT_THROW(nrs::matrix::fill_template("{{t}}{{u}}", {{"t", "x"}}), std::logic_error);
  EXPECT_THROW(nrs::matrix::fill_template("{{t}}", {{"t", "x"}, {"v", "y"}}), std::logic_error);
}

namespace {

// Headless Chromium on `html`: the DOM after scripts ran, and its log.
std::string chromium() {
  for (const char* c : {"chromium", "chromium-browser", "google-chrome"})
    if (nrs::test::run_cmd(std::string("command -v ") + c).code == 0) return c;
  return "";
}

nrs::test::CmdOut dump_dom(const std::string& browser, const std::string& html) {
  return nrs::test::run_cmd("timeout 120 " + browser +
                            " --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --enable-logging=stderr"
                            " --v=0 --virtual-time-budget=2000 --dump-dom file://" +
                            html);
}

// Chromium logs each console message (console.error, uncaught exceptions,
// failed loads) as a ":CONSOLE" line with --enable-logging=stderr.
bool logged_console(const std::string& out) { return out.find(":CONSOLE") != std::string::npos; }

// id -> data-series of every <svg class="chart"> in a DOM dump.
std::map<std::string, int> chart_series(const std::string& dom) {
  std::map<std::string, int> out;
  const std::regex re(R"re(<svg[^>]*class="chart" id="([^"]+)"[^>]*data-series="([0-9]+)")re");
  for (std::sregex_iterator it(dom.begin(), dom.end(), re), end; it != end; ++it)
    out[(*it)[1].str()] = std::stoi((*it)[2].str());
  return out;
}

}  // namespace

// CTest label: browser for Leaderboard.PageIsSelfContainedAndRendersInChromium
TEST(Leaderboard, PageIsSelfContainedAndRendersInChromium) {
  TempDir t;
  write_results(t / "r", true);
  auto o = nrs::test::nrsbench("leaderboard --results " + t / "r" + " --baselines " + std::string(NRSBENCH_SOURCE_DIR) +
                               "/baselines/nrs-paper-claims.json --title 'Test <board>'");
  ASSERT_EQ(o.code, 0) << o.text;
  const auto html = slurp(t / "r/leaderboard.html");
  auto lb = nrs::test::read_json(t / "r/leaderboard.json");
  EXPECT_EQ(lb["boards"].size(), 2u);
  // Nothing fetched from elsewhere: no src/href attributes, no @import or url().
  EXPECT_FALSE(std::regex_search(html, std::regex(R"((src|href)\s*=|@import|url\()", std::regex::icase))) << html;
  EXPECT_NE(html.find("Test &lt;board&gt;"), std::string::npos);
  EXPECT_EQ(html.find("{{"), std::string::npos);  // every placeholder filled

  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "no chromium on PATH (scripts/setup installs Debian's chromium)";
  auto dom = dump_dom(browser, t / "r/leaderboard.html");
  ASSERT_EQ(dom.code, 0) << dom.text;
  // The page script ran to its end and counted the method rows and charts.
  EXPECT_NE(dom.text.find("data-ready=\"4\""), std::string::npos) << dom.text.substr(0, 4000);
  EXPECT_NE(dom.text.find("data-charts=\"9\""), std::string::npos) << dom.text.substr(0, 4000);
  for (const char* label : {"data-label=\"sam\"", "data-label=\"nrs\"", "data-label=\"sgd\""})
    EXPECT_NE(dom.text.find(label), std::string::npos) << label;
  EXPECT_NE(dom.text.find("nrs-abstract/hessian"), std::string::npos);
  // Each chart with the series the results carry (see write_results):
  // small-cnn has all five kinds, slices of two kinds; mlp has no Hessian
  // density or slices, so those charts are left out.
  const std::map<std::string, int> want = {{"board0-acc", 3},     {"board0-lambda", 3}, {"board0-cost", 3},
                                           {"board0-density", 2}, {"board0-slice0", 3}, {"board0-slice1", 1},
                                           {"board1-acc", 1},     {"board1-lambda", 1}, {"board1-cost", 1}};
  EXPECT_EQ(chart_series(dom.text), want);
  // The Hessian-sampling bars appear (sam carries them) and are explained.
  EXPECT_NE(dom.text.find("class=\"err2\""), std::string::npos);
  EXPECT_NE(dom.text.find("sample subsets"), std::string::npos);
  // No console output at all: no errors, no warnings.
  EXPECT_FALSE(logged_console(dom.text)) << dom.text.substr(0, 4000);

  // The console check can fail: a page that logs an error is caught.
  nrs::test::write_bytes(t / "bad.html",
                         "<!DOCTYPE html><html><body><script>console.error('x');</script></body></html>");
  EXPECT_TRUE(logged_console(dump_dom(browser, t / "bad.html").text));
}

// The SVG chart writer against pixel coordinates computed by hand from the
// axis ranges and the plot area, and the page's method styles and Pareto front.
#include "suite/matrix/leaderboard_charts.h"
#include "suite/matrix/svg_chart.h"

#include <gtest/gtest.h>

#include <cmath>
#include <regex>

using nrs::svg::Chart;
using nrs::svg::Series;

namespace {

// 500 x 300: the plot spans x 62..338 (62 left margin; 12 right margin and
// a 150 px legend column) and y 30..254 (30 top, 46 bottom margin).
Chart chart(double xmin, double xmax, double ymin, double ymax) {
  Chart c;
  c.id = "t";
  c.title = "T";
  c.width = 500;
  c.height = 300;
  c.x.min = xmin, c.x.max = xmax;
  c.y.min = ymin, c.y.max = ymax;
  return c;
}

Series points(const std::string& label, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.label = label;
  s.style = {"#0072B2", 0, 0};
  s.x = std::move(x);
  s.y = std::move(y);
  s.line = false;
  return s;
}

}  // namespace

TEST(SvgChart, LayoutOfA500By300Chart) {
  const auto l = nrs::svg::layout(chart(0, 1, 0, 1));
  EXPECT_DOUBLE_EQ(l.left, 62);
  EXPECT_DOUBLE_EQ(l.right, 338);
  EXPECT_DOUBLE_EQ(l.top, 30);
  EXPECT_DOUBLE_EQ(l.bottom, 254);
}

TEST(SvgChart, PointLandsWhereComputedByHand) {
  auto c = chart(0, 10, 0, 1);
  // x = 2.5 is a quarter of [0, 10]: 62 + 0.25 * 276 = 131.
  // y = 0.25 is a quarter up from the bottom: 254 - 0.25 * 224 = 198.
  c.series.push_back(points("a", {2.5}, {0.25}));
  const auto svg = nrs::svg::render(c);
  EXPECT_NE(svg.find("transform=\"translate(131.00,198.00)\""), std::string::npos) << svg;
  EXPECT_DOUBLE_EQ(nrs::svg::px(c, 2.5), 131);
  EXPECT_DOUBLE_EQ(nrs::svg::py(c, 0.25), 198);
}

TEST(SvgChart, LineBandAndErrorBarsAtHandComputedCoordinates) {
  auto c = chart(0, 10, 0, 1);
  Series s = points("a", {0, 5, 10}, {0.5, 0.5, 0.5});
  s.line = true;
  s.lo = {0.4, 0.4, 0.4};
  s.hi = {0.6, 0.6, 0.6};
  s.err = {{0.4, 0.6}, {0.4, 0.6}, {0.4, 0.6}};
  c.series.push_back(s);
  const auto svg = nrs::svg::render(c);
  // y 0.5 -> 254 - 112 = 142; 0.6 -> 254 - 134.4 = 119.6; 0.4 -> 254 - 89.6 = 164.4; x 5 -> 62 + 138 = 200.
  EXPECT_NE(svg.find("points=\"62.00,142.00 200.00,142.00 338.00,142.00\""), std::string::npos) << svg;
  EXPECT_NE(svg.find("points=\"62.00,119.60 200.00,119.60 338.00,119.60 338.00,164.40 200.00,164.40 62.00,164.40\""),
            std::string::npos)
      << svg;
  // Error bar at x = 200 from y 164.4 to 119.6, caps 5 px either side.
  EXPECT_NE(svg.find("d=\"M200.00,164.40V119.60M195.00,164.40H205.00M195.00,119.60H205.00\""), std::string::npos)
      << svg;
}

TEST(SvgChart, LogAxisMapsDecadesLinearly) {
  auto c = chart(0, 10, 1e-3, 10);
  c.y.log = true;
  // 0.1 is two of the four decades up: 254 - 0.5 * 224 = 142.
  EXPECT_NEAR(nrs::svg::py(c, 0.1), 142, 1e-9);
  // 1e-2 is one decade up: 254 - 56 = 198.
  EXPECT_NEAR(nrs::svg::py(c, 1e-2), 198, 1e-9);
  // Values at or below zero, or under the range, sit on the axis.
  EXPECT_DOUBLE_EQ(nrs::svg::py(c, 0), 254);
  EXPECT_DOUBLE_EQ(nrs::svg::py(c, 1e-6), 254);
  const auto t = nrs::svg::ticks({1e-3, 10}, true);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_NEAR(t[0], 1e-3, 1e-15);
  EXPECT_NEAR(t[4], 10, 1e-12);
}

TEST(SvgChart, AutomaticRangeWidensDataRangeByFourPercent) {
  Chart c = chart(0, 0, 0, 0);  // no fixed ranges
  c.x.integer = true;
  c.series.push_back(points("a", {1, 2}, {0.12, 0.87}));
  // y: 0.12..0.87 widened by 4% of 0.75 on each side: 0.09..0.90. x: an
  // integer axis, rounded out to whole steps and not widened: 1..2.
  const auto yr = nrs::svg::y_range(c), xr = nrs::svg::x_range(c);
  EXPECT_NEAR(yr.lo, 0.09, 1e-12);
  EXPECT_NEAR(yr.hi, 0.90, 1e-12);
  EXPECT_NEAR(xr.lo, 1, 1e-12);
  EXPECT_NEAR(xr.hi, 2, 1e-12);
  // (1, 0.12) -> x 62, y 254 - 224 * 0.03 / 0.81 = 245.70;
  // (2, 0.87) -> x 338, y 254 - 224 * 0.78 / 0.81 = 38.30.
  const auto svg = nrs::svg::render(c);
  EXPECT_NE(svg.find("translate(62.00,245.70)"), std::string::npos) << svg;
  EXPECT_NE(svg.find("translate(338.00,38.30)"), std::string::npos) << svg;
  // Ticks: the 1-2-5 step just above 0.81 / 5 is 0.2; its multiples inside.
  const auto t = nrs::svg::ticks(yr, false);
  const std::vector<double> want = {0.2, 0.4, 0.6, 0.8};
  ASSERT_EQ(t.size(), want.size());
  for (size_t i = 0; i < t.size(); ++i) EXPECT_NEAR(t[i], want[i], 1e-12);
  EXPECT_NE(svg.find(">0.6</text>"), std::string::npos);  // one decimal for a 0.2 step
  EXPECT_EQ(nrs::svg::ticks(xr, false, true), (std::vector<double>{1, 2}));
}

TEST(SvgChart, CategoricalAxisCentresEachCategory) {
  auto c = chart(0, 0, 0, 1);
  c.x.categories = {"sgd", "sam", "nrs"};
  c.series.push_back(points("sam", {1}, {0.5}));
  // Range [-0.5, 2.5]: category 1 at the middle, 62 + 138 = 200; category 0 at 62 + 46 = 108.
  EXPECT_DOUBLE_EQ(nrs::svg::px(c, 1), 200);
  EXPECT_DOUBLE_EQ(nrs::svg::px(c, 0), 108);
  const auto svg = nrs::svg::render(c);
  EXPECT_NE(svg.find(">sam</text>"), std::string::npos);
}

TEST(SvgChart, NamesItselfCountsSeriesAndEscapesText) {
  auto c = chart(0, 1, 0, 1);
  c.title = "acc <by> \"epoch\"";
  c.x.label = "epoch";
  c.y.label = "test accuracy (fraction)";
  c.series.push_back(points("<a>", {0.5}, {0.5}));
  c.series.push_back(points("b&c", {0.2}, {0.2}));
  c.notes.push_back({"band: 95% CI", "#000", 0, 1});
  const auto svg = nrs::svg::render(c);
  EXPECT_NE(svg.find("data-series=\"2\""), std::string::npos);
  EXPECT_NE(svg.find("aria-label=\"acc &lt;by&gt; &quot;epoch&quot;\""), std::string::npos);
  EXPECT_NE(svg.find("<title>acc &lt;by&gt; &quot;epoch&quot;</title>"), std::string::npos);
  EXPECT_NE(svg.find(">&lt;a&gt;</text>"), std::string::npos);
  EXPECT_NE(svg.find(">b&amp;c</text>"), std::string::npos);
  EXPECT_NE(svg.find(">test accuracy (fraction)</text>"), std::string::npos);
  EXPECT_EQ(svg.find("<a>"), std::string::npos);
  EXPECT_FALSE(std::regex_search(svg, std::regex(R"((src|href)\s*=|url\()")));
}

TEST(LeaderboardCharts, ParetoFrontKeepsUndominatedPointsByCost) {
  // (1, .90) and (2, .92) are undominated; (1.5, .89) and (3, .91) are beaten
  // by a cheaper, more accurate point; (1, .88) ties on cost and loses.
  const auto f = nrs::matrix::pareto_front({1, 2, 1.5, 3, 1}, {0.90, 0.92, 0.89, 0.91, 0.88});
  EXPECT_EQ(f, (std::vector<size_t>{0, 1}));
}

TEST(LeaderboardCharts, PaletteFixesShippedMethodsAndOrdersOthersAlphabetically) {
  const nrs::matrix::Palette a({"zeta", "sam", "alpha"}), b({"sgd", "nrs-gradient"});
  // Fixed slots: sgd 0, sam 1, nrs-gradient 2, ... 7 fixed labels in all.
  EXPECT_EQ(a.style("sam").color, "#D55E00");
  EXPECT_EQ(a.style("sam").color, b.style("sam").color);
  EXPECT_EQ(b.style("sgd").color, "#0072B2");
  EXPECT_EQ(a.style("alpha").marker, 7);
  EXPECT_EQ(a.style("zeta").marker, 8);
  EXPECT_NE(a.style("sgd").marker % 8, a.style("sam").marker % 8);
}

// Along the top eigenvector a unit step leaves the basin by many decades
// (0.4 at the minimum, 10^9 at the ends on ResNet-18-mini in
// results/fmnist-cpu-flatness). On a linear axis up to 4e9 the minimum and its
// neighbour at 11 would be under 1e-8 of the plot apart; on the log axis
// (0.1 to 1e10 after rounding out) they are log10(11/0.4)/11 = 13% apart.
TEST(LeaderboardCharts, LossSlicesUseALogAxisSoTheMinimumStaysReadable) {
  nrs::matrix::SliceCurve slice;
  slice.kind = "top-eigenvector";
  slice.curve.x = {-1.0, -0.1, 0.0, 0.1, 1.0};
  slice.curve.y = {1e9, 11.0, 0.4, 16.0, 4e9};
  nrs::matrix::MethodEntry sgd;
  sgd.label = "sgd";
  sgd.slices = {slice};
  nrs::matrix::Board board;
  board.methods = {sgd};
  const auto charts = nrs::matrix::board_charts(board, nrs::matrix::Palette({"sgd"}), "b");
  const nrs::matrix::BoardChart* found = nullptr;
  for (const auto& c : charts)
    if (c.chart.title == "Loss along the top Hessian eigenvector") found = &c;
  ASSERT_NE(found, nullptr);
  const auto& c = found->chart;
  EXPECT_TRUE(c.y.log);
  const auto l = nrs::svg::layout(c);
  const double share = (nrs::svg::py(c, 0.4) - nrs::svg::py(c, 11.0)) / (l.bottom - l.top);
  EXPECT_NEAR(share, std::log10(11.0 / 0.4) / 11.0, 1e-9);
}

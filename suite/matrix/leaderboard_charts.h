// The charts of one leaderboard board (inline SVG): test accuracy per epoch
// with 95% bands, lambda_max per method with error bars, accuracy against
// cost per step, and, when the results carry them, Hessian spectral
// densities and 1-D loss slices. One style (colour, marker, dash) per method
// on the whole page.
#pragma once
#include "suite/matrix/leaderboard_model.h"
#include "suite/matrix/svg_chart.h"

#include <map>
#include <string>
#include <vector>

namespace nrs::matrix {

// Method styles for one page: the methods of the shipped protocols (sgd,
// sam, nrs-gradient, nrs-random, sgd-2x, asam, nrs) have fixed slots, so they
// look the same on every page; other labels take the following slots in
// alphabetical order.
class Palette {
 public:
  explicit Palette(const std::vector<std::string>& labels);
  svg::Style style(const std::string& label) const;
  static svg::Style slot_style(int slot);

 private:
  std::map<std::string, int> slot_;
};

// Indices of the points no other point beats on both (lower or equal cost
// and higher accuracy, or lower cost and equal accuracy), by increasing cost.
std::vector<size_t> pareto_front(const std::vector<double>& cost, const std::vector<double>& acc);

// Every method label of a leaderboard, for its Palette.
std::vector<std::string> method_labels(const Leaderboard& leaderboard);

struct BoardChart {
  svg::Chart chart;
  std::string caption;  // plain text: what the marks mean
};

// Charts of one board; a chart without data is left out. `id_prefix` makes
// the chart ids unique on the page.
std::vector<BoardChart> board_charts(const Board& board, const Palette& palette, const std::string& id_prefix);

}  // namespace nrs::matrix

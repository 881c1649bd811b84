#include "suite/matrix/leaderboard.h"
#include "suite/core/build_info.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/matrix/aggregate.h"
#include "suite/matrix/svg_chart.h"
#include "suite/stats/distributions.h"
#include "suite/stats/holm.h"
#include "suite/stats/welch.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

namespace nrs::matrix {
std::string html_escape(const std::string& s) { return svg::escape(s); }

std::vector<BoardRank> rank_methods(const std::vector<const CellAggregate*>& cells, const std::string& metric,
                                    double alpha) {
  const bool lower = lower_is_better(metric);
  auto stats_of = [&](const CellAggregate* c) { return c->metrics.find(metric); };
  // Every ordered pair (j better than i) tested once per unordered pair:
  // Welch's two-sided p, Holm over the board's pairs.
  struct Pair {
    size_t a, b;  // a's mean is the better one
    double p;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < cells.size(); ++i)
    for (size_t j = i + 1; j < cells.size(); ++j) {
      const Stats* x = stats_of(cells[i]);
      const Stats* y = stats_of(cells[j]);
      if (!x || !y || x->n < 2 || y->n < 2 || (x->std == 0 && y->std == 0)) {
        pairs.push_back({i, j, 1.0});  // untestable: never separates
        continue;
      }
      const auto d = stats::welch({x->mean, x->std, x->n}, {y->mean, y->std, y->n});
      const double p = 2 * (1 - stats::t_cdf(std::abs(d.t), d.df));
      const bool i_better = lower ? x->mean < y->mean : x->mean > y->mean;
      pairs.push_back({i_better ? i : j, i_better ? j : i, std::min(1.0, p)});
    }
  std::vector<double> ps;
  for (const auto& pr : pairs) ps.push_back(pr.p);
  const auto adj = stats::holm_adjust(ps);
  std::vector<BoardRank> out(cells.size());
  for (size_t i = 0; i < cells.size(); ++i) out[i].rank = 1;
  for (size_t k = 0; k < pairs.size(); ++k)
    if (adj[k] < alpha) ++out[pairs[k].b].rank;  // one more method beats b beyond the noise
  for (size_t i = 0; i < cells.size(); ++i)
    for (size_t j = 0; j < cells.size(); ++j)
      if (i != j && out[i].rank == out[j].rank) out[i].tied = true;
  return out;
}

namespace {

double metric_mean(const CellAggregate* c, const std::string& metric) {
  const Stats* s = c->metrics.find(metric);
  return s && !s->empty() ? s->mean : std::nan("");
}

}  // namespace

Leaderboard make_leaderboard(const Aggregate& agg, const CheckReport* report, const std::string& title,
                             const std::string& results_dir, const std::string& rank_by) {
  if (!agg.cells.empty() && !agg.cells.front().metrics.find(rank_by))
    throw InputError("--rank-by '" + rank_by + "': not a metric (test_acc, val_acc, lambda_max, ...)");
  Leaderboard lb;
  std::map<std::string, size_t> board_index;  // board key -> index in lb.boards
  std::map<std::string, std::vector<const CellAggregate*>> cells_of;
  std::map<std::string, std::string> board_of_cell;  // cell id -> board key
  for (const auto& c : agg.cells) {
    const std::string key = board_key(c);
    if (!board_index.count(key)) {
      board_index[key] = lb.boards.size();
      Board b;
      b.board = key;
      b.dataset = c.dataset;
      b.model = c.model;
      b.group = c.group;
      b.protocol = c.protocol;
      lb.boards.push_back(std::move(b));
    }
    cells_of[key].push_back(&c);
    board_of_cell[c.cell_id] = key;
  }
  const bool lower = lower_is_better(rank_by);
  for (auto& board : lb.boards) {
    auto& cs = cells_of[board.board];
    std::stable_sort(cs.begin(), cs.end(), [&](const CellAggregate* a, const CellAggregate* b) {
      const double x = metric_mean(a, rank_by), y = metric_mean(b, rank_by);
      if (!std::isfinite(x)) return false;
      if (!std::isfinite(y)) return true;
      return lower ? x < y : x > y;
    });
    const auto ranks = rank_methods(cs, rank_by, 0.05);
    for (size_t i = 0; i < cs.size(); ++i) {
      auto m = MethodEntry::of(*cs[i]);
      m.rank = ranks[i].rank;
      m.tied = ranks[i].tied;
      board.methods.push_back(std::move(m));
    }
  }
  if (report) {
    for (const auto& r : report->rows) {
      if (r.verdict == "missing") {
        ++lb.references_without_a_matching_cell;
        continue;
      }
      const auto b = board_of_cell.find(r.cell_id);
      if (b != board_of_cell.end()) lb.boards[board_index[b->second]].reported.push_back({r});
    }
    // A claim goes on every board holding a cell of its NRS cell's name.
    for (const auto& c : report->claims) {
      if (c.verdict == "missing") continue;
      std::set<std::string> keys;
      for (const auto& cell : agg.cells)
        if (cell.name == c.cell) keys.insert(board_of_cell[cell.cell_id]);
      for (const auto& k : keys) lb.boards[board_index[k]].claims.push_back(c);
    }
    lb.check_summary = report->summary;
  }
  lb.title = title;
  lb.generated = iso8601_now();
  lb.suite_version = suite_version();
  lb.git_commit = git_commit();
  lb.results_dir = results_dir;
  lb.rank_by = rank_by;
  lb.rank_rule = "methods sorted by mean " + rank_by +
                 "; rank = 1 + the number of methods better beyond the noise "
                 "(Welch two-sided, Holm over the board's pairs, alpha 0.05): methods the data do not separate share "
                 "a rank (tied)";
  lb.notes = {"Accuracy: final-epoch test accuracy, mean +- sample std over seeds (95% CI in the JSON).",
              "lambda: top Hessian eigenvalue of the final model (Lanczos; the mean over the run's disjoint sample "
              "subsets where it has several).",
              "cost: the step-cost report's median of paired per-round ratios to SGD (one process, variants "
              "interleaved) where one is beside the results; else ms per step / SGD's from the runs themselves, wall "
              "clock on a machine they shared (loaded-machine figures).",
              "to target: epochs and training seconds until the test accuracy first reached the SGD cell's mean final "
              "test accuracy; median over all seeds, a seed that never reached it counting as later than all others "
              "(\"not reached\" when the median seed did not); reached/runs. Under a schedule that decays to zero "
              "this mostly restates the final accuracy.",
              "Reported numbers come from the cited sources; measured numbers from the runs in results_dir. They are "
              "never mixed."};
  return lb;
}

}  // namespace nrs::matrix

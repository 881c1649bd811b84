// The leaderboard: per dataset/model board, methods ranked by mean test
// accuracy with their seed spread, Hessian figures, throughput and cost, and
// reference numbers kept apart from measured ones (reported vs measured,
// with the checker's verdict), and per board the curves its charts draw.
// Built as typed records (leaderboard_model.h: Leaderboard::to_json is the
// published leaderboard.json) and rendered as one self-contained HTML page
// from the templates in suite/matrix/page/ (leaderboard_page.cpp: inline CSS,
// SVG charts and script; nothing fetched).
#pragma once
#include "suite/matrix/aggregate.h"
#include "suite/matrix/check.h"
#include "suite/matrix/leaderboard_model.h"

#include <map>
#include <string>

namespace nrs::matrix {

// `check_report` may be null (no baselines given). Boards rank their methods by `rank_by` (test_acc; a sweep's board by
// its selection metric, val_acc).
Leaderboard make_leaderboard(const Aggregate& aggregate, const CheckReport* check_report, const std::string& title,
                             const std::string& results_dir, const std::string& rank_by = "test_acc");

// Ranks of `cells` (sorted best first by `metric`): 1 + the number of cells
// better beyond the noise (Welch two-sided, Holm over all pairs, `alpha`);
// equal ranks are ties.
struct BoardRank {
  size_t rank = 1;
  bool tied = false;
};
std::vector<BoardRank> rank_methods(const std::vector<const CellAggregate*>& cells, const std::string& metric,
                                    double alpha);

std::string render_html(const Leaderboard& leaderboard);

// `text` with each {{name}} replaced by values.at(name). A {{name}} without a
// value, or a value whose {{name}} the text lacks, throws std::logic_error:
// template and code must name the same placeholders.
std::string fill_template(const std::string& text, const std::map<std::string, std::string>& values);

// The page template suite/matrix/page/NAME.html, as embedded at build time;
// std::logic_error for a name with no such file.
const std::string& page_template(const std::string& name);

std::string html_escape(const std::string& s);

}  // namespace nrs::matrix

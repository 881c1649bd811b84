// The leaderboard page: the templates of suite/matrix/page/, embedded at
// build time, filled from the typed leaderboard. This file computes the
// values (numbers formatted, strings escaped, which fragment applies); the
// markup is in the templates. Every string from results or baselines is
// escaped.
#include "nrsbench/page_templates.h"
#include "suite/matrix/leaderboard.h"
#include "suite/matrix/leaderboard_charts.h"

#include <cmath>
#include <sstream>
#include <stdexcept>

namespace nrs::matrix {
using nlohmann::json;

namespace {

const char* const kNone = "&ndash;";  // a value the data do not have

using Values = std::map<std::string, std::string>;

std::string fill(const std::string& name, const Values& values) { return fill_template(page_template(name), values); }

std::string fixed(std::optional<double> v, int prec) {
  if (!v || !std::isfinite(*v)) return kNone;
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << *v;
  return s.str();
}

std::string sig(std::optional<double> v, int digits) {
  if (!v || !std::isfinite(*v)) return kNone;
  std::ostringstream s;
  s.precision(digits);
  s << *v;
  return s.str();
}

std::string cell(const std::string& value) { return fill("cell", {{"value", value}}); }

// A JSON value as written by the baseline (a number, or a string such as "<0.1").
std::string as_written(const json& v) { return html_escape(v.is_string() ? v.get<std::string>() : v.dump()); }

std::string meta(const Leaderboard& lb) {
  return fill("meta", {{"generated", html_escape(lb.generated)},
                       {"suite_version", html_escape(lb.suite_version)},
                       {"commit", html_escape(lb.git_commit.substr(0, 12))},
                       {"results_dir", html_escape(lb.results_dir)}});
}

std::string notes(const Leaderboard& lb) {
  std::string h;
  for (const auto& n : lb.notes) h += fill("note", {{"note", html_escape(n)}});
  return h;
}

std::string check_summary(const Leaderboard& lb) {
  if (!lb.check_summary) return "";
  const auto& s = *lb.check_summary;
  auto n = [](size_t v) { return std::to_string(v); };
  const std::string claims = fill("check_summary_claims", {{"supported", n(s.supported)},
                                                           {"contradicted", n(s.contradicted)},
                                                           {"inconclusive", n(s.inconclusive)},
                                                           {"refused", n(s.refused)}});
  return fill("check_summary",
              {{"pass", n(s.pass)}, {"fail", n(s.fail)}, {"missing", n(s.missing)}, {"claims", claims}});
}

// The cost a step-cost report beside the runs gives (one process, variants
// interleaved), with its source on hover.
std::string one_process_cost(const MethodEntry& m) {
  if (!m.step_cost) return cell(kNone);
  const auto& sc = *m.step_cost;
  const std::string source = sc.file + ", commit " + sc.git_commit.substr(0, 7) + ", " + std::to_string(sc.threads) +
                             " thread(s), " + fixed(sc.ms_per_step, 1) + " ms/step";
  const bool paired = std::isfinite(sc.ratio_low) && std::isfinite(sc.ratio_high);
  const std::string range =
      paired ? fill("cost_range", {{"low", fixed(sc.ratio_low, 2)}, {"high", fixed(sc.ratio_high, 2)}}) : "";
  return fill("cost_one_process",
              {{"source", html_escape(source)}, {"ratio", fixed(sc.ratio_to_sgd, 2)}, {"range", range}});
}

// Median epochs (reached/runs) and median seconds to the target; a median
// that falls on a seed that never reached it reads "not reached".
std::string target_cells(const std::optional<TimeToTarget>& t) {
  if (!t) return cell(kNone) + cell(kNone);
  auto med = [](const std::optional<double>& v, int prec) { return v ? fixed(v, prec) : std::string("not reached"); };
  return fill("target_cells", {{"epochs", med(t->median_epochs, 1)},
                               {"reached", std::to_string(t->reached)},
                               {"runs", std::to_string(t->runs)},
                               {"seconds", med(t->median_train_seconds, 0)}});
}

std::string method_row(const MethodEntry& m, bool step_cost_column) {
  std::string runs = std::to_string(m.ok);
  if (m.diverged > 0) runs += " (+" + std::to_string(m.diverged) + " diverged)";
  if (m.failed > 0) runs += " (+" + std::to_string(m.failed) + " failed)";
  auto mean = [](const std::optional<Estimate>& e) { return e ? std::optional<double>(e->mean) : std::nullopt; };
  return fill(
      "method_row",
      {{"rank1", m.rank == 1 && !m.tied ? " rank1" : ""},
       {"label", html_escape(m.label)},
       {"rank_title",
        m.tied ? fill("title_attribute", {{"text", "tied: not separated from another method beyond the noise"}}) : ""},
       {"tie", m.tied ? "=" : ""},
       {"rank", std::to_string(m.rank)},
       {"variant", html_escape(m.variant)},
       {"runs", runs},
       {"test_acc", fixed(mean(m.test_acc), 4)},
       {"test_acc_sd", m.test_acc ? fixed(m.test_acc->std, 4) : kNone},
       {"val_acc", fixed(mean(m.val_acc), 4)},
       {"lambda_max", m.lambda_max ? sig(m.lambda_max->over_seeds.mean, 4) : kNone},
       {"lambda_ratio", sig(m.lambda_max_over_lambda_5, 3)},
       {"trace", sig(m.trace, 4)},
       {"images_per_s", fixed(m.train_images_per_s, 0)},
       {"ms_per_step", fixed(m.ms_per_step, 1)},
       {"cost", step_cost_column ? one_process_cost(m) : cell(fixed(m.cost_ratio_vs_sgd, 2))},
       {"target", target_cells(m.time_to_target)}});
}

// A "cost ×SGD, one process" column on boards that have a step-cost report
// for some method; the runs' own ratio otherwise.
std::string ranking_table(const Board& b) {
  bool step_cost_column = false;
  for (const auto& m : b.methods) step_cost_column = step_cost_column || m.step_cost.has_value();
  std::string rows;
  for (const auto& m : b.methods) rows += method_row(m, step_cost_column);
  return fill("ranking_table",
              {{"cost_heading", page_template(step_cost_column ? "cost_heading_one_process" : "cost_heading_in_run")},
               {"rows", rows}});
}

std::string reported_table(const Board& b) {
  if (b.reported.empty()) return "";
  std::string rows;
  for (const auto& e : b.reported) {
    const auto& r = e.row;
    rows += fill(
        "reported_row",
        {{"id", html_escape(r.id)},
         {"metric", html_escape(r.metric)},
         {"reported", sig(r.reference, 4)},
         {"reported_ci95",
          r.reference_ci95.is_null() ? "" : fill("plus_minus", {{"value", as_written(r.reference_ci95)}})},
         {"measured", r.measured ? sig(r.measured->mean, 4) : kNone},
         {"verdict", html_escape(r.verdict)},
         {"rule", html_escape(r.rule)},
         {"selection_title", r.best_of.empty() ? "" : fill("title_attribute", {{"text", html_escape(r.selection)}})},
         {"paper_ci", r.paper_ci_inside ? (*r.paper_ci_inside ? "inside" : "outside") : kNone},
         {"citation", r.citation.is_null() ? "" : html_escape(r.citation.dump())}});
  }
  return fill("reported_table", {{"rows", rows}});
}

std::string claims_table(const Board& b) {
  if (b.claims.empty()) return "";
  std::string rows;
  for (const auto& c : b.claims) {
    const bool support = c.p_support <= c.p_contradict;
    const std::string test =
        c.tested ? fill("claim_tested", {{"difference", sig(c.difference, 3)},
                                         {"ci_low", sig(c.ci_low, 3)},
                                         {"ci_high", sig(c.ci_high, 3)},
                                         {"holm_p", sig(support ? c.p_support_holm : c.p_contradict_holm, 2)},
                                         {"detects", sig(c.mde, 3)}})
                 : fill("claim_untested", {{"why", html_escape(c.why)}});
    rows += fill("claim_row", {{"id", html_escape(c.id)},
                               {"claim", html_escape(c.claim)},
                               {"kind", html_escape(c.kind)},
                               {"cell", c.cell.empty() ? kNone : html_escape(c.cell)},
                               {"comparator", c.comparator.empty() ? kNone : html_escape(c.comparator)},
                               {"test", test},
                               {"verdict", html_escape(c.verdict)}});
  }
  return fill("claims_table", {{"rows", rows}});
}

std::string charts(const std::vector<BoardChart>& charts) {
  if (charts.empty()) return "";
  std::string figures;
  for (const auto& c : charts)
    figures += fill("chart_figure", {{"svg", svg::render(c.chart)}, {"caption", html_escape(c.caption)}});
  return fill("charts", {{"figures", figures}});
}

// Per board: heading, ranking, charts, reported vs measured, claims.
std::string boards(const Leaderboard& lb) {
  const Palette palette(method_labels(lb));
  std::string h;
  for (size_t i = 0; i < lb.boards.size(); ++i) {
    const auto& b = lb.boards[i];
    h += fill("board", {{"board", html_escape(b.board)},
                        {"ranking", ranking_table(b)},
                        {"charts", charts(board_charts(b, palette, "board" + std::to_string(i)))},
                        {"reported", reported_table(b)},
                        {"claims", claims_table(b)}});
  }
  return h;
}

}  // namespace

const std::string& page_template(const std::string& name) {
  static const std::map<std::string, std::string> templates = [] {
    std::map<std::string, std::string> m;
    for (const auto& [k, v] : kPageTemplates) m.emplace(k, v);
    return m;
  }();
  const auto it = templates.find(name);
  if (it == templates.end()) throw std::logic_error("page template: no file suite/matrix/page/" + name + ".html");
  return it->second;
}

std::string fill_template(const std::string& text, const std::map<std::string, std::string>& values) {
  std::string out;
  std::map<std::string, bool> used;
  size_t pos = 0;
  while (true) {
    const size_t a = text.find("{{", pos);
    const size_t b = a == std::string::npos ? a : text.find("}}", a + 2);
    if (b == std::string::npos) break;
    const std::string name = text.substr(a + 2, b - a - 2);
    out.append(text, pos, a - pos);
    const auto it = values.find(name);
    if (it == values.end()) throw std::logic_error("page template: no value for placeholder {{" + name + "}}");
    out += it->second;
    used[name] = true;
    pos = b + 2;
  }
  out.append(text, pos, std::string::npos);
  for (const auto& [k, v] : values)
    if (!used.count(k)) throw std::logic_error("page template: no placeholder {{" + k + "}}");
  return out;
}

std::string render_html(const Leaderboard& lb) {
  return fill("page", {{"title", html_escape(lb.title)},
                       {"meta", meta(lb)},
                       {"notes", notes(lb)},
                       {"check_summary", check_summary(lb)},
                       {"boards", boards(lb)}});
}

}  // namespace nrs::matrix

// The leaderboard page: the template suite/matrix/leaderboard_page.html,
// embedded at build time, with its placeholders filled by the functions
// below. Every string that comes from results or baselines is escaped.
#include "nrsbench/leaderboard_page.h"
#include "suite/matrix/leaderboard.h"
#include "suite/matrix/leaderboard_charts.h"

#include <sstream>
#include <stdexcept>

namespace nrs::matrix {
using nlohmann::json;

namespace {

std::string num(const json& v, int prec) {
  if (!v.is_number()) return "&ndash;";
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(prec);
  s << v.get<double>();
  return s.str();
}

std::string sig(const json& v, int digits) {
  if (!v.is_number()) return "&ndash;";
  std::ostringstream s;
  s.precision(digits);
  s << v.get<double>();
  return s.str();
}

std::string str(const json& v) { return html_escape(v.is_string() ? v.get<std::string>() : v.dump()); }

// "<td>median epochs (reached/runs)</td><td>median seconds</td>" of a
// time_to_target block; a median that falls on a seed that never reached the
// target reads "not reached".
std::string target_cells(const json& t) {
  if (!t.is_object()) return "<td>&ndash;</td><td>&ndash;</td>";
  const std::string count =
      " <small>(" + std::to_string(t["reached"].get<int>()) + "/" + std::to_string(t["runs"].get<int>()) + ")</small>";
  auto med = [](const json& v, int digits) { return v.is_number() ? num(v, digits) : std::string("not reached"); };
  return "<td>" + med(t["median_epochs"], 1) + count + "</td><td>" + med(t["median_train_seconds"], 0) + "</td>";
}

std::string meta(const json& lb) {
  return "<p><small>generated " + html_escape(lb.value("generated", "")) + " by nrsbench " +
         html_escape(lb.value("suite_version", "")) + " (commit <code>" +
         html_escape(lb.value("git_commit", "").substr(0, 12)) + "</code>) from <code>" +
         html_escape(lb.value("results_dir", "")) + "</code></small></p>";
}

std::string notes(const json& lb) {
  std::string h;
  for (const auto& n : lb["notes"]) h += "<li><small>" + str(n) + "</small></li>\n";
  return h;
}

std::string check_summary(const json& lb) {
  if (!lb["check_summary"].is_object()) return "";
  const auto& s = lb["check_summary"];
  std::string claims;
  if (s.contains("claims") && s["claims"].is_object()) {
    const auto& c = s["claims"];
    claims = "; claims: <span class=\"supported\">" + str(c["supported"]) +
             " supported</span>, <span class=\"contradicted\">" + str(c["contradicted"]) +
             " contradicted</span>, <span class=\"inconclusive\">" + str(c["inconclusive"]) +
             " inconclusive</span>, <span class=\"refused\">" + str(c["refused"]) + " refused</span>";
  }
  return "<p id=\"check-summary\">reference check: <span class=\"pass\">" + str(s["pass"]) +
         " pass</span>, <span class=\"fail\">" + str(s["fail"]) + " fail</span>, <span class=\"missing\">" +
         str(s["missing"]) + " without a matching cell</span>" + claims + "</p>";
}

// The cost a step-cost report beside the runs gives (one process, variants
// interleaved), with its source on hover; a column only on boards that have one.
std::string step_cost_cell(const json& m) {
  if (!m.contains("step_cost") || !m["step_cost"].is_object()) return "<td>&ndash;</td>";
  const json& sc = m["step_cost"];
  auto text = [&](const char* k) { return sc.contains(k) && sc[k].is_string() ? sc[k].get<std::string>() : ""; };
  const std::string source = text("file") + ", commit " + text("git_commit").substr(0, 7) + ", " +
                             (sc.contains("threads") ? sc["threads"].dump() : "?") + " thread(s), " +
                             num(sc.contains("ms_per_step") ? sc["ms_per_step"] : json(), 1) + " ms/step";
  const json range = sc.contains("ratio_to_sgd_range") ? sc["ratio_to_sgd_range"] : json();
  const std::string spread =
      range.is_array() ? " <small>[" + num(range[0], 2) + "&ndash;" + num(range[1], 2) + "]</small>" : "";
  return "<td title=\"" + html_escape(source) + "\">" +
         num(sc.contains("ratio_to_sgd") ? sc["ratio_to_sgd"] : json(), 2) + spread + "</td>";
}

bool has_step_cost(const json& b) {
  for (const auto& m : b["methods"])
    if (m.contains("step_cost") && m["step_cost"].is_object()) return true;
  return false;
}

std::string ranking_table(const json& b) {
  std::ostringstream h;
  const bool step_cost = has_step_cost(b);
  h << "<table class=\"board\"><thead><tr><th>#</th><th class=\"l\">method</th><th class=\"l\">variant</th>"
    << "<th>runs</th><th>test acc</th><th>&plusmn; sd</th><th>val acc</th><th>&lambda;<sub>max</sub></th>"
    << "<th>&lambda;<sub>max</sub>/&lambda;<sub>5</sub></th><th>trace</th><th>img/s</th><th>ms/step</th>"
    << (step_cost ? "<th title=\"nrsbench step-cost: one process, variants interleaved; median of paired per-round "
                    "ratios\">cost &times;SGD, one process</th>"
                  : "<th title=\"the runs' own ms per step over SGD's: wall clock on a machine they shared\">cost "
                    "&times;SGD, in-run (loaded machine)</th>")
    << "<th>epochs to target</th><th>s to target</th></tr></thead><tbody>\n";
  for (const auto& m : b["methods"]) {
    const auto& acc = m["test_acc"];
    std::string runs = std::to_string(m["ok"].get<int>());
    if (m["diverged"].get<int>() > 0) runs += " (+" + std::to_string(m["diverged"].get<int>()) + " diverged)";
    if (m["failed"].get<int>() > 0) runs += " (+" + std::to_string(m["failed"].get<int>()) + " failed)";
    const bool tied = m.value("tied", false);
    h << "<tr class=\"method" << (m["rank"] == 1 && !tied ? " rank1" : "") << "\" data-label=\"" << str(m["label"])
      << "\"><td" << (tied ? " title=\"tied: not separated from another method beyond the noise\"" : "") << ">"
      << (tied ? "=" : "") << m["rank"] << "</td><td class=\"l\">" << str(m["label"]) << "</td><td class=\"l\"><small>"
      << str(m["variant"]) << "</small></td><td>" << runs << "</td><td>"
      << (acc.is_object() ? num(acc["mean"], 4) : "&ndash;") << "</td><td>"
      << (acc.is_object() ? num(acc["std"], 4) : "&ndash;") << "</td><td>" << num(m["val_acc"], 4) << "</td><td>"
      << (m["lambda_max"].is_object() ? sig(m["lambda_max"]["mean"], 4) : "&ndash;") << "</td><td>"
      << sig(m["lambda_max_over_lambda_5"], 3) << "</td><td>" << sig(m["trace"], 4) << "</td><td>"
      << num(m["train_images_per_s"], 0) << "</td><td>" << num(m["ms_per_step"], 1) << "</td>"
      << (step_cost ? step_cost_cell(m) : "<td>" + num(m["cost_ratio_vs_sgd"], 2) + "</td>")
      << target_cells(m["time_to_target"]) << "</tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string reported_table(const json& b) {
  if (b["reported"].empty()) return "";
  std::ostringstream h;
  h << "<h3>Reported vs measured</h3>\n<table class=\"reported\"><thead><tr><th class=\"l\">reference</th>"
    << "<th class=\"l\">metric</th><th>reported</th><th>measured</th><th class=\"l\">verdict</th>"
    << "<th class=\"l\">in paper 95% CI</th><th class=\"l\">source</th></tr></thead><tbody>\n";
  for (const auto& r : b["reported"]) {
    h << "<tr class=\"ref\"><td class=\"l\">" << str(r["id"]) << "</td><td class=\"l\">" << str(r["metric"])
      << "</td><td>" << sig(r["reported"], 4)
      << (r["reported_ci95"].is_null() ? "" : " &plusmn; " + str(r["reported_ci95"])) << "</td><td>"
      << sig(r["measured"]["mean"], 4) << "</td><td class=\"l " << str(r["verdict"]) << "\" title=\"" << str(r["rule"])
      << "\">" << str(r["verdict"]) << "</td><td class=\"l\""
      << (r["selection"].is_string() ? " title=\"" + str(r["selection"]) + "\"" : "") << ">"
      << (r["verdict_paper_ci"].is_string() ? str(r["verdict_paper_ci"]) : "&ndash;") << "</td><td class=\"l\"><small>"
      << (r["citation"].is_null() ? "" : html_escape(r["citation"].dump())) << "</small></td></tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string claims_table(const json& b) {
  if (b["claims"].empty()) return "";
  std::ostringstream h;
  h << "<h3>Claims</h3>\n<table class=\"claims\"><thead><tr><th class=\"l\">claim</th><th class=\"l\">kind</th>"
    << "<th class=\"l\">treatment</th><th class=\"l\">comparator</th><th>difference</th><th>95% CI</th>"
    << "<th>Holm p</th><th title=\"true effect found with 80% power\">detects</th><th class=\"l\">verdict</th>"
    << "</tr></thead><tbody>\n";
  for (const auto& c : b["claims"]) {
    h << "<tr class=\"claim\"><td class=\"l\">" << str(c["id"]) << "<br><small>" << str(c["claim"])
      << "</small></td><td class=\"l\">" << str(c["kind"]) << "</td><td class=\"l\">" << str(c["cell"])
      << "</td><td class=\"l\">" << str(c["comparator"]) << "</td>";
    if (c.value("in_family", false)) {
      const bool support = c["p_support"].get<double>() <= c["p_contradict"].get<double>();
      h << "<td>" << sig(c["difference"], 3) << "</td><td>[" << sig(c["ci95"][0], 3) << ", " << sig(c["ci95"][1], 3)
        << "]</td><td>" << sig(support ? c["p_support_holm"] : c["p_contradict_holm"], 2) << "</td><td>"
        << sig(c["mde_80"], 3) << "</td>";
    } else {
      h << "<td colspan=\"4\" class=\"l\"><small>" << str(c.value("why", json(""))) << "</small></td>";
    }
    h << "<td class=\"l " << str(c["verdict"]) << "\">" << str(c["verdict"]) << "</td></tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

// Per board: heading, ranking, charts, reported vs measured, claims.
std::string boards(const json& lb) {
  const Palette palette(method_labels(lb));
  std::string h;
  size_t i = 0;
  for (const auto& b : lb["boards"]) {
    h += "<h2>" + str(b["board"]) + "</h2>\n" + ranking_table(b) +
         charts_html(board_charts(b, palette, "board" + std::to_string(i++))) + reported_table(b) + claims_table(b);
  }
  return h;
}

}  // namespace

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

std::string render_html(const json& lb) {
  return fill_template(kLeaderboardPageTemplate, {{"title", html_escape(lb.value("title", "nrsbench leaderboard"))},
                                                  {"meta", meta(lb)},
                                                  {"notes", notes(lb)},
                                                  {"check_summary", check_summary(lb)},
                                                  {"boards", boards(lb)}});
}

}  // namespace nrs::matrix

#include "suite/matrix/leaderboard.h"
#include "suite/build_info.h"
#include "suite/matrix/aggregate.h"
#include "suite/results.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>

namespace nrs::matrix {
using nlohmann::json;

namespace {

json mean_or_null(const json& metrics, const char* k) {
  return metrics.contains(k) && metrics[k].is_object() ? metrics[k]["mean"] : json(nullptr);
}

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

}  // namespace

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      case '\'':
        o += "&#39;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

json make_leaderboard(const json& agg, const json& report, const std::string& title, const std::string& results_dir) {
  std::map<std::string, json> boards;
  std::vector<std::string> order;
  for (const auto& c : agg["cells"]) {
    const std::string key = board_key(c);
    if (!boards.count(key)) {
      order.push_back(key);
      boards[key] = {{"board", key},
                     {"dataset", c["dataset"]},
                     {"model", c["model"]},
                     {"group", c["group"]},
                     {"protocol", c["protocol"]},
                     {"methods", json::array()},
                     {"reported", json::array()},
                     {"claims", json::array()}};
    }
    const auto& m = c["metrics"];
    json acc =
        m["test_acc"].is_object()
            ? json{{"mean", m["test_acc"]["mean"]}, {"std", m["test_acc"]["std"]}, {"ci95", m["test_acc"]["ci95"]}}
            : json(nullptr);
    boards[key]["methods"].push_back(
        {{"label", c["label"]},
         {"variant", c["variant"]},
         {"optimizer", c["optimizer"]},
         {"cell_id", c["cell_id"]},
         {"runs", c["runs"]},
         {"ok", c["ok"]},
         {"diverged", c["diverged"]},
         {"failed", c["failed"]},
         {"test_acc", acc},
         {"val_acc", mean_or_null(m, "val_acc")},
         {"lambda_max", m["lambda_max"].is_object()
                            ? json{{"mean", m["lambda_max"]["mean"]}, {"std", m["lambda_max"]["std"]}}
                            : json(nullptr)},
         {"lambda_max_over_lambda_5", mean_or_null(m, "lambda_max_over_lambda_5")},
         {"trace", mean_or_null(m, "trace")},
         {"train_images_per_s", mean_or_null(m, "train_images_per_s")},
         {"ms_per_step", mean_or_null(m, "ms_per_step")},
         {"cost_ratio_vs_sgd", c["cost_ratio_vs_sgd"]},
         {"time_to_target", c.value("time_to_target", json(nullptr))},
         {"epochs", c["config"]["epochs"]},
         {"devices", c["devices"]},
         {"git_commits", c["git_commits"]}});
  }
  auto board_of_cell = [&](const json& cell_id) -> json* {
    for (auto& [k, b] : boards)
      for (const auto& m : b["methods"])
        if (m["cell_id"] == cell_id) return &b;
    return nullptr;
  };
  json unmatched = {{"missing", 0}};
  if (!report.is_null()) {
    for (const auto& r : report["rows"]) {
      if (r["verdict"] == "missing") {
        unmatched["missing"] = unmatched["missing"].get<int>() + 1;
        continue;
      }
      if (json* b = board_of_cell(r["cell_id"]))
        (*b)["reported"].push_back({{"id", r["id"]},
                                    {"kind", r["kind"]},
                                    {"cell", r["cell"]},
                                    {"metric", r["metric"]},
                                    {"reported", r["reference"]},
                                    {"reported_ci95", r["reference_ci95"]},
                                    {"measured", r["measured"]},
                                    {"verdict", r["verdict"]},
                                    {"rule", r["rule"]},
                                    {"verdict_paper_ci", r.value("verdict_paper_ci", json(nullptr))},
                                    {"selection", r.value("selection", json(nullptr))},
                                    {"citation", r["citation"]}});
    }
    for (const auto& c : report["claims"]) {
      if (c["verdict"] == "missing") continue;
      for (auto& [k, b] : boards) {
        bool here = false;
        for (const auto& cell : agg["cells"])
          if (cell["name"] == c["cell"])
            for (const auto& m : b["methods"]) here = here || m["cell_id"] == cell["cell_id"];
        if (here) b["claims"].push_back(c);
      }
    }
  }
  json out = json::array();
  for (const auto& k : order) {
    auto b = boards[k];
    auto& ms = b["methods"];
    std::vector<json> v(ms.begin(), ms.end());
    std::stable_sort(v.begin(), v.end(), [](const json& a, const json& c) {
      const double x = a["test_acc"].is_object() ? a["test_acc"]["mean"].get<double>() : -1.0;
      const double y = c["test_acc"].is_object() ? c["test_acc"]["mean"].get<double>() : -1.0;
      return x > y;
    });
    for (size_t i = 0; i < v.size(); ++i) v[i]["rank"] = i + 1;
    b["methods"] = v;
    out.push_back(b);
  }
  return {{"kind", "nrsbench-leaderboard"},
          {"title", title},
          {"generated", iso8601_now()},
          {"suite_version", suite_version()},
          {"git_commit", git_commit()},
          {"results_dir", results_dir},
          {"boards", out},
          {"check_summary", report.is_null() ? json(nullptr) : report["summary"]},
          {"references_without_a_matching_cell", unmatched["missing"]},
          {"notes",
           {"Accuracy: final-epoch test accuracy, mean +- sample std over seeds (95% CI in the JSON).",
            "lambda: top Hessian eigenvalue of the final model (Lanczos), cost: ms per step / SGD ms per step of the "
            "same setting.",
            "to target: epochs and training seconds until the test accuracy first reached the SGD cell's mean final "
            "test accuracy (mean over the seeds that reached it; reached/runs).",
            "Reported numbers come from the cited sources; measured numbers from the runs in results_dir. They are "
            "never mixed."}}};
}

// "<td>epochs (reached/runs)</td><td>seconds</td>" of a time_to_target block.
std::string target_cells(const json& t) {
  if (!t.is_object()) return "<td>&ndash;</td><td>&ndash;</td>";
  const std::string count =
      " <small>(" + std::to_string(t["reached"].get<int>()) + "/" + std::to_string(t["runs"].get<int>()) + ")</small>";
  if (!t["epochs"].is_object()) return "<td>never" + count + "</td><td>&ndash;</td>";
  return "<td>" + num(t["epochs"]["mean"], 1) + count + "</td><td>" + num(t["train_seconds"]["mean"], 0) + "</td>";
}

std::string render_html(const json& lb) {
  std::ostringstream h;
  const std::string title = html_escape(lb.value("title", "nrsbench leaderboard"));
  h << "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" << title << "</title>\n"
    << "<style>\nbody{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n"
    << "table{border-collapse:collapse;margin:.5em 0 1.5em;width:100%}th,td{padding:4px 8px;border-bottom:1px solid "
       "#ddd;text-align:right}\n"
    << "th{cursor:pointer;background:#f4f4f4;user-select:none}td.l,th.l{text-align:left}tr.rank1 td{font-weight:600}\n"
    << ".pass{color:#17702d}.fail{color:#b00020;font-weight:600}.missing{color:#777}small{color:#666}\n"
    << "h2{margin-top:2em;border-bottom:2px solid #333}code{background:#f4f4f4;padding:0 "
       "3px}\n</style></head>\n<body>\n";
  h << "<h1>" << title << "</h1>\n<p><small>generated " << html_escape(lb.value("generated", "")) << " by nrsbench "
    << html_escape(lb.value("suite_version", "")) << " (commit <code>"
    << html_escape(lb.value("git_commit", "").substr(0, 12)) << "</code>) from <code>"
    << html_escape(lb.value("results_dir", "")) << "</code></small></p>\n<ul>\n";
  for (const auto& n : lb["notes"]) h << "<li><small>" << html_escape(n.get<std::string>()) << "</small></li>\n";
  h << "</ul>\n";
  if (lb["check_summary"].is_object()) {
    const auto& s = lb["check_summary"];
    h << "<p id=\"check-summary\">reference check: <span class=\"pass\">" << s["pass"]
      << " pass</span>, <span class=\"fail\">" << s["fail"] << " fail</span>, <span class=\"missing\">" << s["missing"]
      << " without a matching cell</span></p>\n";
  }
  for (const auto& b : lb["boards"]) {
    h << "<h2>" << html_escape(b["board"].get<std::string>()) << "</h2>\n<table class=\"board\"><thead><tr>"
      << "<th>#</th><th class=\"l\">method</th><th class=\"l\">variant</th><th>runs</th><th>test acc</th><th>&plusmn; "
         "sd</th>"
      << "<th>val "
         "acc</th><th>&lambda;<sub>max</sub></th><th>&lambda;<sub>max</sub>/&lambda;<sub>5</sub></th><th>trace</th>"
      << "<th>img/s</th><th>ms/step</th><th>cost &times;SGD</th><th>epochs to target</th><th>s to "
         "target</th></tr></thead><tbody>\n";
    for (const auto& m : b["methods"]) {
      const auto& acc = m["test_acc"];
      std::string runs = std::to_string(m["ok"].get<int>());
      if (m["diverged"].get<int>() > 0) runs += " (+" + std::to_string(m["diverged"].get<int>()) + " diverged)";
      if (m["failed"].get<int>() > 0) runs += " (+" + std::to_string(m["failed"].get<int>()) + " failed)";
      h << "<tr class=\"method" << (m["rank"] == 1 ? " rank1" : "") << "\" data-label=\""
        << html_escape(m["label"].get<std::string>()) << "\"><td>" << m["rank"] << "</td><td class=\"l\">"
        << html_escape(m["label"].get<std::string>()) << "</td><td class=\"l\"><small>"
        << html_escape(m["variant"].get<std::string>()) << "</small></td><td>" << runs << "</td><td>"
        << (acc.is_object() ? num(acc["mean"], 4) : "&ndash;") << "</td><td>"
        << (acc.is_object() ? num(acc["std"], 4) : "&ndash;") << "</td><td>" << num(m["val_acc"], 4) << "</td><td>"
        << (m["lambda_max"].is_object() ? sig(m["lambda_max"]["mean"], 4) : "&ndash;") << "</td><td>"
        << sig(m["lambda_max_over_lambda_5"], 3) << "</td><td>" << sig(m["trace"], 4) << "</td><td>"
        << num(m["train_images_per_s"], 0) << "</td><td>" << num(m["ms_per_step"], 1) << "</td><td>"
        << num(m["cost_ratio_vs_sgd"], 2) << "</td>" << target_cells(m["time_to_target"]) << "</tr>\n";
    }
    h << "</tbody></table>\n";
    if (!b["reported"].empty()) {
      h << "<h3>Reported vs measured</h3>\n<table class=\"reported\"><thead><tr><th class=\"l\">reference</th>"
        << "<th class=\"l\">metric</th><th>reported</th><th>measured</th><th class=\"l\">verdict</th>"
        << "<th class=\"l\">in paper 95% CI</th><th class=\"l\">source</th>"
        << "</tr></thead><tbody>\n";
      for (const auto& r : b["reported"]) {
        std::string src = r["citation"].is_null() ? "" : r["citation"].dump();
        h << "<tr class=\"ref\"><td class=\"l\">" << html_escape(r["id"].get<std::string>()) << "</td><td class=\"l\">"
          << html_escape(r["metric"].get<std::string>()) << "</td><td>" << sig(r["reported"], 4)
          << (r["reported_ci95"].is_null()
                  ? ""
                  : " &plusmn; " + html_escape(r["reported_ci95"].is_string() ? r["reported_ci95"].get<std::string>()
                                                                              : r["reported_ci95"].dump()))
          << "</td><td>" << sig(r["measured"]["mean"], 4) << "</td><td class=\"l " << r["verdict"].get<std::string>()
          << "\" title=\"" << html_escape(r["rule"].get<std::string>()) << "\">" << r["verdict"].get<std::string>()
          << "</td><td class=\"l\""
          << (r["selection"].is_string() ? " title=\"" + html_escape(r["selection"].get<std::string>()) + "\"" : "")
          << ">" << (r["verdict_paper_ci"].is_string() ? r["verdict_paper_ci"].get<std::string>() : "&ndash;")
          << "</td><td class=\"l\"><small>" << html_escape(src) << "</small></td></tr>\n";
      }
      h << "</tbody></table>\n";
    }
    if (!b["claims"].empty()) {
      h << "<h3>Claims</h3>\n<table class=\"claims\"><thead><tr><th class=\"l\">claim</th><th class=\"l\">cell</th>"
        << "<th>NRS</th><th>SGD</th><th>tol</th><th class=\"l\">difference</th><th "
           "class=\"l\">verdict</th></tr></thead><tbody>\n";
      for (const auto& c : b["claims"]) {
        h << "<tr class=\"claim\"><td class=\"l\">" << html_escape(c["check"].get<std::string>()) << "<br><small>"
          << html_escape(c["claim"].get<std::string>()) << "</small></td><td class=\"l\">"
          << html_escape(c["cell"].get<std::string>()) << "</td><td>" << sig(c["nrs"]["mean"], 4) << "</td><td>"
          << sig(c["sgd"]["mean"], 4) << "</td><td>" << sig(c["tol"], 3) << "</td><td class=\"l\">"
          << (c["significant"].is_null()     ? "1 run"
              : c["significant"].get<bool>() ? "beyond seed noise"
                                             : "within seed noise")
          << "</td><td class=\"l " << c["verdict"].get<std::string>() << "\">" << c["verdict"].get<std::string>()
          << "</td></tr>\n";
      }
      h << "</tbody></table>\n";
    }
  }
  // Click a header to sort its board; data-ready marks a script that ran
  // to the end (the headless-browser test looks for it).
  h << "<script>\n(function(){\n"
       "document.querySelectorAll('table.board').forEach(function(t){\n"
       " t.querySelectorAll('th').forEach(function(th,i){th.addEventListener('click',function(){\n"
       "  var rows=Array.prototype.slice.call(t.tBodies[0].rows);var "
       "asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';\n"
       "  rows.sort(function(a,b){var x=a.cells[i].textContent,y=b.cells[i].textContent;var "
       "p=parseFloat(x),q=parseFloat(y);\n"
       "   var c=(isNaN(p)||isNaN(q))?x.localeCompare(y):p-q;return asc?c:-c;});\n"
       "  rows.forEach(function(r){t.tBodies[0].appendChild(r);});});});});\n"
       "document.body.setAttribute('data-ready',String(document.querySelectorAll('tr.method').length));\n"
       "})();\n</script>\n</body></html>\n";
  return h.str();
}

}  // namespace nrs::matrix

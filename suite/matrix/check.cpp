#include "suite/matrix/check.h"
#include "suite/errors.h"
#include "suite/results.h"

#include <cmath>
#include <map>
#include <regex>
#include <sstream>

namespace nrs::matrix {
using nlohmann::json;

namespace {

// "0.1" -> 0.1; "<0.1" -> 0.1 (an upper bound used as the value: wider band).
double parse_ci(const json& v) {
  if (v.is_number()) return v.get<double>();
  if (!v.is_string()) return std::nan("");
  std::string s = v.get<std::string>();
  while (!s.empty() && (s[0] == '<' || s[0] == '~' || s[0] == ' ')) s.erase(0, 1);
  try {
    return std::stod(s);
  } catch (...) {
    return std::nan("");
  }
}

std::string lower(std::string s) {
  for (auto& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

// What a paper/pinned entry asks of a cell. An entry's "match" object wins;
// paper transcriptions give dataset/model/optimizer/epochs/augmentation.
json match_of(const json& e) {
  if (e.contains("match")) return e["match"];
  json m = json::object();
  for (const char* k : {"dataset", "model", "optimizer", "epochs"})
    if (e.contains(k)) m[k] = e[k];
  if (e.contains("augmentation")) {
    const auto a = lower(e["augmentation"].get<std::string>());
    // The suite's --augment modes; AutoAugment is not implemented.
    m["augment"] = a == "basic" ? "basic" : a == "cutout" ? "cutout" : "unsupported:" + a;
  }
  return m;
}

// A match value is one allowed value or a list of them (e.g. the paper's
// WRN-28-10 is both "wrn-28-10-official" and "wrn-28-10").
bool cell_matches(const json& cell, const json& match) {
  if (match.is_null() || match.empty()) return false;
  for (const auto& [k, v] : match.items()) {
    if (v.is_null()) return false;  // e.g. a paper model the zoo does not have
    json have;
    if (k == "augment")
      have = cell["config"]["augment"]["mode"];
    else if (k == "epochs")
      have = cell["config"]["epochs"];
    else if (k == "cell")
      have = cell["name"];
    else if (cell.contains(k))
      have = cell[k];
    else if (cell["config"].contains(k))
      have = cell["config"][k];
    bool ok = have == v;
    if (v.is_array())
      for (const auto& one : v) ok = ok || have == one;
    if (!ok) return false;
  }
  return true;
}

// Lower is better for errors and losses, higher for accuracies.
bool lower_is_better(const std::string& metric) {
  return metric.find("error") != std::string::npos || metric.find("loss") != std::string::npos;
}

// Cells that differ only in their epochs (and label) are one setting at
// several budgets, e.g. a protocol group's "sgd" and "sgd-2x".
std::string setting_key(const json& cell) {
  json c = cell["config"];
  c.erase("epochs");
  return cell.value("protocol", "") + "|" + cell.value("group", "") + "|" + c.dump();
}

std::string fmt(double v, int prec = 4) {
  std::ostringstream s;
  s.precision(prec);
  s << v;
  return s.str();
}

}  // namespace

json measured_metric(const json& cell, const std::string& metric) {
  const auto& m = cell["metrics"];
  auto pick = [&](const char* k, double scale, double offset) -> json {
    if (!m.contains(k) || !m[k].is_object()) return nullptr;
    const auto& s = m[k];
    const double mean = offset + scale * s["mean"].get<double>();
    const double ci = s["ci95"].is_number() ? std::abs(scale) * s["ci95"].get<double>() : std::nan("");
    const double sd = std::abs(scale) * s["std"].get<double>();
    return {{"mean", mean}, {"ci95", std::isfinite(ci) ? json(ci) : json(nullptr)}, {"std", sd}, {"n", s["n"]}};
  };
  if (metric == "test_error_pct") return pick("test_acc", -100.0, 100.0);
  if (metric == "val_error_pct") return pick("val_acc", -100.0, 100.0);
  return pick(metric.c_str(), 1.0, 0.0);
}

namespace {

// `key`, when present, holds a value of type `t` (a number: any number).
void expect_type(const json& node, const char* key, json::value_t t, const std::string& where) {
  if (!node.contains(key)) return;
  const auto& v = node[key];
  const bool ok = t == json::value_t::number_float ? v.is_number() : v.type() == t;
  if (!ok) {
    const char* want = t == json::value_t::string ? "a string" : t == json::value_t::object ? "an object" : "a number";
    throw InputError(where + ": \"" + key + "\" must be " + want);
  }
}

// The types check() reads without asking: a value of another type would
// otherwise escape as a JSON library error (exit 1) instead of naming the
// file and the entry (exit 2).
void check_entry_types(const json& e, const std::string& list, const std::string& path) {
  if (!e["id"].is_string())
    throw InputError(path + ": an entry in \"" + list + "\" has an \"id\" that is not a string");
  const auto at = path + ": " + e["id"].get<std::string>();
  if (list == "claims") {
    for (const char* k : {"check", "claim"}) expect_type(e, k, json::value_t::string, at);
    return;
  }
  for (const char* k : {"metric", "augmentation"}) expect_type(e, k, json::value_t::string, at);
  expect_type(e, "match", json::value_t::object, at);
  expect_type(e, "tolerance", json::value_t::object, at);
  if (e.contains("tolerance")) {
    for (const char* k : {"abs", "k"}) expect_type(e["tolerance"], k, json::value_t::number_float, at + ": tolerance");
    expect_type(e["tolerance"], "derived", json::value_t::string, at + ": tolerance");
  }
}

}  // namespace

json load_baseline_file(const std::string& path) {
  json j;
  try {
    j = read_json_file(path);
  } catch (const std::exception& e) {
    throw std::invalid_argument(std::string("--baselines: ") + e.what());
  }
  if (!j.is_object() || (!j.contains("entries") && !j.contains("claims")))
    throw std::invalid_argument(path + ": not a baseline file (expected \"entries\" or \"claims\")");
  expect_type(j, "kind", json::value_t::string, path);
  for (const char* list : {"entries", "claims"}) {
    if (!j.contains(list)) continue;
    if (!j[list].is_array()) throw InputError(path + ": \"" + list + "\" must be a list");
    for (const auto& e : j[list]) {
      if (!e.is_object()) throw InputError(path + ": \"" + list + "\" must hold objects");
      if (!e.contains("id")) throw std::invalid_argument(path + ": an entry in \"" + list + "\" has no \"id\"");
      check_entry_types(e, list, path);
      const bool cited = e.contains("citation") || e.contains("provenance") || j.contains("provenance");
      if (!cited)
        throw std::invalid_argument(path + ": " + e["id"].get<std::string>() +
                                    " has no citation or provenance (every reference number needs its source)");
      if (std::string(list) == "entries" && (!e.contains("metric") || !e.contains("value") || !e["value"].is_number()))
        throw std::invalid_argument(path + ": " + e["id"].get<std::string>() +
                                    " needs \"metric\" and a numeric \"value\"");
    }
  }
  j["_file"] = path;
  return j;
}

json check(const json& agg, const std::vector<json>& baselines, const CheckOptions& opts) {
  json rows = json::array(), claims = json::array();
  size_t pass = 0, fail = 0, missing = 0, ci_inside = 0, ci_outside = 0;
  for (const auto& b : baselines) {
    const std::string file = b.value("_file", "");
    const std::string kind = b.value("kind", "paper");
    for (const auto& e : b.value("entries", json::array())) {
      auto match = match_of(e);
      const auto metric = e["metric"].get<std::string>();
      const double ref = e["value"].get<double>();
      // The paper's SGD rows are the better of the 1x and 2x budgets
      // (best_of_epochs): candidates at any listed budget, one row per setting
      // for the better one.
      const json budgets = e.value("best_of_epochs", json(nullptr));
      if (budgets.is_array()) match["epochs"] = budgets;
      std::map<std::string, std::vector<std::pair<const json*, json>>> settings;
      std::vector<std::string> order;
      for (const auto& cell : agg["cells"]) {
        if (!cell_matches(cell, match)) continue;
        auto meas = measured_metric(cell, metric);
        if (meas.is_null()) continue;
        const auto key = budgets.is_array() ? setting_key(cell) : cell["cell_id"].get<std::string>();
        if (!settings.count(key)) order.push_back(key);
        settings[key].emplace_back(&cell, std::move(meas));
      }
      for (const auto& key : order) {
        const auto& cands = settings[key];
        size_t best = 0;
        for (size_t i = 1; i < cands.size(); ++i) {
          const double a = cands[i].second["mean"].get<double>(), m = cands[best].second["mean"].get<double>();
          if (lower_is_better(metric) ? a < m : a > m) best = i;
        }
        const json& cell = *cands[best].first;
        const json& meas = cands[best].second;
        const double mean = meas["mean"].get<double>();
        const double delta = mean - ref;
        double band;
        std::string rule;
        if (e.contains("tolerance") && e["tolerance"].contains("abs")) {
          band = e["tolerance"]["abs"].get<double>();
          rule = "|delta| <= " + fmt(band) + " (absolute" +
                 (e["tolerance"].contains("derived") ? ": " + e["tolerance"]["derived"].get<std::string>() : "") + ")";
        } else {
          const double k = e.contains("tolerance") ? e["tolerance"].value("k", opts.k_sigma) : opts.k_sigma;
          const double se_ref = e.contains("ci95") ? parse_ci(e["ci95"]) / 1.96 : std::nan("");
          const double se_meas = meas["ci95"].is_number() ? meas["ci95"].get<double>() / 1.96 : std::nan("");
          const double a = std::isfinite(se_ref) ? se_ref : 0.0, m = std::isfinite(se_meas) ? se_meas : 0.0;
          band = k * std::sqrt(a * a + m * m);
          rule = "|delta| <= " + fmt(k) + " sigma = " + fmt(band) + " (se_ref " +
                 (std::isfinite(se_ref) ? fmt(se_ref) : "n/a") + ", se_measured " +
                 (std::isfinite(se_meas) ? fmt(se_meas) : "n/a: 1 run") + ")";
        }
        const bool ok = std::abs(delta) <= band;
        (ok ? pass : fail)++;
        json row = {{"id", e["id"]},
                    {"file", file},
                    {"kind", kind},
                    {"cell", cell["name"]},
                    {"cell_id", cell["cell_id"]},
                    {"metric", metric},
                    {"reference", ref},
                    {"reference_ci95", e.value("ci95", json(nullptr))},
                    {"measured", meas},
                    {"delta", delta},
                    {"band", band},
                    {"rule", rule},
                    {"verdict", ok ? "pass" : "fail"},
                    {"citation", e.value("citation", e.value("provenance", b.value("provenance", json(nullptr))))}};
        // The paper's own yardstick beside the k-sigma test: is our mean
        // inside its 95% CI, and do the two intervals overlap?
        const double ci_ref = e.contains("ci95") ? parse_ci(e["ci95"]) : std::nan("");
        if (std::isfinite(ci_ref)) {
          const bool inside = std::abs(delta) <= ci_ref;
          (inside ? ci_inside : ci_outside)++;
          row["verdict_paper_ci"] = inside ? "inside" : "outside";
          row["paper_ci"] = {{"low", ref - ci_ref},
                             {"high", ref + ci_ref},
                             {"measured_inside", inside},
                             {"intervals_overlap", meas["ci95"].is_number()
                                                       ? json(std::abs(delta) <= ci_ref + meas["ci95"].get<double>())
                                                       : json(nullptr)}};
        }
        if (budgets.is_array()) {
          json options = json::array();
          for (const auto& [c, m] : cands)
            options.push_back({{"cell", (*c)["name"]},
                               {"cell_id", (*c)["cell_id"]},
                               {"epochs", (*c)["config"]["epochs"]},
                               {"mean", m["mean"]},
                               {"n", m["n"]}});
          row["best_of"] = options;
          row["chosen_epochs"] = cell["config"]["epochs"];
          row["selection"] = "the paper reports SGD as the better of its " + budgets.dump() +
                             "-epoch budgets; ours: the better (by mean " + metric + ") of " +
                             std::to_string(cands.size()) + " measured: " + cell["name"].get<std::string>() + " (" +
                             cell["config"]["epochs"].dump() + " epochs)";
        }
        if (e.contains("caveat")) row["caveat"] = e["caveat"];
        rows.push_back(row);
      }
      if (order.empty()) {
        ++missing;
        rows.push_back(
            {{"id", e["id"]},
             {"file", file},
             {"kind", kind},
             {"cell", nullptr},
             {"metric", metric},
             {"reference", ref},
             {"reference_ci95", e.value("ci95", json(nullptr))},
             {"verdict", "missing"},
             {"why", e.value("model", json("")).is_null() ? "model not in the zoo"
                                                          : "no finished cell matches " + match.dump()},
             {"citation", e.value("citation", e.value("provenance", b.value("provenance", json(nullptr))))}});
      }
    }
    // Claims compare each NRS cell with its SGD cell (same setting).
    static const std::regex claim_re(R"(^\s*nrs\.(\w+)\s*(>=|<=|<|>)\s*sgd\.(\w+)\s*(-\s*tol)?\s*$)");
    for (const auto& c : b.value("claims", json::array())) {
      std::smatch mt;
      const std::string text = c.value("check", "");
      if (!std::regex_match(text, mt, claim_re) || mt[1] != mt[3])
        throw std::invalid_argument(file + ": claim " + c["id"].get<std::string>() + ": check \"" + text +
                                    "\" is not of the form nrs.<metric> <op> sgd.<metric> [- tol]");
      const std::string metric = mt[1], op = mt[2];
      const bool with_tol = mt[4].matched;
      bool any = false;
      for (const auto& cell : agg["cells"]) {
        if (cell["optimizer"] != "nrs" || cell["sgd_cell"].is_null()) continue;
        const json* sgd = nullptr;
        for (const auto& s : agg["cells"])
          if (s["cell_id"] == cell["sgd_cell"]) sgd = &s;
        const auto a = measured_metric(cell, metric), s = measured_metric(*sgd, metric);
        if (a.is_null() || s.is_null()) continue;
        any = true;
        // tol: the 95% half-width of the difference of the two means from
        // the seed spreads (0 with single runs: then the raw comparison).
        const double sa = a["n"].get<double>() > 1 ? a["std"].get<double>() / std::sqrt(a["n"].get<double>()) : 0.0;
        const double ss = s["n"].get<double>() > 1 ? s["std"].get<double>() / std::sqrt(s["n"].get<double>()) : 0.0;
        const double se_diff = std::sqrt(sa * sa + ss * ss);
        const double tol = with_tol ? 1.96 * se_diff : 0.0;
        const double x = a["mean"].get<double>(), y = s["mean"].get<double>() - tol;
        const bool holds = op == ">=" ? x >= y : op == "<=" ? x <= y : op == "<" ? x < y : x > y;
        (holds ? pass : fail)++;
        claims.push_back({{"id", c["id"]},
                          {"file", file},
                          {"claim", c.value("claim", "")},
                          {"check", text},
                          {"cell", cell["name"]},
                          {"sgd_cell", (*sgd)["name"]},
                          {"metric", metric},
                          {"nrs", a},
                          {"sgd", s},
                          {"tol", tol},
                          {"difference", a["mean"].get<double>() - s["mean"].get<double>()},
                          // Whether the two means differ beyond their seed noise (|d| > 1.96 se), so
                          // a pass or fail by a hair is not read as evidence.
                          {"difference_se", se_diff},
                          {"significant", se_diff > 0 ? json(std::abs(a["mean"].get<double>() -
                                                                      s["mean"].get<double>()) > 1.96 * se_diff)
                                                      : json(nullptr)},
                          {"verdict", holds ? "pass" : "fail"},
                          {"citation", c.value("citation", json(nullptr))}});
      }
      if (!any) {
        ++missing;
        claims.push_back({{"id", c["id"]},
                          {"file", file},
                          {"claim", c.value("claim", "")},
                          {"check", text},
                          {"verdict", "missing"},
                          {"why", "no NRS cell with a matching SGD cell and this metric"},
                          {"citation", c.value("citation", json(nullptr))}});
      }
    }
  }
  return {
      {"rows", rows},
      {"claims", claims},
      {"summary",
       {{"pass", pass},
        {"fail", fail},
        {"missing", missing},
        {"paper_ci", {{"inside", ci_inside}, {"outside", ci_outside}}}}},
      {"rules",
       {{"paper", "|measured mean - reference| <= k * sqrt(se_ref^2 + se_measured^2), se = ci95 / 1.96, k = " +
                      fmt(opts.k_sigma)},
        {"paper_ci",
         "reported beside the verdict, not deciding it: measured mean inside reference +- ci95 (the paper's "
         "95% CI), and whether that interval overlaps the measured mean's own 95% CI"},
        {"best_of_epochs",
         "entries listing budgets (the paper's SGD rows: best of 1x and 2x epochs) are compared with "
         "the better of our cells that differ only in epochs"},
        {"absolute", "|measured mean - reference| <= tolerance.abs"},
        {"claims",
         "nrs vs the SGD cell of the same setting; tol = 1.96 * sqrt(se_nrs^2 + se_sgd^2) from the seed spreads"}}}};
}

}  // namespace nrs::matrix

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

// The value a match key names on a cell: the cell's own names first
// ("cell" is its name), then its configuration ("augment" its mode); null
// when the cell has no such field.
json cell_field(const CellAggregate& c, const std::string& k) {
  if (k == "augment") {
    const json& a = c.config_field("augment");
    return a.is_object() && a.contains("mode") ? a["mode"] : json(nullptr);
  }
  if (k == "cell" || k == "name") return c.name;
  const std::pair<const char*, const std::string*> names[] = {
      {"cell_id", &c.cell_id}, {"label", &c.label}, {"group", &c.group},         {"protocol", &c.protocol},
      {"dataset", &c.dataset}, {"model", &c.model}, {"optimizer", &c.optimizer}, {"variant", &c.variant}};
  for (const auto& [name, v] : names)
    if (k == name) return *v;
  if (k == "runs") return c.runs;
  if (k == "ok") return c.ok;
  return c.config_field(k.c_str());
}

// A match value is one allowed value or a list of them (e.g. the paper's
// WRN-28-10 is both "wrn-28-10-official" and "wrn-28-10").
bool cell_matches(const CellAggregate& cell, const json& match) {
  if (!match.is_object() || match.empty()) return false;
  for (const auto& [k, v] : match.items()) {
    if (v.is_null()) return false;  // e.g. a paper model the zoo does not have
    const json have = cell_field(cell, k);
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
std::string setting_key(const CellAggregate& cell) {
  json c = cell.config;
  c.erase("epochs");
  return cell.protocol + "|" + cell.group + "|" + c.dump();
}

std::string fmt(double v, int prec = 4) {
  std::ostringstream s;
  s.precision(prec);
  s << v;
  return s.str();
}

}  // namespace

json Measured::to_json() const {
  return {{"mean", mean}, {"ci95", ci95 ? json(*ci95) : json(nullptr)}, {"std", std}, {"n", n}};
}

std::optional<Measured> measured_metric(const CellAggregate& cell, const std::string& metric) {
  auto pick = [&](const std::string& k, double scale, double offset) -> std::optional<Measured> {
    const Stats* s = cell.metrics.find(k);
    if (!s || s->empty()) return std::nullopt;
    Measured m;
    m.mean = offset + scale * s->mean;
    if (s->n > 1) m.ci95 = std::abs(scale) * s->ci95;
    m.std = std::abs(scale) * s->std;
    m.n = s->n;
    return m;
  };
  if (metric == "test_error_pct") return pick("test_acc", -100.0, 100.0);
  if (metric == "val_error_pct") return pick("val_acc", -100.0, 100.0);
  return pick(metric, 1.0, 0.0);
}

json CheckRow::to_json() const {
  if (verdict == "missing")
    return {{"id", id},
            {"file", file},
            {"kind", kind},
            {"cell", nullptr},
            {"metric", metric},
            {"reference", reference},
            {"reference_ci95", reference_ci95},
            {"verdict", verdict},
            {"why", why},
            {"citation", citation}};
  json row = {{"id", id},
              {"file", file},
              {"kind", kind},
              {"cell", cell},
              {"cell_id", cell_id},
              {"metric", metric},
              {"reference", reference},
              {"reference_ci95", reference_ci95},
              {"measured", measured ? measured->to_json() : json(nullptr)},
              {"delta", delta},
              {"band", band},
              {"rule", rule},
              {"verdict", verdict},
              {"citation", citation}};
  if (paper_ci_inside) {
    row["verdict_paper_ci"] = *paper_ci_inside ? "inside" : "outside";
    row["paper_ci"] = {{"low", paper_ci_low},
                       {"high", paper_ci_high},
                       {"measured_inside", *paper_ci_inside},
                       {"intervals_overlap", paper_ci_overlap ? json(*paper_ci_overlap) : json(nullptr)}};
  }
  if (!best_of.empty()) {
    json options = json::array();
    for (const auto& o : best_of)
      options.push_back({{"cell", o.cell}, {"cell_id", o.cell_id}, {"epochs", o.epochs}, {"mean", o.mean}, {"n", o.n}});
    row["best_of"] = options;
    row["chosen_epochs"] = chosen_epochs;
    row["selection"] = selection;
  }
  if (!caveat.is_null()) row["caveat"] = caveat;
  return row;
}

json ClaimRow::to_json() const {
  if (verdict == "missing")
    return {{"id", id},           {"file", file}, {"claim", claim},      {"check", check},
            {"verdict", verdict}, {"why", why},   {"citation", citation}};
  return {{"id", id},
          {"file", file},
          {"claim", claim},
          {"check", check},
          {"cell", cell},
          {"sgd_cell", sgd_cell},
          {"metric", metric},
          {"nrs", nrs ? nrs->to_json() : json(nullptr)},
          {"sgd", sgd ? sgd->to_json() : json(nullptr)},
          {"tol", tol},
          {"difference", difference},
          // Whether the two means differ beyond their seed noise (|d| > 1.96 se), so
          // a pass or fail by a hair is not read as evidence.
          {"difference_se", difference_se},
          {"significant", significant ? json(*significant) : json(nullptr)},
          {"verdict", verdict},
          {"citation", citation}};
}

json CheckReport::summary_json() const {
  return {{"pass", pass},
          {"fail", fail},
          {"missing", missing},
          {"paper_ci", {{"inside", paper_ci_inside}, {"outside", paper_ci_outside}}}};
}

json CheckReport::to_json() const {
  json r = json::array(), c = json::array();
  for (const auto& row : rows) r.push_back(row.to_json());
  for (const auto& row : claims) c.push_back(row.to_json());
  return {
      {"rows", r},
      {"claims", c},
      {"summary", summary_json()},
      {"rules",
       {{"paper",
         "|measured mean - reference| <= k * sqrt(se_ref^2 + se_measured^2), se = ci95 / 1.96, k = " + fmt(k_sigma)},
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

CheckReport check(const Aggregate& agg, const std::vector<json>& baselines, const CheckOptions& opts) {
  CheckReport rep;
  rep.k_sigma = opts.k_sigma;
  for (const auto& b : baselines) {
    const std::string file = b.value("_file", "");
    const std::string kind = b.value("kind", "paper");
    for (const auto& e : b.value("entries", json::array())) {
      auto match = match_of(e);
      const auto metric = e["metric"].get<std::string>();
      const double ref = e["value"].get<double>();
      const json citation = e.value("citation", e.value("provenance", b.value("provenance", json(nullptr))));
      // The paper's SGD rows are the better of the 1x and 2x budgets
      // (best_of_epochs): candidates at any listed budget, one row per setting
      // for the better one.
      const json budgets = e.value("best_of_epochs", json(nullptr));
      if (budgets.is_array()) match["epochs"] = budgets;
      std::map<std::string, std::vector<std::pair<const CellAggregate*, Measured>>> settings;
      std::vector<std::string> order;
      for (const auto& cell : agg.cells) {
        if (!cell_matches(cell, match)) continue;
        auto meas = measured_metric(cell, metric);
        if (!meas) continue;
        const auto key = budgets.is_array() ? setting_key(cell) : cell.cell_id;
        if (!settings.count(key)) order.push_back(key);
        settings[key].emplace_back(&cell, *meas);
      }
      for (const auto& key : order) {
        const auto& cands = settings[key];
        size_t best = 0;
        for (size_t i = 1; i < cands.size(); ++i) {
          const double a = cands[i].second.mean, m = cands[best].second.mean;
          if (lower_is_better(metric) ? a < m : a > m) best = i;
        }
        const CellAggregate& cell = *cands[best].first;
        const Measured& meas = cands[best].second;
        CheckRow row;
        row.id = e["id"].get<std::string>();
        row.file = file;
        row.kind = kind;
        row.cell = cell.name;
        row.cell_id = cell.cell_id;
        row.metric = metric;
        row.reference = ref;
        row.reference_ci95 = e.value("ci95", json(nullptr));
        row.measured = meas;
        row.citation = citation;
        row.delta = meas.mean - ref;
        if (e.contains("tolerance") && e["tolerance"].contains("abs")) {
          row.band = e["tolerance"]["abs"].get<double>();
          row.rule = "|delta| <= " + fmt(row.band) + " (absolute" +
                     (e["tolerance"].contains("derived") ? ": " + e["tolerance"]["derived"].get<std::string>() : "") +
                     ")";
        } else {
          const double k = e.contains("tolerance") ? e["tolerance"].value("k", opts.k_sigma) : opts.k_sigma;
          const double se_ref = e.contains("ci95") ? parse_ci(e["ci95"]) / 1.96 : std::nan("");
          const double se_meas = meas.ci95 ? *meas.ci95 / 1.96 : std::nan("");
          const double a = std::isfinite(se_ref) ? se_ref : 0.0, m = std::isfinite(se_meas) ? se_meas : 0.0;
          row.band = k * std::sqrt(a * a + m * m);
          row.rule = "|delta| <= " + fmt(k) + " sigma = " + fmt(row.band) + " (se_ref " +
                     (std::isfinite(se_ref) ? fmt(se_ref) : "n/a") + ", se_measured " +
                     (std::isfinite(se_meas) ? fmt(se_meas) : "n/a: 1 run") + ")";
        }
        const bool ok = std::abs(row.delta) <= row.band;
        (ok ? rep.pass : rep.fail)++;
        row.verdict = ok ? "pass" : "fail";
        // The paper's own yardstick beside the k-sigma test: is our mean
        // inside its 95% CI, and do the two intervals overlap?
        const double ci_ref = e.contains("ci95") ? parse_ci(e["ci95"]) : std::nan("");
        if (std::isfinite(ci_ref)) {
          const bool inside = std::abs(row.delta) <= ci_ref;
          (inside ? rep.paper_ci_inside : rep.paper_ci_outside)++;
          row.paper_ci_inside = inside;
          row.paper_ci_low = ref - ci_ref;
          row.paper_ci_high = ref + ci_ref;
          if (meas.ci95) row.paper_ci_overlap = std::abs(row.delta) <= ci_ref + *meas.ci95;
        }
        if (budgets.is_array()) {
          for (const auto& [c, m] : cands)
            row.best_of.push_back({c->name, c->cell_id, c->config_field("epochs"), m.mean, m.n});
          row.chosen_epochs = cell.config_field("epochs");
          row.selection = "the paper reports SGD as the better of its " + budgets.dump() +
                          "-epoch budgets; ours: the better (by mean " + metric + ") of " +
                          std::to_string(cands.size()) + " measured: " + cell.name + " (" +
                          cell.config_field("epochs").dump() + " epochs)";
        }
        if (e.contains("caveat")) row.caveat = e["caveat"];
        rep.rows.push_back(std::move(row));
      }
      if (order.empty()) {
        ++rep.missing;
        CheckRow row;
        row.id = e["id"].get<std::string>();
        row.file = file;
        row.kind = kind;
        row.metric = metric;
        row.reference = ref;
        row.reference_ci95 = e.value("ci95", json(nullptr));
        row.verdict = "missing";
        row.why =
            e.value("model", json("")).is_null() ? "model not in the zoo" : "no finished cell matches " + match.dump();
        row.citation = citation;
        rep.rows.push_back(std::move(row));
      }
    }
    // Claims compare each NRS cell with its SGD cell (same setting).
    static const std::regex claim_re(R"(^\s*nrs\.(\w+)\s*(>=|<=|<|>)\s*sgd\.(\w+)\s*(-\s*tol)?\s*$)");
    for (const auto& c : b.value("claims", json::array())) {
      std::smatch mt;
      const std::string text = c.value("check", "");
      const std::string id = c["id"].get<std::string>();
      if (!std::regex_match(text, mt, claim_re) || mt[1] != mt[3])
        throw std::invalid_argument(file + ": claim " + id + ": check \"" + text +
                                    "\" is not of the form nrs.<metric> <op> sgd.<metric> [- tol]");
      const std::string metric = mt[1], op = mt[2];
      const bool with_tol = mt[4].matched;
      bool any = false;
      for (const auto& cell : agg.cells) {
        if (cell.optimizer != "nrs" || !cell.sgd_cell) continue;
        const CellAggregate* sgd = agg.find(*cell.sgd_cell);
        const auto a = measured_metric(cell, metric), s = measured_metric(*sgd, metric);
        if (!a || !s) continue;
        any = true;
        ClaimRow row;
        row.id = id;
        row.file = file;
        row.claim = c.value("claim", "");
        row.check = text;
        row.citation = c.value("citation", json(nullptr));
        row.cell = cell.name;
        row.sgd_cell = sgd->name;
        row.metric = metric;
        row.nrs = a;
        row.sgd = s;
        // tol: the 95% half-width of the difference of the two means from
        // the seed spreads (0 with single runs: then the raw comparison).
        const double sa = a->n > 1 ? a->std / std::sqrt(static_cast<double>(a->n)) : 0.0;
        const double ss = s->n > 1 ? s->std / std::sqrt(static_cast<double>(s->n)) : 0.0;
        row.difference_se = std::sqrt(sa * sa + ss * ss);
        row.tol = with_tol ? 1.96 * row.difference_se : 0.0;
        row.difference = a->mean - s->mean;
        const double x = a->mean, y = s->mean - row.tol;
        const bool holds = op == ">=" ? x >= y : op == "<=" ? x <= y : op == "<" ? x < y : x > y;
        (holds ? rep.pass : rep.fail)++;
        row.verdict = holds ? "pass" : "fail";
        if (row.difference_se > 0) row.significant = std::abs(row.difference) > 1.96 * row.difference_se;
        rep.claims.push_back(std::move(row));
      }
      if (!any) {
        ++rep.missing;
        ClaimRow row;
        row.id = id;
        row.file = file;
        row.claim = c.value("claim", "");
        row.check = text;
        row.verdict = "missing";
        row.why = "no NRS cell with a matching SGD cell and this metric";
        row.citation = c.value("citation", json(nullptr));
        rep.claims.push_back(std::move(row));
      }
    }
  }
  return rep;
}

}  // namespace nrs::matrix

#include "suite/matrix/check.h"
#include "suite/core/errors.h"
#include "suite/io/results.h"
#include "suite/stats/claim_test.h"
#include "suite/stats/distributions.h"
#include "suite/stats/holm.h"

#include <cmath>
#include <map>
#include <regex>
#include <set>
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

// Welch's pieces for a reference row: (se, df) of each side.
struct Side {
  double se = 0, df = 0;
};

double two_sided_t(double df, double alpha) { return stats::t_quantile(1 - alpha / 2, df); }

void flatten(const json& j, const std::string& prefix, std::map<std::string, json>& out) {
  if (j.is_object() && !j.empty()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    return;
  }
  out[prefix] = j;
}

// Which of `fields` (leaf paths or subtree prefixes) a leaf path falls under.
bool under(const std::string& leaf, const std::string& field) {
  return leaf == field ||
         (leaf.size() > field.size() && leaf.compare(0, field.size(), field) == 0 && leaf[field.size()] == '.');
}

bool curvature_metric(const std::string& metric) { return metric.rfind("lambda", 0) == 0 || metric == "trace"; }

}  // namespace

bool lower_is_better(const std::string& metric) {
  return metric.find("error") != std::string::npos || metric.find("loss") != std::string::npos ||
         curvature_metric(metric);
}

std::vector<std::string> shared_fields(const std::string& metric) {
  std::vector<std::string> f = {"dataset",   "model",     "epochs",          "batch_size",   "schedule",
                                "sgd",       "augment",   "label_smoothing", "train_subset", "test_subset",
                                "val_split", "precision", "loss_scale",      "drop_last",    "zero_init_residual"};
  if (curvature_metric(metric))
    for (const char* h :
         {"hessian.samples", "hessian.repeats", "hessian.seed", "hessian.bn_mode", "hessian.method", "hessian.which"})
      f.push_back(h);
  return f;
}

std::vector<std::string> differing_fields(const json& a, const json& b, const std::string& metric) {
  std::map<std::string, json> fa, fb;
  flatten(a, "", fa);
  flatten(b, "", fb);
  std::set<std::string> leaves;
  for (const auto& [k, v] : fa) leaves.insert(k);
  for (const auto& [k, v] : fb) leaves.insert(k);
  const auto fields = shared_fields(metric);
  std::vector<std::string> out;
  for (const auto& leaf : leaves) {
    bool shared = false;
    for (const auto& f : fields) shared = shared || under(leaf, f);
    if (!shared) continue;
    const json x = fa.count(leaf) ? fa[leaf] : json(nullptr), y = fb.count(leaf) ? fb[leaf] : json(nullptr);
    if (x != y) out.push_back(leaf + " (" + x.dump() + " vs " + y.dump() + ")");
  }
  return out;
}

json Measured::to_json() const {
  return {{"mean", mean}, {"ci95", ci95 ? json(*ci95) : json(nullptr)}, {"std", std}, {"se", se}, {"n", n}};
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
    m.se = m.std / std::sqrt(static_cast<double>(m.n));
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
              {"se_reference", se_reference},
              {"se_difference", se_difference},
              {"df", df},
              {"detectable_shift", detectable_shift},
              {"rule", rule},
              {"verdict", verdict},
              {"citation", citation}};
  if (!prior.empty()) row["prior"] = prior;
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
  json row = {{"id", id},
              {"file", file},
              {"claim", claim},
              {"kind", kind},
              {"metric", metric},
              {"better", better},
              {"verdict", verdict},
              {"citation", citation},
              {"cell", cell.empty() ? json(nullptr) : json(cell)},
              {"comparator", comparator.empty() ? json(nullptr) : json(comparator)},
              {"declared_differences", declared_differences}};
  if (margin > 0) row["margin"] = margin;
  if (!why.empty()) row["why"] = why;
  if (treatment) row["treatment_measured"] = treatment->to_json();
  if (reference) row["comparator_measured"] = reference->to_json();
  if (!cell_id.empty()) row["cell_id"] = cell_id;
  if (!comparator_id.empty()) row["comparator_id"] = comparator_id;
  row["in_family"] = tested;
  if (tested) {
    row["difference"] = difference;  // treatment - comparator, in the metric's units
    row["ci95"] = {ci_low, ci_high};
    row["se"] = se;
    row["df"] = df;
    row["t"] = t;
    row["p_support"] = p_support;
    row["p_contradict"] = p_contradict;
    row["p_support_holm"] = p_support_holm;
    row["p_contradict_holm"] = p_contradict_holm;
    row["mde_80"] = mde;
    row["mde_80_holm"] = mde_holm;
  }
  return row;
}

json CheckSummary::to_json() const {
  return {{"pass", pass},
          {"fail", fail},
          {"missing", missing},
          {"paper_ci", {{"inside", paper_ci_inside}, {"outside", paper_ci_outside}}},
          {"claims",
           {{"supported", supported},
            {"contradicted", contradicted},
            {"inconclusive", inconclusive},
            {"refused", refused},
            {"missing", claims_missing}}}};
}

json CheckReport::to_json() const {
  json r = json::array(), c = json::array(), members = json::array();
  for (const auto& row : rows) r.push_back(row.to_json());
  for (const auto& row : claims) {
    c.push_back(row.to_json());
    if (row.tested) members.push_back(row.id + ": " + row.cell + " vs " + row.comparator);
  }
  return {{"rows", r},
          {"claims", c},
          {"alpha", alpha},
          {"family",
           {{"name", family},
            {"method", "holm"},
            {"alpha_one_sided", alpha / 2},
            {"size", members.size()},
            {"members", members}}},
          {"summary", summary.to_json()},
          {"rules",
           {{"reference",
             "pass when |measured mean - reference| <= t(0.975, Welch df) * sqrt(se_ref^2 + se_measured^2); se = sd / "
             "sqrt(n); a paper's 95% CI over n runs is read as 1.96 se_ref (its convention is not stated; the wider "
             "reading); one run of ours takes the reference's seed sd as a stated prior; detectable_shift: the true "
             "shift found with 80% power"},
            {"absolute", "|measured mean - reference| <= tolerance.abs (sources without a spread)"},
            {"paper_ci",
             "reported beside the verdict, not deciding it: measured mean inside reference +- ci95 (the paper's "
             "95% CI), and whether that interval overlaps the measured mean's own 95% CI"},
            {"best_of_epochs",
             "entries listing budgets (the paper's SGD rows: best of 1x and 2x epochs) are compared with "
             "the better of our cells that differ only in epochs"},
            {"claims",
             "Welch's t on treatment - comparator (comparator: the cell sharing every shared field but those the claim "
             "declares); one-sided p for support and for contradiction by kind (superiority: beyond 0; "
             "non-inferiority: beyond -margin; equivalence: TOST within +-margin); each Holm-adjusted over the "
             "family; supported / contradicted when the adjusted p < alpha/2, else inconclusive; mde_80: the true "
             "effect detected with 80% power at alpha/2 (mde_80_holm at alpha/(2m)), observed sds taken as true"}}}};
}

namespace {

// A reference entry's own spread: a pin's seed sd over n, or a paper's CI over n runs.
struct RefSpread {
  double se = 0, df = 0, sd = 0;
  bool known = false;
  std::string how;
};

RefSpread reference_spread(const json& e) {
  RefSpread r;
  const double n = e.contains("n") && e["n"].is_number() ? e["n"].get<double>() : 0.0;
  if (e.contains("seed_sd") && e["seed_sd"].is_number() && n >= 2) {
    r.sd = e["seed_sd"].get<double>();
    r.se = r.sd / std::sqrt(n);
    r.df = n - 1;
    r.known = true;
    r.how = "pinned seed sd over n = " + fmt(n);
    return r;
  }
  const double ci = e.contains("ci95") ? parse_ci(e["ci95"]) : std::nan("");
  if (std::isfinite(ci)) {
    r.se = ci / 1.96;
    r.known = true;
    if (n >= 2) {
      r.sd = r.se * std::sqrt(n);
      r.df = n - 1;
      r.how = "reference 95% CI / 1.96, n = " + fmt(n);
    } else {
      r.df = 1e9;  // its n is not stated: that side's df taken as large, and no seed sd to lend a run of one
      r.how = "reference 95% CI / 1.96, n not stated";
    }
  }
  return r;
}

void reference_rule(CheckRow& row, const json& e, const Measured& meas, double alpha) {
  if (e.contains("tolerance") && e["tolerance"].contains("abs")) {
    row.band = e["tolerance"]["abs"].get<double>();
    row.rule = "|delta| <= " + fmt(row.band) + " (absolute" +
               (e["tolerance"].contains("derived") ? ": " + e["tolerance"]["derived"].get<std::string>() : "") + ")";
    return;
  }
  const RefSpread ref = reference_spread(e);
  Side ours;
  if (meas.n >= 2) {
    ours = {meas.se, static_cast<double>(meas.n) - 1};
  } else if (ref.known && ref.sd > 0) {
    ours = {ref.sd, ref.df};  // one run: its seed sd assumed equal to the reference's
    row.prior = "n = 1: our seed sd assumed equal to the reference's (" + fmt(ref.sd) + "), a prior, not a measurement";
  }
  row.se_reference = ref.se;
  const double v_ref = ref.se * ref.se, v_ours = ours.se * ours.se;
  row.se_difference = std::sqrt(v_ref + v_ours);
  if (!(row.se_difference > 0)) {
    row.band = 0;
    row.rule = "no spread on either side: |delta| <= 0";
    return;
  }
  row.df = v_ref > 0 && v_ours > 0 ? stats::welch_df(v_ref, ref.df, v_ours, ours.df) : (v_ref > 0 ? ref.df : ours.df);
  const double q = two_sided_t(row.df, alpha);
  row.band = q * row.se_difference;
  const double floor =
      e.contains("tolerance") && e["tolerance"].contains("floor") ? e["tolerance"]["floor"].get<double>() : 0.0;
  row.detectable_shift = std::max(floor, stats::minimum_detectable_effect(row.se_difference, row.df, alpha / 2));
  row.rule = "|delta| <= t(" + fmt(1 - alpha / 2, 3) + ", df " + fmt(row.df, 3) + ") * " + fmt(row.se_difference) +
             " = " + fmt(row.band) + " (se_ref " + fmt(ref.se) + (ref.known ? ": " + ref.how : ": none") +
             ", se_measured " + fmt(ours.se) + (row.prior.empty() ? "" : ": prior") + ")";
  if (floor > row.band) {
    row.band = floor;
    row.rule += "; floor " + fmt(floor) + ": " + e["tolerance"].value("floor_why", std::string("stated in the file"));
  }
}

struct ClaimSpec {
  std::string id, file, claim, metric;
  stats::ClaimKind kind = stats::ClaimKind::kSuperiority;
  json treatment, comparator, citation;
  std::vector<std::string> differs_in;
  double margin = 0, epochs_factor = 0;
  int better = +1;
};

ClaimSpec read_claim(const json& c, const std::string& file) {
  ClaimSpec s;
  s.id = c["id"].get<std::string>();
  s.file = file;
  const auto where = file + ": claim " + s.id;
  if (c.contains("check"))
    throw InputError(where +
                     ": \"check\" is the old claim form; expected kind, metric, treatment and comparator "
                     "(docs/checking.md)");
  for (const char* k : {"kind", "metric"})
    if (!c.contains(k) || !c[k].is_string()) throw InputError(where + ": needs a string \"" + k + "\"");
  for (const char* k : {"treatment", "comparator"})
    if (!c.contains(k) || !c[k].is_object() || c[k].empty())
      throw InputError(where + ": needs \"" + k + "\", a non-empty match object");
  const auto kind = stats::parse_claim_kind(c["kind"].get<std::string>());
  if (!kind)
    throw InputError(where + ": kind \"" + c["kind"].get<std::string>() +
                     "\": expected superiority, non-inferiority or equivalence");
  s.kind = *kind;
  s.metric = c["metric"].get<std::string>();
  s.claim = c.value("claim", "");
  s.treatment = c["treatment"];
  s.comparator = c["comparator"];
  s.citation = c.value("citation", json(nullptr));
  if (c.contains("margin")) {
    if (!c["margin"].is_number() || !(c["margin"].get<double>() > 0))
      throw InputError(where + ": \"margin\" must be a positive number");
    s.margin = c["margin"].get<double>();
  }
  if (s.kind != stats::ClaimKind::kSuperiority && s.margin <= 0)
    throw InputError(where + ": a " + c["kind"].get<std::string>() + " claim needs a positive \"margin\"");
  if (c.contains("differs_in")) {
    if (!c["differs_in"].is_array()) throw InputError(where + ": \"differs_in\" must be a list of field names");
    for (const auto& f : c["differs_in"]) {
      if (!f.is_string()) throw InputError(where + ": \"differs_in\" must be a list of field names");
      s.differs_in.push_back(f.get<std::string>());
    }
  }
  if (c.contains("comparator_epochs_factor")) {
    if (!c["comparator_epochs_factor"].is_number() || !(c["comparator_epochs_factor"].get<double>() > 0))
      throw InputError(where + ": \"comparator_epochs_factor\" must be a positive number");
    s.epochs_factor = c["comparator_epochs_factor"].get<double>();
    s.differs_in.push_back("epochs");
  }
  if (c.contains("better")) {
    const auto b = c["better"].is_string() ? c["better"].get<std::string>() : "";
    if (b != "higher" && b != "lower") throw InputError(where + ": \"better\" must be \"higher\" or \"lower\"");
    s.better = b == "higher" ? +1 : -1;
  } else {
    s.better = lower_is_better(s.metric) ? -1 : +1;
  }
  return s;
}

// The shared fields two cells differ in, less those the claim declares.
std::vector<std::string> undeclared_differences(const ClaimSpec& spec, const CellAggregate& t, const CellAggregate& k) {
  std::vector<std::string> out;
  for (const auto& d : differing_fields(t.config, k.config, spec.metric)) {
    const std::string leaf = d.substr(0, d.find(' '));
    bool declared = false;
    for (const auto& f : spec.differs_in) declared = declared || under(leaf, f);
    if (!declared) out.push_back(d);
  }
  return out;
}

// A claim that asks for the comparator at a multiple of the treatment's
// epochs (equal compute) only considers comparators at that budget.
bool at_epochs_factor(const ClaimSpec& spec, const CellAggregate& t, const CellAggregate& k) {
  if (spec.epochs_factor <= 0) return true;
  const json& te = t.config_field("epochs");
  const json& ke = k.config_field("epochs");
  return te.is_number() && ke.is_number() && std::abs(ke.get<double>() - spec.epochs_factor * te.get<double>()) < 1e-9;
}

ClaimRow claim_row(const ClaimSpec& s) {
  ClaimRow row;
  row.id = s.id;
  row.file = s.file;
  row.claim = s.claim;
  row.kind = stats::to_string(s.kind);
  row.metric = s.metric;
  row.citation = s.citation;
  row.declared_differences = s.differs_in;
  row.better = s.better > 0 ? "higher" : "lower";
  row.margin = s.margin;
  return row;
}

void test_claims(const Aggregate& agg, const std::vector<ClaimSpec>& specs, CheckReport& rep) {
  for (const auto& s : specs) {
    bool any = false;
    for (const auto& t : agg.cells) {
      if (!cell_matches(t, s.treatment)) continue;
      const auto tm = measured_metric(t, s.metric);
      if (!tm) continue;
      // Candidates: comparator cells with the metric; eligible: those that
      // differ in no undeclared shared field.
      std::vector<std::pair<const CellAggregate*, std::vector<std::string>>> cands;
      for (const auto& k : agg.cells) {
        if (&k == &t || !cell_matches(k, s.comparator) || !measured_metric(k, s.metric) || !at_epochs_factor(s, t, k))
          continue;
        cands.emplace_back(&k, undeclared_differences(s, t, k));
      }
      if (cands.empty()) continue;
      any = true;
      size_t eligible = 0;
      for (const auto& c : cands) eligible += c.second.empty();
      if (eligible == 0) {
        // Refused: name the fields of the closest candidate.
        const auto* best = &cands.front();
        for (const auto& c : cands)
          if (c.second.size() < best->second.size()) best = &c;
        ClaimRow row = claim_row(s);
        row.cell = t.name;
        row.cell_id = t.cell_id;
        row.comparator = best->first->name;
        row.comparator_id = best->first->cell_id;
        row.verdict = "refused";
        std::string fields;
        for (const auto& f : best->second) fields += (fields.empty() ? "" : ", ") + f;
        row.why =
            "no comparator shares the treatment's hyperparameters: " + best->first->name + " differs in " + fields;
        rep.claims.push_back(std::move(row));
        continue;
      }
      for (const auto& [k, diff] : cands) {
        if (!diff.empty()) continue;
        ClaimRow row = claim_row(s);
        row.cell = t.name;
        row.cell_id = t.cell_id;
        row.comparator = k->name;
        row.comparator_id = k->cell_id;
        row.treatment = tm;
        row.reference = measured_metric(*k, s.metric);
        if (row.treatment->n < 2 || row.reference->n < 2) {
          row.verdict = "inconclusive";
          row.why = "not testable: n = " + std::to_string(row.treatment->n) + " and " +
                    std::to_string(row.reference->n) + " (each side needs 2 runs for a seed spread)";
          rep.claims.push_back(std::move(row));
          continue;
        }
        const stats::Sample a{row.treatment->mean, row.treatment->std, row.treatment->n};
        const stats::Sample b{row.reference->mean, row.reference->std, row.reference->n};
        try {
          const auto ct = stats::test_comparison(s.kind, s.margin, s.better, a, b);
          row.tested = true;
          row.difference = ct.raw.estimate;
          row.ci_low = ct.raw.ci_low;
          row.ci_high = ct.raw.ci_high;
          row.se = ct.raw.se;
          row.df = ct.raw.df;
          row.t = ct.raw.t;
          row.p_support = ct.p_support;
          row.p_contradict = ct.p_contradict;
          row.mde = ct.mde(rep.alpha / 2);
        } catch (const std::invalid_argument& e) {
          row.verdict = "inconclusive";
          row.why = std::string("not testable: ") + e.what();
        }
        rep.claims.push_back(std::move(row));
      }
    }
    if (!any) {
      ClaimRow row = claim_row(s);
      row.verdict = "missing";
      row.why = "no treatment cell matching " + s.treatment.dump() + " with a comparator matching " +
                s.comparator.dump() + (s.epochs_factor > 0 ? " at " + fmt(s.epochs_factor) + "x its epochs" : "") +
                " and metric " + s.metric;
      rep.claims.push_back(std::move(row));
    }
  }
  // The family: every tested comparison of this check, Holm-adjusted per direction.
  std::vector<double> ps, pc;
  std::vector<ClaimRow*> fam;
  for (auto& r : rep.claims)
    if (r.tested) {
      fam.push_back(&r);
      ps.push_back(r.p_support);
      pc.push_back(r.p_contradict);
    }
  const auto as = stats::holm_adjust(ps), ac = stats::holm_adjust(pc);
  const double m = static_cast<double>(fam.size());
  for (size_t i = 0; i < fam.size(); ++i) {
    ClaimRow& r = *fam[i];
    r.p_support_holm = as[i];
    r.p_contradict_holm = ac[i];
    r.verdict = stats::to_string(stats::decide(as[i], ac[i], rep.alpha / 2));
    r.mde_holm = stats::claim_mde(stats::parse_claim_kind(r.kind).value(), r.se, r.df, rep.alpha / (2 * m));
  }
  for (const auto& r : rep.claims) {
    if (r.verdict == "supported") ++rep.summary.supported;
    if (r.verdict == "contradicted") ++rep.summary.contradicted;
    if (r.verdict == "inconclusive") ++rep.summary.inconclusive;
    if (r.verdict == "refused") ++rep.summary.refused;
    if (r.verdict == "missing") ++rep.summary.claims_missing;
  }
}

}  // namespace

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
    for (const char* k : {"claim", "kind", "metric"}) expect_type(e, k, json::value_t::string, at);
    return;
  }
  for (const char* k : {"metric", "augmentation"}) expect_type(e, k, json::value_t::string, at);
  expect_type(e, "match", json::value_t::object, at);
  expect_type(e, "tolerance", json::value_t::object, at);
  if (e.contains("tolerance")) {
    for (const char* k : {"abs", "k", "floor"})
      expect_type(e["tolerance"], k, json::value_t::number_float, at + ": tolerance");
    for (const char* k : {"derived", "floor_why", "rule"})
      expect_type(e["tolerance"], k, json::value_t::string, at + ": tolerance");
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
  // Claims are read once here so that a malformed one is named at load time.
  for (const auto& c : j.value("claims", json::array())) read_claim(c, path);
  j["_file"] = path;
  return j;
}

CheckReport check(const Aggregate& agg, const std::vector<json>& baselines, const CheckOptions& opts) {
  if (!(opts.alpha > 0 && opts.alpha < 1)) throw InputError("--alpha: expected a number in (0, 1)");
  CheckReport rep;
  rep.alpha = opts.alpha;
  rep.family = opts.family;
  std::vector<ClaimSpec> specs;
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
        reference_rule(row, e, meas, opts.alpha);
        const bool ok = std::abs(row.delta) <= row.band;
        (ok ? rep.summary.pass : rep.summary.fail)++;
        row.verdict = ok ? "pass" : "fail";
        // The paper's own yardstick beside the test: is our mean inside its
        // 95% CI, and do the two intervals overlap?
        const double ci_ref = e.contains("ci95") ? parse_ci(e["ci95"]) : std::nan("");
        if (std::isfinite(ci_ref)) {
          const bool inside = std::abs(row.delta) <= ci_ref;
          (inside ? rep.summary.paper_ci_inside : rep.summary.paper_ci_outside)++;
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
        ++rep.summary.missing;
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
    for (const auto& c : b.value("claims", json::array())) specs.push_back(read_claim(c, file));
  }
  test_claims(agg, specs, rep);
  return rep;
}

}  // namespace nrs::matrix

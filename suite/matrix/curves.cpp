#include "suite/matrix/curves.h"
#include "suite/matrix/aggregate.h"

#include <cmath>
#include <map>

namespace nrs::matrix {
using nlohmann::json;

namespace {

bool is_ok(const json& r) { return r.value("status", "") == "ok"; }

// Numbers of an array field, or empty when absent or not all numbers.
std::vector<double> numbers(const json& j, const char* key) {
  std::vector<double> v;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return v;
  for (const auto& e : j[key]) {
    if (!e.is_number()) return {};
    v.push_back(e.get<double>());
  }
  return v;
}

}  // namespace

Band band_over_runs(const std::vector<std::vector<std::pair<double, double>>>& runs) {
  std::map<double, std::vector<double>> at;
  for (const auto& r : runs)
    for (const auto& [x, v] : r)
      if (std::isfinite(x) && std::isfinite(v)) at[x].push_back(v);
  Band b;
  for (const auto& [x, vs] : at) {
    const Stats s = summarize(vs);
    b.x.push_back(x);
    b.mean.push_back(s.mean);
    b.lo.push_back(s.mean - s.ci95);  // ci95 is 0 when n < 2
    b.hi.push_back(s.mean + s.ci95);
    b.n.push_back(s.n);
  }
  return b;
}

json test_acc_curve(const std::vector<const json*>& runs) {
  std::vector<std::vector<std::pair<double, double>>> per_run;
  for (const json* r : runs) {
    if (!is_ok(*r) || !r->contains("history") || !(*r)["history"].is_array()) continue;
    std::vector<std::pair<double, double>> pts;
    for (const auto& e : (*r)["history"])
      if (e.contains("epoch") && e["epoch"].is_number() && e.contains("test_acc") && e["test_acc"].is_number())
        pts.emplace_back(e["epoch"].get<double>(), e["test_acc"].get<double>());
    if (!pts.empty()) per_run.push_back(std::move(pts));
  }
  if (per_run.empty()) return nullptr;
  const Band b = band_over_runs(per_run);
  return {{"epoch", b.x}, {"mean", b.mean}, {"lo", b.lo}, {"hi", b.hi}, {"n", b.n}};
}

MeanCurve mean_on_shared_grid(const std::vector<std::pair<std::vector<double>, std::vector<double>>>& curves) {
  MeanCurve m;
  for (const auto& [x, y] : curves) {
    if (x.empty() || x.size() != y.size()) continue;
    if (m.runs == 0) {
      m.x = x;
      m.y.assign(x.size(), 0.0);
    } else if (x != m.x) {
      ++m.skipped;
      continue;
    }
    for (size_t i = 0; i < y.size(); ++i) m.y[i] += y[i];
    ++m.runs;
  }
  for (auto& v : m.y) v /= static_cast<double>(m.runs);
  return m;
}

json density_curve(const std::vector<const json*>& runs) {
  std::vector<std::pair<std::vector<double>, std::vector<double>>> curves;
  for (const json* r : runs)
    if (is_ok(*r) && r->contains("hessian") && (*r)["hessian"].is_object() && (*r)["hessian"].contains("density")) {
      const auto& d = (*r)["hessian"]["density"];
      curves.emplace_back(numbers(d, "grid"), numbers(d, "density"));
    }
  const MeanCurve m = mean_on_shared_grid(curves);
  if (m.runs == 0) return nullptr;
  return {{"grid", m.x}, {"density", m.y}, {"runs", m.runs}, {"skipped", m.skipped}};
}

json slice_curves(const std::vector<const json*>& runs) {
  std::vector<std::string> kinds;
  std::map<std::string, std::vector<std::pair<std::vector<double>, std::vector<double>>>> by_kind;
  for (const json* r : runs) {
    if (!is_ok(*r) || !r->contains("landscape") || !(*r)["landscape"].is_object()) continue;
    const auto& ls = (*r)["landscape"];
    if (!ls.contains("slices") || !ls["slices"].is_array()) continue;
    std::map<std::string, bool> seen;
    for (const auto& s : ls["slices"]) {
      if (!s.is_object() || !s.contains("kind") || !s["kind"].is_string()) continue;
      const auto kind = s["kind"].get<std::string>();
      if (seen[kind]) continue;
      seen[kind] = true;
      if (!by_kind.count(kind)) kinds.push_back(kind);
      by_kind[kind].emplace_back(numbers(s, "alphas"), numbers(s, "train_loss"));
    }
  }
  json out = json::array();
  for (const auto& k : kinds) {
    const MeanCurve m = mean_on_shared_grid(by_kind[k]);
    if (m.runs == 0) continue;
    out.push_back({{"kind", k}, {"alphas", m.x}, {"train_loss", m.y}, {"runs", m.runs}, {"skipped", m.skipped}});
  }
  return out.empty() ? json(nullptr) : out;
}

}  // namespace nrs::matrix

#include "suite/matrix/curves.h"

#include <cmath>
#include <map>

namespace nrs::matrix {
using nlohmann::json;

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

json Band::to_json() const { return {{"epoch", x}, {"mean", mean}, {"lo", lo}, {"hi", hi}, {"n", n}}; }

std::optional<Band> test_acc_curve(const std::vector<const RunRecord*>& runs) {
  std::vector<std::vector<std::pair<double, double>>> per_run;
  for (const RunRecord* r : runs) {
    if (!r->ok()) continue;
    std::vector<std::pair<double, double>> pts;
    for (const auto& e : r->history)
      if (std::isfinite(e.epoch) && std::isfinite(e.test_acc)) pts.emplace_back(e.epoch, e.test_acc);
    if (!pts.empty()) per_run.push_back(std::move(pts));
  }
  if (per_run.empty()) return std::nullopt;
  return band_over_runs(per_run);
}

MeanCurve mean_on_shared_grid(const std::vector<GridCurve>& curves) {
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

std::optional<MeanCurve> density_curve(const std::vector<const RunRecord*>& runs) {
  std::vector<GridCurve> curves;
  for (const RunRecord* r : runs)
    if (r->ok() && r->density) curves.push_back(*r->density);
  MeanCurve m = mean_on_shared_grid(curves);
  if (m.runs == 0) return std::nullopt;
  return m;
}

json density_json(const MeanCurve& m) {
  return {{"grid", m.x}, {"density", m.y}, {"runs", m.runs}, {"skipped", m.skipped}};
}

json SliceCurve::to_json() const {
  return {
      {"kind", kind}, {"alphas", curve.x}, {"train_loss", curve.y}, {"runs", curve.runs}, {"skipped", curve.skipped}};
}

json slices_json(const std::vector<SliceCurve>& slices) {
  if (slices.empty()) return nullptr;
  json sl = json::array();
  for (const auto& s : slices) sl.push_back(s.to_json());
  return sl;
}

std::vector<SliceCurve> slice_curves(const std::vector<const RunRecord*>& runs) {
  std::vector<std::string> kinds;
  std::map<std::string, std::vector<GridCurve>> by_kind;
  for (const RunRecord* r : runs) {
    if (!r->ok()) continue;
    std::map<std::string, bool> seen;
    for (const auto& s : r->slices) {
      if (seen[s.kind]) continue;
      seen[s.kind] = true;
      if (!by_kind.count(s.kind)) kinds.push_back(s.kind);
      by_kind[s.kind].push_back(s.curve);
    }
  }
  std::vector<SliceCurve> out;
  for (const auto& k : kinds) {
    MeanCurve m = mean_on_shared_grid(by_kind[k]);
    if (m.runs > 0) out.push_back({k, std::move(m)});
  }
  return out;
}

}  // namespace nrs::matrix

#include "suite/matrix/leaderboard_charts.h"
#include "suite/matrix/leaderboard.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

namespace nrs::matrix {

namespace {

// Okabe-Ito's colour-blind-safe colours, then Tol's; all dark enough for
// white paper. Markers and dashes vary with the slot as well.
const char* const kColors[] = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#117733",
                               "#882255", "#332288", "#999933", "#AA4499", "#44AA99", "#555555"};
const char* const kFixed[] = {"sgd", "sam", "nrs-gradient", "nrs-random", "sgd-2x", "asam", "nrs"};
constexpr int kFixedCount = sizeof(kFixed) / sizeof(kFixed[0]);

// A method's fields as the charts use them.
struct Method {
  std::string label;
  svg::Style style;
  const MethodEntry* m;
};

double or_nan(const std::optional<double>& v) { return v ? *v : std::nan(""); }

std::vector<double> as_doubles(const std::vector<size_t>& v) { return {v.begin(), v.end()}; }

svg::Axis axis(const std::string& label, bool log = false) {
  svg::Axis a;
  a.label = label;
  a.log = log;
  return a;
}

svg::Series series(const Method& me, std::vector<double> x, std::vector<double> y) {
  svg::Series s;
  s.label = me.label;
  s.style = me.style;
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

svg::ErrorBar around(double mean, double half) {
  return std::isfinite(half) ? svg::ErrorBar{mean - half, mean + half} : svg::ErrorBar{std::nan(""), std::nan("")};
}

// (a) Test accuracy per epoch with the 95% band over seeds.
bool accuracy_chart(const std::vector<Method>& ms, svg::Chart& c) {
  c.title = "Test accuracy per epoch";
  c.x = axis("epoch");
  c.x.integer = true;
  c.y = axis("test accuracy (fraction of the test set)");
  for (const auto& me : ms) {
    if (!me.m->curve) continue;
    const Band& cv = *me.m->curve;
    auto s = series(me, cv.x, cv.mean);
    const auto n = as_doubles(cv.n);
    if (std::any_of(n.begin(), n.end(), [](double k) { return k >= 2; })) s.lo = cv.lo, s.hi = cv.hi;
    s.marker_every = std::max(1, static_cast<int>(s.x.size() / 12));
    c.series.push_back(std::move(s));
  }
  if (std::any_of(c.series.begin(), c.series.end(), [](const svg::Series& s) { return !s.lo.empty(); }))
    c.notes.push_back({"band: 95% CI of the\nmean over seeds", "#999", 0, 6});
  return !c.series.empty();
}

// Whether any series has a finite error bar (no CI from one seed).
bool any_bar(const svg::Chart& c) {
  for (const auto& s : c.series)
    for (const auto& e : s.err)
      if (std::isfinite(e.lo)) return true;
  return false;
}

// (b) lambda_max per method: 95% CI over seeds and, when present, the
// spread over Hessian sample subsets of one model.
bool lambda_chart(const std::vector<Method>& ms, svg::Chart& c) {
  c.title = "Sharpness: top Hessian eigenvalue";
  c.x = axis("method");
  c.y = axis("λ_max (final model, training loss)");
  bool sampling = false;
  for (const auto& me : ms) {
    if (!me.m->lambda_max) continue;
    const LambdaEstimate& l = *me.m->lambda_max;
    const double mean = l.over_seeds.mean, i = static_cast<double>(c.x.categories.size());
    auto s = series(me, {i}, {mean});
    s.line = false;
    s.err = {around(mean, or_nan(l.over_seeds.ci95))};
    if (std::isfinite(or_nan(l.sampling_sd))) {
      s.err2 = {around(mean, *l.sampling_sd)};
      s.err2_offset_px = 10;
      sampling = true;
    }
    c.x.categories.push_back(me.label);
    c.series.push_back(std::move(s));
  }
  if (any_bar(c)) c.notes.push_back({"95% CI over seeds", "#000", 0, 1.8});
  if (sampling) c.notes.push_back({"±1 sd over Hessian\nsample subsets", "#000", 2, 1.2});
  return !c.series.empty();
}

// (c) Final test accuracy against cost per step, with the Pareto front.
bool cost_chart(const std::vector<Method>& ms, svg::Chart& c) {
  c.title = "Accuracy against cost per step";
  // The one-process step-cost ratio when every method has one (the runs'
  // own timing may come from a loaded machine), else the runs' ratio to SGD
  // when every method has it, else ms.
  bool step_cost = true, ratio = true;
  for (const auto& me : ms) {
    if (!me.m->test_acc) continue;
    if (!me.m->step_cost) step_cost = false;
    if (!std::isfinite(or_nan(me.m->cost_ratio_vs_sgd))) ratio = false;
  }
  c.x = axis(step_cost ? "cost per training step (× SGD's, nrsbench step-cost in one process)"
             : ratio   ? "cost per training step (× SGD's ms/step)"
                       : "cost per training step (ms)");
  c.y = axis("final test accuracy (fraction)");
  std::vector<double> cost, acc;
  for (const auto& me : ms) {
    const double x = step_cost ? (me.m->step_cost ? me.m->step_cost->ratio_to_sgd : std::nan(""))
                     : ratio   ? or_nan(me.m->cost_ratio_vs_sgd)
                               : or_nan(me.m->ms_per_step);
    if (!me.m->test_acc || !std::isfinite(x)) continue;
    const double y = me.m->test_acc->mean;
    auto s = series(me, {x}, {y});
    s.line = false;
    s.err = {around(y, or_nan(me.m->test_acc->ci95))};
    c.series.push_back(std::move(s));
    cost.push_back(x);
    acc.push_back(y);
  }
  std::vector<double> front;
  for (size_t i : pareto_front(cost, acc)) front.insert(front.end(), {cost[i], acc[i]});
  if (front.size() >= 4) {
    c.polylines.push_back(front);
    c.polyline_style = {"", "#555", 1, 1.2};
    c.notes.push_back({"Pareto front", "#555", 1, 1.2});
  }
  if (any_bar(c)) c.notes.push_back({"95% CI over seeds", "#000", 0, 1.8});
  return !c.series.empty();
}

// (d) Hessian spectral densities, log scale.
bool density_chart(const std::vector<Method>& ms, svg::Chart& c) {
  c.title = "Hessian eigenvalue density";
  c.x = axis("eigenvalue λ");
  c.y = axis("density (per unit λ, log scale)", true);
  double top = 0, low = INFINITY;
  for (const auto& me : ms) {
    if (!me.m->density) continue;
    auto s = series(me, me.m->density->x, me.m->density->y);
    for (double v : s.y)
      if (v > 0 && std::isfinite(v)) top = std::max(top, v), low = std::min(low, v);
    s.marker_every = std::max(1, static_cast<int>(s.x.size() / 8));
    c.series.push_back(std::move(s));
  }
  // Show six decades below the peak at most: the quadrature's Gaussian tails
  // reach far below anything readable.
  if (top > 0 && low < top * 1e-6) {
    c.y.min = std::pow(10.0, std::floor(std::log10(top * 1e-6)));
    c.y.max = std::pow(10.0, std::ceil(std::log10(top)));
  }
  return !c.series.empty();
}

// (e) 1-D loss slices of one kind.
svg::Chart slice_chart(const std::vector<Method>& ms, const std::string& kind) {
  svg::Chart c;
  c.title = kind == "random-filter"     ? "Loss along a filter-normalised random direction"
            : kind == "top-eigenvector" ? "Loss along the top Hessian eigenvector"
            : kind == "interpolation"   ? "Loss on the line between two weight sets"
                                        : "Loss slice: " + kind;
  c.x = axis(kind == "interpolation" ? "α (0: first weights, 1: second)" : "α (step along the direction)");
  // Log scale: along the top eigenvector a unit step leaves the basin by many
  // decades (10^4 on the small CNN, 10^9 on ResNet-18-mini in
  // results/fmnist-cpu-flatness), which on a linear axis flattens the minimum
  // onto the floor. A cross-entropy loss is positive, so no point is lost.
  c.y = axis("training loss (cross-entropy, nats, log scale)", true);
  for (const auto& me : ms) {
    for (const auto& s : me.m->slices)
      if (s.kind == kind) {
        auto se = series(me, s.curve.x, s.curve.y);
        se.marker_every = std::max(1, static_cast<int>(se.x.size() / 10));
        c.series.push_back(std::move(se));
      }
  }
  return c;
}

}  // namespace

Palette::Palette(const std::vector<std::string>& labels) {
  for (int i = 0; i < kFixedCount; ++i) slot_[kFixed[i]] = i;
  std::set<std::string> rest;
  for (const auto& l : labels)
    if (!slot_.count(l)) rest.insert(l);
  int next = kFixedCount;
  for (const auto& l : rest) slot_[l] = next++;
}

svg::Style Palette::slot_style(int slot) {
  constexpr int n = sizeof(kColors) / sizeof(kColors[0]);
  return {kColors[slot % n], slot, slot};
}

svg::Style Palette::style(const std::string& label) const {
  const auto it = slot_.find(label);
  return slot_style(it == slot_.end() ? 0 : it->second);
}

std::vector<std::string> method_labels(const Leaderboard& lb) {
  std::vector<std::string> v;
  for (const auto& b : lb.boards)
    for (const auto& m : b.methods) v.push_back(m.label);
  return v;
}

std::vector<size_t> pareto_front(const std::vector<double>& cost, const std::vector<double>& acc) {
  std::vector<size_t> idx(cost.size());
  std::iota(idx.begin(), idx.end(), 0);
  // By cost, and at equal cost the most accurate first; then keep each point
  // that is more accurate than every cheaper one.
  std::sort(idx.begin(), idx.end(),
            [&](size_t a, size_t b) { return cost[a] != cost[b] ? cost[a] < cost[b] : acc[a] > acc[b]; });
  std::vector<size_t> front;
  for (size_t i : idx)
    if (front.empty() || acc[i] > acc[front.back()]) front.push_back(i);
  return front;
}

std::vector<BoardChart> board_charts(const Board& board, const Palette& palette, const std::string& id_prefix) {
  std::vector<Method> ms;
  for (const auto& m : board.methods) ms.push_back({m.label, palette.style(m.label), &m});
  std::vector<BoardChart> out;
  auto add = [&](svg::Chart c, const std::string& id, std::string caption) {
    c.id = id_prefix + "-" + id;
    out.push_back({std::move(c), std::move(caption)});
  };
  svg::Chart c;
  if (accuracy_chart(ms, c))
    add(c, "acc",
        "Test accuracy after each epoch, mean over seeds; the band is the 95% t-interval of that mean "
        "(mean ± t(0.975, n−1) · sd/√n over the n seeds), drawn where two or more seeds have the epoch.");
  c = {};
  if (lambda_chart(ms, c))
    add(c, "lambda",
        "Top eigenvalue of the training-loss Hessian of each final model (Lanczos), mean over seeds. Solid bar: "
        "95% t-interval over seeds. Dashed bar, right of the point (only when the results carry "
        "hessian.repeats): ±1 sd of λ_max over disjoint Hessian sample subsets of one model, "
        "mean over seeds: sampling noise, apart from seed noise.");
  c = {};
  if (cost_chart(ms, c))
    add(c, "cost",
        "Final test accuracy (mean, bar: 95% t-interval over seeds) against the cost of one training step. Up and "
        "left is better; the dashed line joins the methods that no other method beats on both.");
  c = {};
  if (density_chart(ms, c))
    add(c, "density",
        "Eigenvalue density of the final model's Hessian (stochastic Lanczos quadrature), averaged over the "
        "seeds that share a grid. Log scale; at most six decades below the peak are shown.");
  std::vector<std::string> kinds;
  for (const auto& me : ms)
    for (const auto& s : me.m->slices)
      if (std::find(kinds.begin(), kinds.end(), s.kind) == kinds.end()) kinds.push_back(s.kind);
  for (size_t i = 0; i < kinds.size(); ++i) {
    auto sc = slice_chart(ms, kinds[i]);
    if (!sc.series.empty())
      add(sc, "slice" + std::to_string(i),
          "Training loss of the final model along a 1-D slice (" + kinds[i] +
              "), mean over the seeds that share the α grid.");
  }
  return out;
}

}  // namespace nrs::matrix

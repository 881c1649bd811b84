#include "suite/matrix/svg_chart.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace nrs::svg {

namespace {

// Shapes centred on (0, 0), about 9 px across: distinct in black and white.
const char* const kMarkers[] = {
    "M-4,0a4,4 0 1,0 8,0a4,4 0 1,0 -8,0z",                                                  // circle
    "M-3.5,-3.5h7v7h-7z",                                                                   // square
    "M0,-4.6L4.2,3.2H-4.2z",                                                                // triangle up
    "M0,-4.8L4.8,0L0,4.8L-4.8,0z",                                                          // diamond
    "M0,4.6L4.2,-3.2H-4.2z",                                                                // triangle down
    "M-4,-2.5L-2.5,-4L0,-1.5L2.5,-4L4,-2.5L1.5,0L4,2.5L2.5,4L0,1.5L-2.5,4L-4,2.5L-1.5,0z",  // x
    "M-1.5,-4.5h3v3h3v3h-3v3h-3v-3h-3v-3h3z",                                               // plus
    "M0,-4.5L4.3,-1.4L2.6,3.6H-2.6L-4.3,-1.4z",                                             // pentagon
};
const char* const kDashes[] = {"", "7,3", "2,2", "8,3,2,3", "4,4"};
constexpr int kMarkerCount = sizeof(kMarkers) / sizeof(kMarkers[0]);
constexpr int kDashCount = sizeof(kDashes) / sizeof(kDashes[0]);
constexpr double kCharWidth = 6.2;  // rough width of one 11 px sans-serif character

std::string f2(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.2f", v);
  return b;
}

std::string dash_attr(int dash) {
  const char* d = kDashes[((dash % kDashCount) + kDashCount) % kDashCount];
  return *d ? std::string(" stroke-dasharray=\"") + d + "\"" : "";
}

std::string marker(const Style& s, double x, double y) {
  return "<path class=\"mk\" transform=\"translate(" + f2(x) + "," + f2(y) + ")\" d=\"" +
         kMarkers[((s.marker % kMarkerCount) + kMarkerCount) % kMarkerCount] + "\" fill=\"" + escape(s.color) +
         "\" stroke=\"#000\" stroke-width=\"0.7\"/>";
}

// 1, 2 or 5 x 10^k: the smallest at least `raw`.
double nice_step(double raw) {
  if (!(raw > 0) || !std::isfinite(raw)) return 1;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 5.0, 10.0})
    if (m * p >= raw * (1 - 1e-9)) return m * p;
  return 10 * p;
}

bool finite(double v) { return std::isfinite(v); }

// Every value a series draws on one axis (y: points, band and error bars).
std::vector<double> values(const Chart& c, bool y) {
  std::vector<double> v;
  for (const auto& s : c.series) {
    for (double a : y ? s.y : s.x) v.push_back(a);
    if (!y) continue;
    for (double a : s.lo) v.push_back(a);
    for (double a : s.hi) v.push_back(a);
    for (const auto& e : s.err) v.insert(v.end(), {e.lo, e.hi});
    for (const auto& e : s.err2) v.insert(v.end(), {e.lo, e.hi});
  }
  for (const auto& p : c.polylines)
    for (size_t i = y ? 1 : 0; i < p.size(); i += 2) v.push_back(p[i]);
  return v;
}

Range range_of(const Axis& a, const std::vector<double>& v) {
  if (!a.categories.empty()) return {-0.5, static_cast<double>(a.categories.size()) - 0.5};
  if (a.min < a.max) return {a.min, a.max};
  double lo = std::numeric_limits<double>::infinity(), hi = -lo;
  for (double x : v)
    if (finite(x) && (!a.log || x > 0)) lo = std::min(lo, x), hi = std::max(hi, x);
  if (a.log) {
    if (!(lo <= hi)) return {1, 10};
    const double l = std::floor(std::log10(lo) + 1e-9), h = std::ceil(std::log10(hi) - 1e-9);
    return {std::pow(10.0, l), std::pow(10.0, h > l ? h : l + 1)};
  }
  if (!(lo <= hi)) return {0, 1};
  if (lo == hi) {
    const double d = lo == 0 ? 0.5 : std::abs(lo) * 0.05;
    lo -= d, hi += d;
  }
  if (a.integer) {  // rounded out to whole tick steps, points on the ends
    const double step = std::max(1.0, nice_step((hi - lo) / 5));
    return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step};
  }
  // A margin of 4% on each side keeps points and error bars off the frame.
  const double pad = 0.04 * (hi - lo);
  return {lo - pad, hi + pad};
}

double frac(Range r, bool log, double v) {
  if (log) {
    v = std::max(v, r.lo);
    return (std::log10(v) - std::log10(r.lo)) / (std::log10(r.hi) - std::log10(r.lo));
  }
  return (v - r.lo) / (r.hi - r.lo);
}

std::string tick_label(double v, bool log, double step) {
  char b[48];
  if (log) {
    const int k = static_cast<int>(std::lround(std::log10(v)));
    if (k >= -2 && k <= 3) {
      std::snprintf(b, sizeof b, "%.*f", k < 0 ? -k : 0, v);
      return b;
    }
    return "10<tspan dy=\"-5\" font-size=\"9\">" + std::to_string(k) + "</tspan>";
  }
  const int decimals = std::max(0, static_cast<int>(-std::floor(std::log10(step) + 1e-9)));
  std::snprintf(b, sizeof b, "%.*f", decimals, v == 0 ? 0.0 : v);
  return b;
}

std::string truncate(const std::string& s, size_t n) {
  // Counts bytes; labels are ASCII method names in practice.
  return s.size() <= n ? s : s.substr(0, n - 1) + "\xE2\x80\xA6";
}

}  // namespace

std::string escape(const std::string& s) {
  std::string o;
  for (char ch : s) {
    switch (ch) {
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
        o += ch;
    }
  }
  return o;
}

Layout layout(const Chart& c) {
  return {Layout::kLeft, c.width - Layout::kRight - Layout::kLegend, Layout::kTop, c.height - Layout::kBottom};
}

Range x_range(const Chart& c) { return range_of(c.x, values(c, false)); }
Range y_range(const Chart& c) { return range_of(c.y, values(c, true)); }

double px(const Chart& c, double x) {
  const auto l = layout(c);
  return l.left + std::clamp(frac(x_range(c), c.x.log, x), 0.0, 1.0) * (l.right - l.left);
}

double py(const Chart& c, double y) {
  const auto l = layout(c);
  return l.bottom - std::clamp(frac(y_range(c), c.y.log, y), 0.0, 1.0) * (l.bottom - l.top);
}

std::vector<double> ticks(Range r, bool log, bool integer, int target) {
  std::vector<double> t;
  if (log) {
    const int a = static_cast<int>(std::ceil(std::log10(r.lo) - 1e-9)),
              b = static_cast<int>(std::floor(std::log10(r.hi) + 1e-9));
    const int every = std::max(1, (b - a + 6) / 7);  // at most about 7 labels
    for (int k = a; k <= b; k += every) t.push_back(std::pow(10.0, k));
    return t;
  }
  const double step = integer ? std::max(1.0, nice_step((r.hi - r.lo) / target)) : nice_step((r.hi - r.lo) / target);
  for (long k = static_cast<long>(std::ceil(r.lo / step - 1e-9)); k * step <= r.hi + step * 1e-9; ++k)
    t.push_back(k == 0 ? 0.0 : static_cast<double>(k) * step);
  return t;
}

std::string render(const Chart& c) {
  const auto l = layout(c);
  const Range xr = x_range(c), yr = y_range(c);
  // Per-point mappings below avoid recomputing the ranges.
  auto X = [&](double x) { return l.left + std::clamp(frac(xr, c.x.log, x), 0.0, 1.0) * (l.right - l.left); };
  auto Y = [&](double y) { return l.bottom - std::clamp(frac(yr, c.y.log, y), 0.0, 1.0) * (l.bottom - l.top); };
  std::ostringstream o;
  o << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"" << escape(c.id)
    << "\" role=\"img\" aria-label=\"" << escape(c.title) << "\" data-series=\"" << c.series.size()
    << "\" viewBox=\"0 0 " << f2(c.width) << " " << f2(c.height) << "\" width=\"" << f2(c.width) << "\" height=\""
    << f2(c.height) << "\" font-family=\"sans-serif\" font-size=\"11\" fill=\"#000\">\n<title>" << escape(c.title)
    << "</title>\n";
  o << "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\n";
  o << "<text x=\"" << f2(l.left) << "\" y=\"18\" font-size=\"13\" font-weight=\"600\">" << escape(c.title)
    << "</text>\n";

  // Grid, ticks and tick labels.
  o << "<g class=\"axes\" stroke-width=\"1\">\n";
  if (!c.x.categories.empty()) {
    const double spacing = (l.right - l.left) / static_cast<double>(c.x.categories.size());
    size_t widest = 0;
    for (const auto& s : c.x.categories) widest = std::max(widest, s.size());
    const bool stagger = static_cast<double>(widest) * kCharWidth > spacing - 4;
    for (size_t i = 0; i < c.x.categories.size(); ++i) {
      const double x = X(static_cast<double>(i));
      o << "<line x1=\"" << f2(x) << "\" x2=\"" << f2(x) << "\" y1=\"" << f2(l.bottom) << "\" y2=\"" << f2(l.bottom + 4)
        << "\" stroke=\"#000\"/><text x=\"" << f2(x) << "\" y=\"" << f2(l.bottom + (stagger && i % 2 ? 27 : 15))
        << "\" text-anchor=\"middle\">" << escape(c.x.categories[i]) << "</text>\n";
    }
  } else {
    const auto xt = ticks(xr, c.x.log, c.x.integer);
    const double step = xt.size() > 1 ? xt[1] - xt[0] : 1;
    for (double t : xt) {
      const double x = X(t);
      o << "<line x1=\"" << f2(x) << "\" x2=\"" << f2(x) << "\" y1=\"" << f2(l.top) << "\" y2=\"" << f2(l.bottom)
        << "\" stroke=\"#e3e3e3\"/><line x1=\"" << f2(x) << "\" x2=\"" << f2(x) << "\" y1=\"" << f2(l.bottom)
        << "\" y2=\"" << f2(l.bottom + 4) << "\" stroke=\"#000\"/><text x=\"" << f2(x) << "\" y=\"" << f2(l.bottom + 15)
        << "\" text-anchor=\"middle\">" << tick_label(t, c.x.log, step) << "</text>\n";
    }
  }
  {
    const auto yt = ticks(yr, c.y.log, c.y.integer);
    const double step = yt.size() > 1 ? yt[1] - yt[0] : 1;
    for (double t : yt) {
      const double y = Y(t);
      o << "<line x1=\"" << f2(l.left) << "\" x2=\"" << f2(l.right) << "\" y1=\"" << f2(y) << "\" y2=\"" << f2(y)
        << "\" stroke=\"#e3e3e3\"/><line x1=\"" << f2(l.left - 4) << "\" x2=\"" << f2(l.left) << "\" y1=\"" << f2(y)
        << "\" y2=\"" << f2(y) << "\" stroke=\"#000\"/><text x=\"" << f2(l.left - 6) << "\" y=\"" << f2(y + 4)
        << "\" text-anchor=\"end\">" << tick_label(t, c.y.log, step) << "</text>\n";
    }
  }
  o << "<path d=\"M" << f2(l.left) << "," << f2(l.top) << "V" << f2(l.bottom) << "H" << f2(l.right)
    << "\" fill=\"none\" stroke=\"#000\"/>\n";
  o << "<text x=\"" << f2((l.left + l.right) / 2) << "\" y=\"" << f2(l.bottom + 40)
    << "\" text-anchor=\"middle\" font-size=\"12\">" << escape(c.x.label) << "</text>\n";
  o << "<text transform=\"translate(14," << f2((l.top + l.bottom) / 2)
    << ") rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">" << escape(c.y.label) << "</text>\n</g>\n";

  // Extra lines (e.g. a Pareto front), under the data.
  for (const auto& p : c.polylines) {
    o << "<polyline class=\"extra\" fill=\"none\" stroke=\"" << escape(c.polyline_style.color)
      << "\" stroke-width=\"1.2\"" << dash_attr(c.polyline_style.dash) << " points=\"";
    for (size_t i = 0; i + 1 < p.size(); i += 2) o << (i ? " " : "") << f2(X(p[i])) << "," << f2(Y(p[i + 1]));
    o << "\"/>\n";
  }

  for (const auto& s : c.series) {
    const std::string col = escape(s.style.color);
    o << "<g class=\"series\" data-label=\"" << escape(s.label) << "\">\n";
    const size_t n = std::min(s.x.size(), s.y.size());
    if (s.lo.size() == n && s.hi.size() == n && n > 0) {
      o << "<polygon class=\"band\" fill=\"" << col << "\" fill-opacity=\"0.18\" stroke=\"" << col
        << "\" stroke-opacity=\"0.5\" stroke-width=\"0.6\"" << dash_attr(s.style.dash) << " points=\"";
      for (size_t i = 0; i < n; ++i) o << (i ? " " : "") << f2(X(s.x[i])) << "," << f2(Y(s.hi[i]));
      for (size_t i = n; i-- > 0;) o << " " << f2(X(s.x[i])) << "," << f2(Y(s.lo[i]));
      o << "\"/>\n";
    }
    if (s.line && n > 1) {
      o << "<polyline class=\"ln\" fill=\"none\" stroke=\"" << col << "\" stroke-width=\"2\"" << dash_attr(s.style.dash)
        << " points=\"";
      for (size_t i = 0; i < n; ++i) o << (i ? " " : "") << f2(X(s.x[i])) << "," << f2(Y(s.y[i]));
      o << "\"/>\n";
    }
    auto bars = [&](const std::vector<ErrorBar>& e, double dx, double cap, const char* cls, const char* extra) {
      if (e.size() != n) return;
      for (size_t i = 0; i < n; ++i) {
        if (!finite(e[i].lo) || !finite(e[i].hi)) continue;
        const double x = X(s.x[i]) + dx, y0 = Y(e[i].lo), y1 = Y(e[i].hi);
        o << "<path class=\"" << cls << "\" d=\"M" << f2(x) << "," << f2(y0) << "V" << f2(y1) << "M" << f2(x - cap)
          << "," << f2(y0) << "H" << f2(x + cap) << "M" << f2(x - cap) << "," << f2(y1) << "H" << f2(x + cap)
          << "\" stroke=\"" << col << "\" fill=\"none\"" << extra << "/>\n";
      }
    };
    bars(s.err, 0, 5, "err", " stroke-width=\"1.8\"");
    bars(s.err2, s.err2_offset_px, 3.5, "err2", " stroke-width=\"1.2\" stroke-dasharray=\"3,2\"");
    if (s.marker_every > 0)
      for (size_t i = 0; i < n; ++i)
        if (i % static_cast<size_t>(s.marker_every) == 0 || i + 1 == n) o << marker(s.style, X(s.x[i]), Y(s.y[i]));
    o << "\n</g>\n";
  }

  // Legend column right of the plot: line sample with its dash, marker, label.
  o << "<g class=\"legend\">\n";
  double y = l.top + 8;
  const double x0 = l.right + 14;
  for (const auto& s : c.series) {
    o << "<g><title>" << escape(s.label) << "</title><line x1=\"" << f2(x0) << "\" x2=\"" << f2(x0 + 24) << "\" y1=\""
      << f2(y) << "\" y2=\"" << f2(y) << "\" stroke=\"" << escape(s.style.color) << "\" stroke-width=\"2\""
      << dash_attr(s.style.dash) << "/>" << marker(s.style, x0 + 12, y) << "<text x=\"" << f2(x0 + 30) << "\" y=\""
      << f2(y + 4) << "\">" << escape(truncate(s.label, 20)) << "</text></g>\n";
    y += 18;
  }
  // Notes may span lines ('\n'): e.g. what a kind of error bar means.
  for (const auto& n : c.notes) {
    o << "<g><line x1=\"" << f2(x0) << "\" x2=\"" << f2(x0 + 24) << "\" y1=\"" << f2(y) << "\" y2=\"" << f2(y)
      << "\" stroke=\"" << escape(n.color) << "\" stroke-width=\"" << f2(n.width) << "\"" << dash_attr(n.dash) << "/>";
    std::istringstream lines(n.label);
    std::string line;
    for (bool first = true; std::getline(lines, line); first = false) {
      if (!first) y += 14;
      o << "<text x=\"" << f2(x0 + 30) << "\" y=\"" << f2(y + 4) << "\">" << escape(truncate(line, 20)) << "</text>";
    }
    o << "</g>\n";
    y += 18;
  }
  o << "</g>\n</svg>\n";
  return o.str();
}

}  // namespace nrs::svg

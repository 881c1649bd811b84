// A small writer of inline SVG charts for the leaderboard page: lines,
// points, shaded bands and error bars on linear, log or categorical axes,
// with ticks, labelled axes and a legend. Black text on white and a marker
// shape and dash pattern per series, so that a printed page stays readable
// without colour. No script, no external reference (no href, no url()).
#pragma once
#include <string>
#include <vector>

namespace nrs::svg {

// How a series is drawn. The page keys one Style per method, so that a
// method looks the same in every chart.
struct Style {
  std::string color;  // e.g. "#0072B2"
  int marker = 0;     // index into the marker shapes (circle, square, ...)
  int dash = 0;       // index into the dash patterns (solid, dashed, ...)
};

// Error bar of one point: [lo, hi] in data units.
struct ErrorBar {
  double lo = 0, hi = 0;
};

struct Series {
  std::string label;
  Style style;
  std::vector<double> x, y;
  bool line = true;            // join the points
  int marker_every = 1;        // marker on every k-th point (0: none)
  std::vector<double> lo, hi;  // optional shaded band (same length as x)
  std::vector<ErrorBar> err;   // optional error bars (same length as x)
  std::vector<ErrorBar> err2;  // optional second error bars, drawn thin, dashed and offset
  double err2_offset_px = 0;   // horizontal offset of err2 from the point
};

struct Axis {
  std::string label;  // with the unit, e.g. "cost per step (x SGD)"
  bool log = false;   // log10 scale; values <= 0 are clamped to the lower end
  // Fixed range when min < max; otherwise the data range widened by 4% on
  // each side, or on integer axes rounded out to whole tick steps, or on log
  // axes rounded out to powers of ten.
  double min = 0, max = 0;
  // Categorical axis: tick i at x = i is labelled categories[i] and the
  // range is [-0.5, n - 0.5].
  std::vector<std::string> categories;
  bool integer = false;  // tick steps of at least 1 (e.g. epochs)
};

// A legend entry that is not a data series (e.g. "Pareto front"); '\n'
// in the label starts another line.
struct LegendNote {
  std::string label;
  std::string color = "#000";
  int dash = 0;
  double width = 1.5;
};

struct Chart {
  std::string id;     // unique on the page
  std::string title;  // drawn above the plot, and the <title>/aria-label
  Axis x, y;
  std::vector<Series> series;
  std::vector<LegendNote> notes;
  std::vector<std::vector<double>> polylines;  // extra lines as x0,y0,x1,y1,... drawn under the series
  LegendNote polyline_style;                   // their colour and dash
  double width = 540, height = 330;
};

// Plot area in SVG user units: the data range maps onto [left, right] x
// [top, bottom] (y grows downwards). The margins hold the title (top), tick
// labels and axis labels (left, bottom) and the legend column (right).
struct Layout {
  static constexpr double kLeft = 62, kTop = 30, kBottom = 46, kRight = 12, kLegend = 150;
  double left, right, top, bottom;
};
Layout layout(const Chart& c);

// The axis ranges actually drawn (fixed, categorical, or rounded-out data range).
struct Range {
  double lo, hi;
};
Range x_range(const Chart& c);
Range y_range(const Chart& c);

// Data to SVG user coordinates.
double px(const Chart& c, double x);
double py(const Chart& c, double y);

// Tick values for [lo, hi]: multiples of a 1/2/5 x 10^k step, about `target`
// of them (linear; the step at least 1 when `integer`), or the powers of ten
// in range (log).
std::vector<double> ticks(Range r, bool log, bool integer = false, int target = 5);

// <svg ...>...</svg> with role="img", aria-label, <title> and data-series =
// the number of data series (legend notes and extra lines not counted).
std::string render(const Chart& c);

std::string escape(const std::string& s);  // XML text and attribute escaping

}  // namespace nrs::svg

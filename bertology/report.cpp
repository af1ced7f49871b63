// The run report (see report.h): SVG heatmaps and the masking curve built as strings, the HTML
// page around them, and the terminal heatmap. Layout numbers are in SVG user units (pixels).
#include <bertology/bertology/report.h>
#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/tensor/error.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <sstream>

namespace bertology {
namespace {

using Json = nlohmann::ordered_json;

const char* const kFont = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif";
const char* const kMaskedColour = "#e4e7eb";
const char* const kMissingColour = "#9aa0a6";

std::string format(const char* spec, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, spec, value);
  return buffer;
}
std::string exact(double v) { return format("%.9g", v); }    // float32 reads back exactly
std::string short_number(double v) { return format("%.4g", v); }
std::string px(double v) { return format("%.1f", v); }

// ---- colours ---------------------------------------------------------------------------------

using Rgb = std::array<int, 3>;

Rgb interpolate(const std::vector<Rgb>& stops, double t) {
  t = std::clamp(t, 0.0, 1.0) * static_cast<double>(stops.size() - 1);
  const size_t i = std::min(static_cast<size_t>(t), stops.size() - 2);
  const double f = t - static_cast<double>(i);
  Rgb out;
  for (int c = 0; c < 3; ++c) out[c] = static_cast<int>(std::lround(stops[i][c] + f * (stops[i + 1][c] - stops[i][c])));
  return out;
}

// Blue (t = 0) - white (t = 0.5) - red (t = 1), ColorBrewer's RdBu.
Rgb diverging(double t) {
  static const std::vector<Rgb> stops = {{33, 102, 172}, {103, 169, 207}, {209, 229, 240}, {247, 247, 247},
                                         {253, 219, 199}, {239, 138, 98},  {178, 24, 43}};
  return interpolate(stops, t);
}

// How a table's values map to colours: the range, and t in [0, 1] for a value.
struct ColourScale {
  HeatmapScale kind;
  double low = 0, high = 0;  // Sequential: min and max; Diverging: -max|v| and +max|v|

  ColourScale(const HeadTable& table, HeatmapScale scale) : kind(scale) {
    double lo = std::numeric_limits<double>::infinity(), hi = -lo;
    for (const auto& row : table)
      for (double v : row)
        if (std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
    if (lo > hi) lo = hi = 0;  // no finite value
    if (kind == HeatmapScale::Diverging) {
      const double m = std::max(std::abs(lo), std::abs(hi));
      lo = m > 0 ? -m : 0.0, hi = m;  // never "-0"
    }
    if (kind == HeatmapScale::Mask) lo = 0, hi = 1;
    low = lo, high = hi;
  }
  double position(double v) const { return high > low ? (v - low) / (high - low) : 0.5; }
  std::string colour(double v) const {
    if (!std::isfinite(v)) return kMissingColour;
    if (kind == HeatmapScale::Mask) return v != 0 ? css_colour(viridis(0.35)) : kMaskedColour;
    return css_colour(kind == HeatmapScale::Diverging ? diverging(position(v)) : viridis(position(v)));
  }
};

// ---- the heatmap's legend ----------------------------------------------------------------------

// A vertical colour bar (high at the top) with its labels, at (x, y), `height` tall.
std::string colour_bar(const ColourScale& scale, double x, double y, double height) {
  std::ostringstream s;
  const int slices = 48;
  const double slice = height / slices;
  for (int i = 0; i < slices; ++i) {
    const double t = 1.0 - (i + 0.5) / slices;
    const Rgb rgb = scale.kind == HeatmapScale::Diverging ? diverging(t) : viridis(t);
    s << "<rect x=\"" << px(x) << "\" y=\"" << px(y + i * slice) << "\" width=\"12\" height=\"" << px(slice + 0.6)
      << "\" fill=\"" << css_colour(rgb) << "\"/>";
  }
  s << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"12\" height=\"" << px(height)
    << "\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"0.5\"/>";
  auto label = [&](double at, const std::string& text) {
    s << "<text x=\"" << px(x + 17) << "\" y=\"" << px(at) << "\" dominant-baseline=\"middle\">" << html_escape(text)
      << "</text>";
  };
  label(y + 5, "max " + short_number(scale.high));
  if (scale.kind == HeatmapScale::Diverging) label(y + height / 2, "0");
  label(y + height - 5, "min " + short_number(scale.low));
  return s.str();
}

std::string mask_legend(double x, double y) {
  std::ostringstream s;
  const std::pair<const char*, std::string> items[] = {{"kept", css_colour(viridis(0.35))}, {"masked", kMaskedColour}};
  for (const auto& [name, fill] : items) {
    s << "<rect x=\"" << px(x) << "\" y=\"" << px(y) << "\" width=\"12\" height=\"12\" fill=\"" << fill
      << "\" stroke=\"#8c959f\" stroke-width=\"0.5\"/><text x=\"" << px(x + 17) << "\" y=\"" << px(y + 6)
      << "\" dominant-baseline=\"middle\">" << name << "</text>";
    y += 20;
  }
  return s.str();
}

// ---- the masking curve -------------------------------------------------------------------------

// Tick values for [lo, hi]: a 1-2-5 step giving about `count` ticks; lo and hi widen to them.
std::vector<double> nice_ticks(double& lo, double& hi, int count) {
  if (!(hi > lo)) {
    const double pad = std::abs(hi) > 0 ? std::abs(hi) * 0.05 : 1.0;
    lo -= pad, hi += pad;
  }
  const double raw = (hi - lo) / count, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (double m : {1.0, 2.0, 5.0})
    if (raw <= m * magnitude) {
      step = m * magnitude;
      break;
    }
  lo = std::floor(lo / step + 1e-9) * step;
  hi = std::ceil(hi / step - 1e-9) * step;
  std::vector<double> ticks;
  const double count_ticks = std::round((hi - lo) / step);  // NaN or huge only for degenerate input
  for (int i = 0; count_ticks <= 100 && i <= count_ticks; ++i) {
    const double t = lo + i * step;
    ticks.push_back(std::abs(t) < step * 1e-9 ? 0.0 : t);
  }
  return ticks;
}

// json[key] when it is an object, else an empty object (so .value() gives the fallbacks).
const Json& member(const Json& json, const char* key) {
  static const Json empty = Json::object();
  if (!json.is_object() || !json.contains(key) || !json[key].is_object()) return empty;
  return json[key];
}

// json[key] when it is a number, else fallback (results.json writes NaN as null).
double number(const Json& json, const char* key, double fallback = std::numeric_limits<double>::quiet_NaN()) {
  return json.is_object() && json.contains(key) && json[key].is_number() ? json[key].get<double>() : fallback;
}

struct CurvePoint {
  double kept;  // fraction of heads kept
  double score;
  bool meets_threshold;
  int64_t heads_remaining;
};

// x = fraction of heads kept, y = score: the original score first, then every masking step.
std::string masking_curve_svg(const Json& results) {
  const Json &masking = member(results, "masking"), &model = member(results, "model"), &task = member(results, "task");
  const double original = number(results, "original_score"), threshold = number(masking, "threshold", 0.9);
  const auto total = static_cast<int64_t>(number(model, "layers", 0) * number(model, "heads", 0));
  const std::string metric = task.value("metric", std::string("score"));
  const bool lower_is_better = metric == "perplexity";
  const double limit = lower_is_better ? original / threshold : original * threshold;
  std::vector<CurvePoint> points = {{1.0, original, true, total}};
  for (const Json& step : masking.value("trajectory", Json::array())) {
    const auto remaining = static_cast<int64_t>(number(step, "heads_remaining", 0));
    points.push_back({total > 0 ? static_cast<double>(remaining) / total : 0.0, number(step, "score"),
                      step.value("meets_threshold", false), remaining});
  }
  size_t final_index = 0;  // the last point that met the threshold: the final mask
  for (size_t i = 0; i < points.size() && points[i].meets_threshold; ++i) final_index = i;

  const double width = 720, height = 400, left = 72, right = 28, top = 24, bottom = 84;
  double x_lo = 1, x_hi = 1, y_lo = std::numeric_limits<double>::infinity(), y_hi = -y_lo;
  for (const CurvePoint& p : points) {
    x_lo = std::min(x_lo, p.kept);
    for (double y : {p.score, limit})
      if (std::isfinite(y)) y_lo = std::min(y_lo, y), y_hi = std::max(y_hi, y);
  }
  if (y_lo > y_hi) y_lo = 0, y_hi = 1;  // no finite score at all
  x_lo = std::max(0.0, x_lo - 0.05);
  const std::vector<double> x_ticks = nice_ticks(x_lo, x_hi, 6), y_ticks = nice_ticks(y_lo, y_hi, 5);
  auto sx = [&](double v) { return left + (v - x_lo) / (x_hi - x_lo) * (width - left - right); };
  auto sy = [&](double v) { return height - bottom - (v - y_lo) / (y_hi - y_lo) * (height - top - bottom); };

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"" << width << "\" height=\"" << height
    << "\" viewBox=\"0 0 " << width << " " << height << "\" font-family=\"" << kFont
    << "\" font-size=\"12\" fill=\"#1f2328\" role=\"img\" aria-label=\"score against fraction of heads kept\">";
  for (double t : y_ticks)
    s << "<line x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << px(sy(t)) << "\" y2=\"" << px(sy(t))
      << "\" stroke=\"#eaeef2\"/><text x=\"" << left - 8 << "\" y=\"" << px(sy(t))
      << "\" text-anchor=\"end\" dominant-baseline=\"middle\">" << short_number(t) << "</text>";
  for (double t : x_ticks)
    s << "<line y1=\"" << top << "\" y2=\"" << height - bottom << "\" x1=\"" << px(sx(t)) << "\" x2=\"" << px(sx(t))
      << "\" stroke=\"#eaeef2\"/><text x=\"" << px(sx(t)) << "\" y=\"" << height - bottom + 18
      << "\" text-anchor=\"middle\">" << format("%.0f%%", t * 100) << "</text>";
  s << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << width - left - right << "\" height=\""
    << height - top - bottom << "\" fill=\"none\" stroke=\"#8c959f\"/>";
  s << "<text x=\"" << px((left + width - right) / 2) << "\" y=\"" << height - bottom + 40
    << "\" text-anchor=\"middle\">fraction of heads kept</text>";
  s << "<text transform=\"translate(18 " << px((top + height - bottom) / 2) << ") rotate(-90)\" text-anchor=\"middle\">"
    << html_escape(metric) << "</text>";

  // The threshold, dashed, labelled at its right end.
  s << "<line class=\"threshold\" x1=\"" << left << "\" x2=\"" << width - right << "\" y1=\"" << px(sy(limit))
    << "\" y2=\"" << px(sy(limit)) << "\" stroke=\"#cf222e\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>";
  s << "<text x=\"" << width - right - 6 << "\" y=\"" << px(sy(limit) + (lower_is_better ? 14 : -6))
    << "\" text-anchor=\"end\" fill=\"#cf222e\">threshold "
    << (lower_is_better ? "original / " + short_number(threshold) : short_number(threshold) + " \u00d7 original")
    << " = " << short_number(limit) << "</text>";

  s << "<polyline fill=\"none\" stroke=\"#2a788e\" stroke-width=\"2\" points=\"";
  for (const CurvePoint& p : points)
    if (std::isfinite(p.score)) s << px(sx(p.kept)) << "," << px(sy(p.score)) << " ";
  s << "\"/>";
  for (size_t i = 0; i < points.size(); ++i) {
    const CurvePoint& p = points[i];
    if (!std::isfinite(p.score)) continue;
    const std::string cx = px(sx(p.kept)), cy = px(sy(p.score));
    if (i == final_index)
      s << "<circle cx=\"" << cx << "\" cy=\"" << cy
        << "\" r=\"9\" fill=\"none\" stroke=\"#1f2328\" stroke-width=\"1.5\"/>";
    s << "<circle class=\"" << (p.meets_threshold ? "meets" : "fails") << "\" cx=\"" << cx << "\" cy=\"" << cy << "\" "
      << (p.meets_threshold ? "r=\"4.5\" fill=\"#2a788e\""
                            : "r=\"5\" fill=\"#ffffff\" stroke=\"#cf222e\" stroke-width=\"2\"")
      << "><title>" << p.heads_remaining << " of " << total << " heads kept (" << format("%.1f%%", p.kept * 100)
      << "): score " << format("%.6g", p.score) << (i == 0 ? ", the original model" : "")
      << (p.meets_threshold ? "" : ", below the threshold") << "</title></circle>";
  }

  // Legend, under the axis title.
  const double ly = height - 18;
  s << "<circle cx=\"" << left + 6 << "\" cy=\"" << ly << "\" r=\"4.5\" fill=\"#2a788e\"/><text x=\"" << left + 16
    << "\" y=\"" << ly << "\" dominant-baseline=\"middle\">meets the threshold</text>";
  s << "<circle cx=\"" << left + 166 << "\" cy=\"" << ly
    << "\" r=\"5\" fill=\"#ffffff\" stroke=\"#cf222e\" stroke-width=\"2\"/><text x=\"" << left + 176 << "\" y=\"" << ly
    << "\" dominant-baseline=\"middle\">below the threshold</text>";
  s << "<circle cx=\"" << left + 326 << "\" cy=\"" << ly
    << "\" r=\"9\" fill=\"none\" stroke=\"#1f2328\" stroke-width=\"1.5\"/><text x=\"" << left + 342 << "\" y=\"" << ly
    << "\" dominant-baseline=\"middle\">final mask</text>";
  s << "</svg>";
  return s.str();
}

// ---- reading results.json ------------------------------------------------------------------------

// results[k0][k1]...; nullptr when any key is absent.
const Json* lookup(const Json& json, std::initializer_list<const char*> keys) {
  const Json* at = &json;
  for (const char* key : keys) {
    if (!at->is_object() || !at->contains(key)) return nullptr;
    at = &(*at)[key];
  }
  return at;
}

// A value for display: strings as they are, numbers with 6 digits, "—" when absent.
std::string show(const Json* value) {
  if (value == nullptr || value->is_null()) return "\u2014";
  if (value->is_string()) return value->get<std::string>();
  if (value->is_number_float()) return format("%.6g", value->get<double>());
  return value->dump();
}

// A table row <tr><th>name</th><td>value</td></tr>, the value escaped.
std::string row(const std::string& name, const std::string& value) {
  return "<tr><th>" + html_escape(name) + "</th><td>" + html_escape(value) + "</td></tr>\n";
}

std::string stat(const std::string& label, const std::string& value, const std::string& note = "", bool wide = false) {
  return std::string(wide ? "<div class=\"stat wide\">" : "<div class=\"stat\">") + "<div class=\"label\">" +
         html_escape(label) + "</div><div class=\"value\">" + html_escape(value) + "</div>" +
         (note.empty() ? "" : "<div class=\"note\">" + html_escape(note) + "</div>") + "</div>\n";
}

std::string figure(const std::string& svg, const std::string& caption) {
  return "<figure>" + svg + "<figcaption>" + html_escape(caption) + "</figcaption></figure>\n";
}

const char* const kStyle = R"(
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1240px; margin: 0 auto; padding: 32px 24px 48px; }
h1 { font-size: 28px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 0 0 14px; }
.subtitle { color: #59636e; margin: 0 0 18px; }
section { background: #fff; border: 1px solid #d1d9e0; border-radius: 10px; padding: 20px 24px; margin: 0 0 20px; }
pre { margin: 0; padding: 12px 14px; border-radius: 8px; background: #0d1117; color: #e6edf3;
  font: 13px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-all; }
.versions { color: #59636e; font-size: 13px; margin-top: 8px; }
.stats { display: grid; grid-template-columns: repeat(auto-fit, minmax(160px, 1fr)); gap: 14px; }
.stat { background: #f6f8fa; border-radius: 8px; padding: 10px 14px; }
.stat.wide { grid-column: span 2; }
.stat.wide .value { font-size: 18px; }
.stat .label { color: #59636e; font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; }
.stat .value { font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
.stat .note { color: #59636e; font-size: 12px; }
.figures { display: flex; flex-wrap: wrap; gap: 28px; align-items: flex-start; }
figure { margin: 0; display: table; }  /* the caption wraps at the heatmap's width */
figcaption { display: table-caption; caption-side: bottom; color: #59636e; font-size: 13px; margin-top: 4px; }
svg rect.cell:hover { stroke: #1f2328; stroke-width: 2; }
.tables { display: flex; flex-wrap: wrap; gap: 40px; align-items: flex-start; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 5px 16px 5px 0; border-bottom: 1px solid #eaeef2; vertical-align: top; }
th { font-weight: 500; color: #59636e; white-space: nowrap; }
details summary { cursor: pointer; }
.message { color: #59636e; font-style: italic; }
footer { color: #8c959f; font-size: 12px; text-align: center; }
)";

std::string summary_section(const Json& results) {
  const Json* layers = lookup(results, {"model", "layers"});
  const Json* heads = lookup(results, {"model", "heads"});
  const Json* masked = lookup(results, {"masking", "heads_masked"});
  std::string s = "<section id=\"summary\"><h2>Summary</h2><div class=\"stats\">\n";
  s += stat("Model", show(lookup(results, {"model", "class"})),
            show(layers) + " layers \u00d7 " + show(heads) + " heads", /*wide=*/true);
  s += stat("Task", show(lookup(results, {"task", "name"})),
            show(lookup(results, {"task", "examples"})) + " examples, " + show(lookup(results, {"task", "tokens"})) +
                " tokens");
  s += stat("Metric", show(lookup(results, {"task", "metric"})));
  s += stat("Original score", show(lookup(results, {"original_score"})), "all heads");
  if (masked != nullptr) {
    const auto total = static_cast<int64_t>(number(member(results, "model"), "layers", 0) *
                                            number(member(results, "model"), "heads", 0));
    s += stat("Final score", show(lookup(results, {"masking", "final_score"})), "after masking");
    s += stat("Heads masked", show(masked), "of " + std::to_string(total));
  } else {
    s += stat("Final score", show(lookup(results, {"original_score"})), "masking not run");
  }
  return s + "</div></section>\n";
}

std::string heatmaps_section(const Json& results) {
  std::string s = "<section id=\"heatmaps\"><h2>Heads</h2><div class=\"figures\">\n";
  if (const Json* t = lookup(results, {"head_importance"}))
    s += figure(heatmap_svg(head_table(*t), "Head importance", HeatmapScale::Sequential),
                "Michel et al.'s |\u2202loss/\u2202\u03be| per head (normalised as the options say); hover a cell for "
                "its value.");
  if (const Json* t = lookup(results, {"attn_entropy"}))
    s += figure(heatmap_svg(head_table(*t), "Attention entropy", HeatmapScale::Sequential),
                "Entropy of each head's attention, averaged over non-padding query tokens (nats).");
  if (const Json* t = lookup(results, {"head_mask"}))
    s += figure(heatmap_svg(head_table(*t), "Final head mask", HeatmapScale::Mask),
                results.contains("masking") ? "The last mask that met the threshold."
                                            : "Every head kept: masking was not run.");
  return s + "</div></section>\n";
}

std::string masking_section(const Json& results) {
  std::string s = "<section id=\"masking\"><h2>Iterative masking</h2>\n";
  if (!results.contains("masking"))
    return s + "<p class=\"message\">Masking was not run (pass --try-masking to run it).</p></section>\n";
  const Json& m = results["masking"];
  s += "<p>Each step masks the least important heads still present, re-measures importance and re-scores; the final "
       "mask is the last one whose score met the threshold (masking amount " +
       html_escape(show(lookup(m, {"amount"}))) + ", threshold " + html_escape(show(lookup(m, {"threshold"}))) +
       ").</p>\n";
  return s + masking_curve_svg(results) + "</section>\n";
}

std::string pruning_and_timings_section(const Json& results) {
  std::string s = "<section id=\"pruning\"><h2>Parameters and timings</h2><div class=\"tables\">\n";
  if (const Json* p = lookup(results, {"pruning"})) {
    s += "<table><caption hidden>pruning</caption>\n";
    s += row("parameters before pruning", show(lookup(*p, {"parameters_before"})));
    s += row("parameters after pruning", show(lookup(*p, {"parameters_after"})));
    const double before = number(*p, "parameters_before"), after = number(*p, "parameters_after");
    if (before > 0 && after >= 0) s += row("parameters kept", format("%.1f%%", 100.0 * after / before));
    std::string pruned;
    int64_t pruned_count = 0;
    if (const Json* heads = lookup(*p, {"heads_pruned"}))
      for (const auto& [layer, list] : heads->items()) {
        pruned += (pruned.empty() ? "" : "; ") + std::string("layer ") + std::to_string(std::stoll(layer) + 1) + ":";
        for (const Json& h : list) pruned += " " + std::to_string(h.get<int64_t>() + 1), ++pruned_count;
      }
    s += "<tr><th>heads pruned</th><td>" +
         (pruned.empty() ? std::string("none")
                         : "<details><summary>" + std::to_string(pruned_count) + " (layer: heads, 1-based)</summary>" +
                               html_escape(pruned) + "</details>") +
         "</td></tr>\n";
    s += row("score, masked", show(lookup(*p, {"score_masked"})));
    s += row("score, pruned", show(lookup(*p, {"score_pruned"})));
    s += row("evaluation time, masked (s)", show(lookup(*p, {"seconds_masked"})));
    s += row("evaluation time, pruned (s)", show(lookup(*p, {"seconds_pruned"})));
    s += row("speed-up (masked / pruned time)", show(lookup(*p, {"speedup_masked_over_pruned"})));
    s += "</table>\n";
  } else {
    s += "<p class=\"message\">No pruning: masking was not run.</p>\n";
  }
  s += "<table>\n";
  if (const Json* timings = lookup(results, {"timings"}))  // "statistics_pass_seconds" -> "statistics pass (s)"
    for (const auto& [key, seconds] : timings->items()) {
      std::string name = key == "total_seconds" ? "whole run" : key.substr(0, key.rfind("_seconds"));
      std::replace(name.begin(), name.end(), '_', ' ');
      s += row(name + " (s)", show(&seconds));
    }
  return s + "</table></div></section>\n";
}

// results["ablation"]: the loss change and the metric change (or drop) with each head masked
// alone, and their Spearman correlations with the gradient importance.
std::string ablation_section(const Json& results) {
  const Json* a = lookup(results, {"ablation"});
  if (a == nullptr) return "";
  const bool drop = !a->contains("metric_change") && a->contains("metric_drop");
  const std::string metric_word = drop ? "drop" : "change";
  std::string s = "<section id=\"ablation\"><h2>Ablation</h2>\n<p>Each head masked alone. Spearman correlation of "
                  "the importance with the loss change: <b>" +
                  html_escape(show(lookup(*a, {"spearman_loss"}))) + "</b>, with the metric " + metric_word +
                  ": <b>" + html_escape(show(lookup(*a, {"spearman_metric"}))) + "</b>.</p>\n<div class=\"figures\">\n";
  if (const Json* t = lookup(*a, {"loss_change"}))
    s += figure(heatmap_svg(head_table(*t), "Loss change", HeatmapScale::Diverging),
                "Loss with the head masked minus the loss with every head (red: the loss rises).");
  if (const Json* t = lookup(*a, {drop ? "metric_drop" : "metric_change"}))
    s += figure(heatmap_svg(head_table(*t), "Metric " + metric_word, HeatmapScale::Diverging),
                drop ? "Original metric minus the metric with the head masked."
                     : "Metric with the head masked minus the original metric.");
  return s + "</div></section>\n";
}

std::string details_section(const Json& results) {
  std::string s = "<section id=\"details\"><h2>Run details</h2><table>\n";
  s += row("model folder", show(lookup(results, {"model", "dir"})));
  if (const Json* options = lookup(results, {"options"}))
    for (const auto& [name, value] : options->items()) s += row(name, show(&value));
  return s + "</table></section>\n";
}

}  // namespace

// ---- shared helpers ----------------------------------------------------------------------------

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::array<int, 3> viridis(double t) {
  // matplotlib's viridis at 0, 0.1, ..., 1.
  static const std::vector<Rgb> stops = {{68, 1, 84},    {72, 36, 117},  {65, 68, 135},  {53, 95, 141},
                                         {42, 120, 142}, {33, 145, 140}, {34, 168, 132}, {68, 191, 112},
                                         {122, 209, 81}, {189, 223, 38}, {253, 231, 37}};
  return interpolate(stops, t);
}

std::string css_colour(const std::array<int, 3>& rgb) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "#%02x%02x%02x", rgb[0] & 255, rgb[1] & 255, rgb[2] & 255);
  return buffer;
}

HeadTable head_table(const nlohmann::ordered_json& rows) {
  HeadTable table;
  if (!rows.is_array()) throw Error("report: a head table must be an array of rows");
  for (const Json& r : rows) {
    std::vector<double>& out = table.emplace_back();
    for (const Json& v : r) out.push_back(v.is_number() ? v.get<double>() : std::numeric_limits<double>::quiet_NaN());
  }
  return table;
}

// ---- heatmaps ------------------------------------------------------------------------------------

std::string heatmap_svg(const HeadTable& table, const std::string& title, HeatmapScale scale) {
  const int64_t layers = static_cast<int64_t>(table.size());
  int64_t heads = 0;
  for (const auto& r : table) heads = std::max(heads, static_cast<int64_t>(r.size()));
  const ColourScale colours(table, scale);
  const double cell = std::clamp(288.0 / static_cast<double>(std::max<int64_t>({layers, heads, 1})), 12.0, 28.0);
  const double left = 74, top = 46, grid_w = heads * cell, grid_h = layers * cell;
  const double legend_x = left + grid_w + 18, legend_h = std::max(grid_h, 84.0);
  const double width = legend_x + 100, height = top + legend_h + 12;

  std::ostringstream s;
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"heatmap\" width=\"" << px(width) << "\" height=\""
    << px(height) << "\" viewBox=\"0 0 " << px(width) << " " << px(height) << "\" font-family=\"" << kFont
    << "\" font-size=\"11\" fill=\"#1f2328\" role=\"img\" aria-label=\"" << html_escape(title) << "\">";
  s << "<title>" << html_escape(title) << "</title>";
  s << "<text x=\"0\" y=\"16\" font-size=\"14\" font-weight=\"600\">" << html_escape(title) << "</text>";
  s << "<text x=\"" << px(left - 8) << "\" y=\"" << px(top - 8) << "\" text-anchor=\"end\" fill=\"#59636e\">"
    << "layer \\ head</text>";
  for (int64_t h = 0; h < heads; ++h)
    s << "<text x=\"" << px(left + (h + 0.5) * cell) << "\" y=\"" << px(top - 8) << "\" text-anchor=\"middle\">"
      << h + 1 << "</text>";
  for (int64_t l = 0; l < layers; ++l)
    s << "<text x=\"" << px(left - 8) << "\" y=\"" << px(top + (l + 0.5) * cell)
      << "\" text-anchor=\"end\" dominant-baseline=\"middle\">" << l + 1 << "</text>";
  s << "<g stroke=\"#ffffff\" stroke-width=\"1\">";
  for (int64_t l = 0; l < layers; ++l)
    for (int64_t h = 0; h < static_cast<int64_t>(table[l].size()); ++h) {
      const double v = table[l][h];
      s << "<rect class=\"cell\" x=\"" << px(left + h * cell) << "\" y=\"" << px(top + l * cell) << "\" width=\""
        << px(cell) << "\" height=\"" << px(cell) << "\" fill=\"" << colours.colour(v) << "\" data-layer=\"" << l
        << "\" data-head=\"" << h << "\" data-value=\"" << exact(v) << "\"><title>layer " << l + 1 << ", head "
        << h + 1 << ": " << format("%.6g", v) << "</title></rect>";
    }
  s << "</g>";
  s << (scale == HeatmapScale::Mask ? mask_legend(legend_x, top) : colour_bar(colours, legend_x, top, legend_h));
  s << "</svg>";
  return s.str();
}

std::string render_report_html(const nlohmann::ordered_json& results) {
  const std::string model = show(lookup(results, {"model", "class"})), task = show(lookup(results, {"task", "name"}));
  std::string versions;
  if (const Json* v = lookup(results, {"versions"}))
    for (const auto& [name, value] : v->items())
      versions += (versions.empty() ? "" : " \u00b7 ") + name + " " + show(&value);

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>BERTology report: " + html_escape(model + " on " + task) + "</title>\n<style>" + kStyle +
                     "</style>\n</head>\n<body>\n<main>\n";
  page += "<header><h1>BERTology report</h1><p class=\"subtitle\">" + html_escape(model) + " on " + html_escape(task) +
          "</p></header>\n";
  page += "<section id=\"command\"><h2>Command line</h2><pre>" + html_escape(show(lookup(results, {"command_line"}))) +
          "</pre><div class=\"versions\">" + html_escape(versions) + "</div></section>\n";
  page += summary_section(results);
  page += heatmaps_section(results);
  page += masking_section(results);
  page += pruning_and_timings_section(results);
  page += ablation_section(results);
  page += details_section(results);
  page += "<footer>Written by bertology run; self-contained, no network access needed.</footer>\n";
  return page + "</main>\n</body>\n</html>\n";
}

void write_run_report(const std::string& directory, const nlohmann::ordered_json& results) {
  const std::filesystem::path dir(directory);
  write_file_atomically((dir / "report.html").string(), render_report_html(results));
  struct HeatmapFile {
    const char* key;  // in results.json, and the file's name without ".svg"
    const char* title;
    HeatmapScale scale;
  };
  const HeatmapFile files[] = {{"head_importance", "Head importance", HeatmapScale::Sequential},
                               {"attn_entropy", "Attention entropy", HeatmapScale::Sequential},
                               {"head_mask", "Final head mask", HeatmapScale::Mask}};
  for (const HeatmapFile& f : files) {
    if (!results.contains(f.key)) continue;
    write_file_atomically((dir / (std::string(f.key) + ".svg")).string(),
                          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" +
                              heatmap_svg(head_table(results[f.key]), f.title, f.scale) + "\n");
  }
}

// ---- terminal -------------------------------------------------------------------------------------

std::string terminal_heatmap(const HeadTable& table, const std::string& title, bool colour) {
  static const char* const kShades[] = {" ", "\u2591", "\u2592", "\u2593", "\u2588"};  // " ░▒▓█"
  const ColourScale scale(table, HeatmapScale::Sequential);
  size_t heads = 0;
  for (const auto& r : table) heads = std::max(heads, r.size());
  const int label_width = static_cast<int>(std::string("layer ").size() + std::to_string(table.size()).size());
  // One cell: two characters, a coloured background or a shade.
  auto cell = [&](double v, bool known) {
    if (colour) {
      const Rgb rgb = known ? viridis(scale.position(v)) : Rgb{154, 160, 166};
      return "\x1b[48;2;" + std::to_string(rgb[0]) + ";" + std::to_string(rgb[1]) + ";" + std::to_string(rgb[2]) +
             "m  \x1b[0m";
    }
    if (!known) return std::string("??");
    const std::string shade = kShades[std::lround(std::clamp(scale.position(v), 0.0, 1.0) * 4)];
    return shade + shade;
  };

  auto right_aligned = [](const std::string& text, size_t width) {
    return std::string(width > text.size() ? width - text.size() : 0, ' ') + text;
  };
  std::ostringstream out;
  out << title << "\n" << right_aligned("head", static_cast<size_t>(label_width)) << " ";
  for (size_t h = 0; h < heads; ++h) out << right_aligned(std::to_string(h + 1), 2);
  out << "\n";
  for (size_t l = 0; l < table.size(); ++l) {
    out << "layer " << right_aligned(std::to_string(l + 1), static_cast<size_t>(label_width) - 6) << " ";
    for (double v : table[l]) out << cell(v, std::isfinite(v));
    out << "\n";
  }
  out << std::string(static_cast<size_t>(label_width + 1), ' ') << "min " << short_number(scale.low) << " ";
  for (int i = 0; i < 5; ++i) out << cell(scale.low + (scale.high - scale.low) * i / 4.0, true);
  out << " max " << short_number(scale.high) << "\n";
  return out.str();
}

}  // namespace bertology

// The run report: results.json (see run.h) rendered as one self-contained HTML page (summary,
// heatmaps of importance, entropy and the final mask, the masking curve, parameter counts and
// timings, the ablation when present), the same heatmaps as standalone SVG files, and a compact
// heatmap for the terminal. Pure functions of their inputs; nothing here reads the network.
#pragma once
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace bertology {

// A layer × head table: table[layer][head]. Rows may be empty (a layer of a pruned model).
using HeadTable = std::vector<std::vector<double>>;

enum class HeatmapScale {
  Sequential,  // viridis from the table's minimum to its maximum (importance, entropy)
  Mask,        // 1 = kept, 0 = masked, two fixed colours (head_mask)
  Diverging,   // blue below 0, white at 0, red above, symmetric around 0 (ablation changes)
};

// A standalone SVG of the table: rows = layers, columns = heads, labelled 1-based like
// run_bertology.py prints them, with a colour legend. Each cell is a <rect> with data-layer and
// data-head (0-based) and data-value (%.9g, so a float32 reads back exactly) and a <title>
// "layer L, head H: value" (1-based) shown on hover. Non-finite values are grey.
std::string heatmap_svg(const HeadTable& table, const std::string& title, HeatmapScale scale);

// The whole report page for a results.json object (as run_bertology builds it): no external
// resources, every text HTML-escaped. Sections for missing keys (masking, pruning, ablation)
// are left out or say why.
std::string render_report_html(const nlohmann::ordered_json& results);

// report.html plus head_importance.svg, attn_entropy.svg and head_mask.svg in `directory`, each
// written atomically.
void write_run_report(const std::string& directory, const nlohmann::ordered_json& results);

// The table as text for a terminal: a header of head numbers, one "layer N" row per layer, two
// characters per cell, then a min/max legend. colour: 24-bit ANSI background colours (viridis);
// otherwise the shade ramp " ░▒▓█", readable in logs.
std::string terminal_heatmap(const HeadTable& table, const std::string& title, bool colour);

// ---- helpers shared with the other HTML pages (attention_view.cpp) ----------------------------

// A results.json table ([[...], ...], null = NaN) as a HeadTable.
HeadTable head_table(const nlohmann::ordered_json& rows);
// & < > " ' as entities: safe in HTML text and in quoted attribute values.
std::string html_escape(const std::string& text);
// The viridis colour map at t in [0, 1] (clamped), as 0-255 RGB.
std::array<int, 3> viridis(double t);
// "#rrggbb".
std::string css_colour(const std::array<int, 3>& rgb);

}  // namespace bertology

// The attention view (see attention_view.h): one forward with output_attentions, the data as
// script-safe JSON, and the page (static HTML + CSS, and a small script that draws the SVG).
#include <bertology/autograd/autograd.h>
#include <bertology/bertology/attention_view.h>
#include <bertology/bertology/report.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

namespace bertology {
namespace {

// Marks a page as this command's, so that a later run may replace it (and nothing else).
const char* const kGeneratorTag = "<meta name=\"generator\" content=\"bertology attention\">";

const char* const kStyle = R"CSS(
* { box-sizing: border-box; }
body { margin: 0; background: #f6f8fa; color: #1f2328;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 24px 40px; }
h1 { font-size: 26px; margin: 0 0 2px; }
.subtitle { color: #59636e; margin: 0 0 16px; overflow-wrap: anywhere; }
section { background: #fff; border: 1px solid #d1d9e0; border-radius: 10px; padding: 18px 22px; margin: 0 0 18px; }
.text { margin: 0 0 6px; overflow-wrap: anywhere; }
.tag { display: inline-block; min-width: 22px; text-align: center; border-radius: 4px; font-size: 12px;
  font-weight: 600; color: #fff; background: #59636e; margin-right: 8px; }
.tag.b { background: #1a7f64; }
.controls { display: flex; flex-wrap: wrap; align-items: center; gap: 10px 18px; margin-bottom: 10px; }
select { font: inherit; padding: 3px 8px; border-radius: 6px; border: 1px solid #d1d9e0; background: #fff; }
.heads { display: flex; flex-wrap: wrap; gap: 6px; }
.heads button { font: inherit; font-size: 13px; padding: 2px 10px; border-radius: 14px; cursor: pointer;
  border: 2px solid var(--colour, #59636e); background: #fff; color: #1f2328; }
.heads button.active { background: var(--colour, #59636e); color: #fff; }
.hint { color: #59636e; font-size: 13px; margin: 0 0 8px; }
#view { display: block; max-width: 100%; }
#view text { font: 14px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; cursor: default; }
#view text.special { fill: #8c959f; }
#view text.second { fill: #1a7f64; }
#view .column-title { font: 600 12px system-ui, sans-serif; fill: #59636e; letter-spacing: 0.05em; }
)CSS";

// Draws the view from the embedded JSON. Tokens are built once; lines and highlights are redrawn
// when the layer, the head or the hovered token changes. Text goes in through textContent only.
const char* const kScript = R"JS(
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("attention-data").textContent);
  var NS = "http://www.w3.org/2000/svg";
  var ROW = 22, TOP = 34, QUERY_X = 210, KEY_X = 450, GAP = 10, WIDTH = 660, MIN_WEIGHT = 0.005;
  var n = data.tokens.length;
  var state = { layer: 0, head: -1, focus: null };  // head -1: all heads; focus: {side, index}
  var view = document.getElementById("view");
  var layerSelect = document.getElementById("layer");
  var headBox = document.getElementById("heads");

  function node(name, attributes, text) {
    var e = document.createElementNS(NS, name);
    Object.keys(attributes).forEach(function (k) { e.setAttribute(k, attributes[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function headColour(position, count) {
    return "hsl(" + Math.round(330 * position / Math.max(count, 1)) + ", 72%, 42%)";
  }
  function rowY(i) { return TOP + i * ROW + ROW / 2; }
  function isSpecial(token) { return /^(\[[A-Z]+\]|<\|[a-z]+\|>|<unk>)$/.test(token); }

  var height = TOP + n * ROW + 8;
  view.setAttribute("width", WIDTH);
  view.setAttribute("height", height);
  view.setAttribute("viewBox", "0 0 " + WIDTH + " " + height);
  view.appendChild(node("text", { x: QUERY_X, y: 16, "text-anchor": "end", "class": "column-title" }, "QUERY"));
  view.appendChild(node("text", { x: KEY_X, y: 16, "class": "column-title" }, "KEY"));
  var lines = node("g", {});
  view.appendChild(lines);
  var backgrounds = { query: [], key: [] };
  ["query", "key"].forEach(function (side) {
    var x = side === "query" ? QUERY_X : KEY_X;
    data.tokens.forEach(function (token, i) {
      var g = node("g", {});
      var width = Math.min(180, 10 + 8.5 * token.length);
      var background = node("rect", { x: side === "query" ? x - width + 4 : x - 4, y: rowY(i) - ROW / 2 + 2,
                                      width: width, height: ROW - 4, rx: 3, fill: "#fff", "fill-opacity": 0 });
      var classes = (isSpecial(token) ? "special" : "") + (data.segments[i] === 1 ? " second" : "");
      var label = node("text", { x: x, y: rowY(i), "dominant-baseline": "middle",
                                 "text-anchor": side === "query" ? "end" : "start", "class": classes }, token);
      g.appendChild(background);
      g.appendChild(label);
      g.addEventListener("mouseenter", function () { state.focus = { side: side, index: i }; draw(); });
      g.addEventListener("mouseleave", function () { state.focus = null; draw(); });
      view.appendChild(g);
      backgrounds[side].push(background);
    });
  });

  data.layers.forEach(function (layer, l) {
    var option = document.createElement("option");
    option.value = String(l);
    option.textContent = "Layer " + (l + 1) + (layer.heads.length === 0 ? " (no heads left)" : "");
    layerSelect.appendChild(option);
  });
  layerSelect.addEventListener("change", function () {
    state.layer = Number(layerSelect.value);
    state.head = -1;
    buildHeadButtons();
    draw();
  });

  function buildHeadButtons() {
    headBox.textContent = "";
    var heads = data.layers.length ? data.layers[state.layer].heads : [];
    var choices = [-1].concat(heads.map(function (h, i) { return i; }));
    choices.forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = choice < 0 ? "all heads" : "head " + (heads[choice] + 1);
      if (choice >= 0) button.style.setProperty("--colour", headColour(choice, heads.length));
      if (choice === state.head) button.className = "active";
      button.addEventListener("click", function () { state.head = choice; buildHeadButtons(); draw(); });
      headBox.appendChild(button);
    });
  }

  function draw() {
    lines.textContent = "";
    backgrounds.query.concat(backgrounds.key).forEach(function (b) { b.setAttribute("fill-opacity", 0); });
    if (!data.layers.length) return;
    var layer = data.layers[state.layer];
    var shown = state.head < 0 ? layer.heads.map(function (h, i) { return i; }) : [state.head];
    var focus = state.focus;
    if (focus) {
      var own = backgrounds[focus.side][focus.index];
      own.setAttribute("fill", "#d0d7de");
      own.setAttribute("fill-opacity", 1);
    }
    shown.forEach(function (i) {
      var matrix = layer.attention[i], colour = headColour(i, layer.heads.length);
      for (var q = 0; q < n; ++q) {
        if (focus && focus.side === "query" && q !== focus.index) continue;
        for (var k = 0; k < n; ++k) {
          if (focus && focus.side === "key" && k !== focus.index) continue;
          var weight = matrix[q][k];
          if (weight < MIN_WEIGHT) continue;
          lines.appendChild(node("line", { x1: QUERY_X + GAP, y1: rowY(q), x2: KEY_X - GAP, y2: rowY(k),
                                           stroke: colour, "stroke-width": 2, "stroke-opacity": weight }));
          if (focus && shown.length === 1) {  // one head: shade the other column by weight
            var other = focus.side === "query" ? backgrounds.key[k] : backgrounds.query[q];
            other.setAttribute("fill", colour);
            other.setAttribute("fill-opacity", Math.min(0.85, weight));
          }
        }
      }
    });
  }

  buildHeadButtons();
  draw();
})();
)JS";

double round_to(double v, double scale) { return std::round(v * scale) / scale; }

}  // namespace

AttentionView compute_attention_view(PreTrainedModel& model, const Tokenizer& tokenizer, const std::string& text,
                                     const std::string& pair, int64_t max_seq_length) {
  if (max_seq_length < 2) throw Error(concat("--max-seq-length must be at least 2, got ", max_seq_length));
  EncodeOptions options;
  options.max_length = static_cast<size_t>(max_seq_length);
  if (model.config().max_position_embeddings > 0)
    options.max_length = std::min(options.max_length, static_cast<size_t>(model.config().max_position_embeddings));
  Encoding e = pair.empty() ? tokenizer.encode(text, options) : tokenizer.encode_pair(text, pair, options);
  if (e.ids.empty()) throw Error("the text has no tokens");
  const int64_t S = static_cast<int64_t>(e.ids.size());

  ModelInputs inputs;
  inputs.input_ids = Tensor::from_vector(e.ids, {1, S});
  if (tokenizer.type() == "bert") inputs.token_type_ids = Tensor::from_vector(e.token_type_ids, {1, S});
  ForwardOptions forward;
  forward.output_attentions = true;
  ModelOutput out;
  {
    NoGradGuard no_grad;
    out = model.forward(inputs, forward);
  }

  AttentionView view;
  view.title = model.class_name() + (model.source().directory.empty() ? "" : " (" + model.source().directory + ")");
  view.text = text;
  view.pair = pair;
  view.tokens = e.tokens;
  view.segments = e.token_type_ids;
  view.segments.resize(e.tokens.size(), 0);
  for (int64_t l = 0; l < model.num_layers(); ++l) {
    view.heads.push_back(model.kept_heads(l));
    view.attention.push_back(out.attentions.at(static_cast<size_t>(l)).to_vector<float>());  // (1, H', S, S)
  }
  return view;
}

std::string attention_json(const AttentionView& view, int decimals) {
  using Json = nlohmann::ordered_json;
  const size_t S = view.tokens.size();
  const double scale = std::pow(10.0, decimals);
  Json layers = Json::array();
  for (size_t l = 0; l < view.attention.size(); ++l) {
    const std::vector<float>& a = view.attention[l];
    const size_t heads = view.heads[l].size();
    if (a.size() != heads * S * S)
      throw Error(concat("attention view: layer ", l, " has ", a.size(), " weights, expected ", heads, " x ", S,
                         " x ", S));
    Json per_head = Json::array();
    for (size_t h = 0; h < heads; ++h) {
      Json rows = Json::array();
      for (size_t q = 0; q < S; ++q) {
        Json row = Json::array();
        for (size_t k = 0; k < S; ++k) row.push_back(round_to(a[(h * S + q) * S + k], scale));
        rows.push_back(std::move(row));
      }
      per_head.push_back(std::move(rows));
    }
    layers.push_back({{"heads", view.heads[l]}, {"attention", std::move(per_head)}});
  }
  Json data = {{"tokens", view.tokens}, {"segments", view.segments}, {"layers", std::move(layers)}};
  // ensure_ascii: every non-ASCII character (U+2028 included) as \uXXXX; invalid UTF-8 as U+FFFD.
  const std::string text = data.dump(-1, ' ', /*ensure_ascii=*/true, Json::error_handler_t::replace);
  std::string safe;  // '<', '>', '&' occur only inside JSON strings, where \u escapes mean the same
  safe.reserve(text.size());
  for (char c : text) {
    if (c == '<') safe += "\\u003c";
    else if (c == '>') safe += "\\u003e";
    else if (c == '&') safe += "\\u0026";
    else safe += c;
  }
  return safe;
}

bool is_attention_page(const std::string& head) {
  return head.rfind("<!DOCTYPE html>", 0) == 0 && head.find(kGeneratorTag) != std::string::npos;
}

std::string render_attention_html(const AttentionView& view) {
  std::string page = std::string("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n") +
                     kGeneratorTag + "\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Attention: " +
                     html_escape(view.title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n<main>\n";
  page += "<h1>Attention</h1>\n<p class=\"subtitle\">" + html_escape(view.title) + "</p>\n<section>\n";
  page += "<p class=\"text\"><span class=\"tag\">A</span>" + html_escape(view.text) + "</p>\n";
  if (!view.pair.empty())
    page += "<p class=\"text\"><span class=\"tag b\">B</span>" + html_escape(view.pair) + "</p>\n";
  page += "</section>\n<section>\n<div class=\"controls\"><label>Layer <select id=\"layer\"></select></label>"
          "<div id=\"heads\" class=\"heads\"></div></div>\n"
          "<p class=\"hint\">Left: queries, right: the keys they attend to; each line's opacity is the attention "
          "weight (below 0.005 not drawn). Hover a token to see only its lines; pick a head to see it alone.</p>\n"
          "<svg id=\"view\" xmlns=\"http://www.w3.org/2000/svg\"></svg>\n"
          "<noscript><p>The view is drawn by JavaScript; the numbers are in this page's attention-data "
          "element.</p></noscript>\n</section>\n</main>\n";
  page += "<script type=\"application/json\" id=\"attention-data\">" + attention_json(view) + "</script>\n";
  page += std::string("<script>") + kScript + "</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace bertology

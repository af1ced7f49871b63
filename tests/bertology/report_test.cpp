// The run report: report.html and the .svg heatmaps written by `bertology run` on a fixture BERT
// classifier, their cell values against the .npy files, HTML escaping, the page without masking
// and with an ablation block, the masking curve, and the terminal heatmap.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include <bertology/bertology/npy.h>
#include <bertology/bertology/report.h>
#include <bertology/bertology/run.h>
#include <nlohmann/json.hpp>

#include "models/model_test_util.h"

using namespace bertology;
using namespace bertology::model_testing;
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

namespace {

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// bert_small (3 layers x 4 heads, MNLI labels) with a WordPiece vocabulary, and an MNLI dev set.
RunOptions fixture_run(const TempDir& dir, bool try_masking) {
  const fs::path model = dir.file("bert_small");
  fs::copy(fixture("bert_small/model"), model, fs::copy_options::recursive);
  const std::vector<std::string> words = {"the", "cat", "dog", "sat", "on", "mat", "a", "red", "big", "ran"};
  std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\n";
  for (const std::string& w : words) vocab += w + "\n";
  dir.write("bert_small/vocab.txt", vocab);
  fs::create_directories(dir.file("mnli"));
  const char* labels[] = {"contradiction", "entailment", "neutral"};
  std::string tsv = "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2\tlabel1\tgold_label\n";
  for (int i = 0; i < 12; ++i) {
    std::string a, b;
    for (int k = 0; k < 4 + i % 3; ++k) a += words[(i * 7 + k * 3) % words.size()] + " ";
    for (int k = 0; k < 3 + i % 2; ++k) b += words[(i * 5 + k) % words.size()] + " ";
    tsv += std::to_string(i) + "\t0\t0\tfiction\t-\t-\t-\t-\t" + a + ".\t" + b + ".\t" + labels[i % 3] + "\t" +
           labels[(i * 5) % 3] + "\n";
  }
  dir.write("mnli/dev_matched.tsv", tsv);
  RunOptions o;
  o.model_dir = model.string();
  o.task = "mnli";
  o.data_dir = dir.file("mnli");
  o.output_dir = dir.file("out");
  o.batch_size = 4;
  o.max_seq_length = 32;
  o.try_masking = try_masking;
  o.masking_threshold = 0.5;
  o.masking_amount = 0.2;
  o.command_line = "bertology run --model x --task mnli";
  return o;
}

// The <svg ...>...</svg> whose aria-label is `label` in a page ("" when absent).
std::string svg_labelled(const std::string& page, const std::string& label) {
  const size_t at = page.find("aria-label=\"" + label + "\"");
  if (at == std::string::npos) return "";
  const size_t begin = page.rfind("<svg", at), end = page.find("</svg>", at);
  return page.substr(begin, end + 6 - begin);
}

// Each heatmap cell's data-value, by (layer, head).
std::map<std::pair<int64_t, int64_t>, std::string> cell_values(const std::string& svg) {
  static const std::regex cell(R"re(data-layer="(\d+)" data-head="(\d+)" data-value="([^"]*)")re");
  std::map<std::pair<int64_t, int64_t>, std::string> values;
  for (auto it = std::sregex_iterator(svg.begin(), svg.end(), cell); it != std::sregex_iterator(); ++it)
    values[{std::stoll((*it)[1]), std::stoll((*it)[2])}] = (*it)[3];
  return values;
}

// Every cell of the heatmap, parsed as float, equals the .npy file's float32 exactly.
void expect_cells_equal_npy(const std::string& svg, const fs::path& npy) {
  ASSERT_FALSE(svg.empty()) << npy;
  const Tensor t = load_npy(npy.string());
  const std::vector<float> expected = t.to_vector<float>();
  const auto values = cell_values(svg);
  ASSERT_EQ(static_cast<int64_t>(values.size()), t.numel()) << npy;
  for (const auto& [at, text] : values) {
    const float parsed = std::strtof(text.c_str(), nullptr);
    EXPECT_EQ(parsed, expected[at.first * t.size(1) + at.second]) << npy << " layer " << at.first << " head "
                                                                    << at.second << ": " << text;
  }
}

// A small results object, as run_bertology would write it, for the page-only tests.
Json minimal_results() {
  Json r;
  r["command_line"] = "bertology run --model m";
  r["versions"] = {{"bertology", "0.1.0"}};
  r["model"] = {{"dir", "m"}, {"class", "BertForSequenceClassification"}, {"layers", 2}, {"heads", 3}};
  r["task"] = {{"name", "mrpc"}, {"examples", 10}, {"tokens", 100}, {"metric", "acc"}};
  r["attn_entropy"] = {{1.0, 2.0, 3.0}, {0.5, 0.25, 0.125}};
  r["head_importance"] = {{0.1, 1.0, 0.0}, {0.3, 0.7, 0.2}};
  r["original_score"] = 0.8;
  r["head_mask"] = {{1, 1, 1}, {1, 1, 1}};
  return r;
}

}  // namespace

TEST(Report, RunWritesAReportWhoseHeatmapsHoldTheNpyValues) {
  TempDir dir;
  RunOptions o = fixture_run(dir, /*try_masking=*/true);
  run_bertology(o);
  const fs::path out = o.output_dir;
  for (const char* f : {"report.html", "head_importance.svg", "attn_entropy.svg", "head_mask.svg"})
    ASSERT_TRUE(fs::exists(out / f)) << f;

  const std::string page = read(out / "report.html");
  expect_cells_equal_npy(svg_labelled(page, "Head importance"), out / "head_importance.npy");
  expect_cells_equal_npy(svg_labelled(page, "Attention entropy"), out / "attn_entropy.npy");
  expect_cells_equal_npy(svg_labelled(page, "Final head mask"), out / "head_mask.npy");
  expect_cells_equal_npy(read(out / "head_importance.svg"), out / "head_importance.npy");
  expect_cells_equal_npy(read(out / "attn_entropy.svg"), out / "attn_entropy.npy");
  expect_cells_equal_npy(read(out / "head_mask.svg"), out / "head_mask.npy");

  // The masking curve: the original point plus one per step, the threshold line.
  const Json results = Json::parse(read(out / "results.json"));
  const std::string chart = svg_labelled(page, "score against fraction of heads kept");
  ASSERT_FALSE(chart.empty());
  EXPECT_NE(chart.find("class=\"threshold\""), std::string::npos);
  size_t points = 0;
  for (size_t at = chart.find("<circle class="); at != std::string::npos; at = chart.find("<circle class=", at + 1))
    ++points;
  EXPECT_EQ(points, results["masking"]["trajectory"].size() + 1);
  EXPECT_EQ(page.find("Masking was not run"), std::string::npos);
  EXPECT_NE(page.find("parameters after pruning"), std::string::npos);

  // Self-contained: no scripts, styles or images from elsewhere.
  for (const char* external : {"<script src", "<link", "@import", "url(http", "<img"})
    EXPECT_EQ(page.find(external), std::string::npos) << external;
  std::string without_xmlns = std::regex_replace(page, std::regex("xmlns=\"http://www.w3.org/2000/svg\""), "");
  EXPECT_EQ(without_xmlns.find("http"), std::string::npos);
}

TEST(Report, RunWithoutMaskingSaysSoAndStillDrawsTheHeatmaps) {
  TempDir dir;
  RunOptions o = fixture_run(dir, /*try_masking=*/false);
  run_bertology(o);
  const fs::path out = o.output_dir;
  const std::string page = read(out / "report.html");
  EXPECT_NE(page.find("Masking was not run"), std::string::npos);
  EXPECT_EQ(svg_labelled(page, "score against fraction of heads kept"), "");
  expect_cells_equal_npy(svg_labelled(page, "Head importance"), out / "head_importance.npy");
  expect_cells_equal_npy(read(out / "head_mask.svg"), out / "head_mask.npy");
  EXPECT_EQ(read(out / "head_mask.svg").rfind("<?xml", 0), 0u);
}

TEST(Report, EscapesEveryTextThatGoesIntoThePage) {
  Json r = minimal_results();
  r["command_line"] = "bertology run --model '<script>alert(1)</script>' && echo \"x\"";
  r["model"]["class"] = "<b>Bert</b>";
  r["options"] = {{"weird<key>", "a&b"}};
  const std::string page = render_report_html(r);
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<b>Bert"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(page.find("&amp;&amp; echo &quot;x&quot;"), std::string::npos);
  EXPECT_NE(page.find("weird&lt;key&gt;"), std::string::npos);
  EXPECT_NE(page.find("a&amp;b"), std::string::npos);
  EXPECT_EQ(html_escape("<a href='x'>&</a>"), "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;");
  EXPECT_NE(heatmap_svg({{1.0}}, "a < b", HeatmapScale::Sequential).find("a &lt; b"), std::string::npos);
}

TEST(Report, AblationIsDrawnOnlyWhenPresent) {
  Json r = minimal_results();
  EXPECT_EQ(render_report_html(r).find("id=\"ablation\""), std::string::npos);
  r["ablation"] = {{"loss_change", {{0.5, -0.25, 0.0}, {1.0, 0.0, -1.0}}},
                   {"metric_change", {{-0.1, 0.0, 0.05}, {0.0, 0.2, 0.0}}},
                   {"spearman_loss", 0.75},
                   {"spearman_metric", -0.5}};
  const std::string page = render_report_html(r);
  EXPECT_NE(page.find("id=\"ablation\""), std::string::npos);
  EXPECT_EQ(cell_values(svg_labelled(page, "Loss change")).at({0, 1}), "-0.25");
  EXPECT_EQ(cell_values(svg_labelled(page, "Metric change")).size(), 6u);
  EXPECT_NE(page.find("<b>0.75</b>"), std::string::npos);
  EXPECT_NE(page.find("<b>-0.5</b>"), std::string::npos);
  // The run writes the metric's drop (original minus masked) under metric_drop.
  r["ablation"].erase("metric_change");
  r["ablation"]["metric_drop"] = {{0.1, 0.0, -0.05}, {0.0, -0.2, 0.0}};
  const std::string with_drop = render_report_html(r);
  EXPECT_EQ(cell_values(svg_labelled(with_drop, "Metric drop")).at({1, 1}), "-0.2");
  EXPECT_NE(with_drop.find("with the metric drop: <b>-0.5</b>"), std::string::npos);
}

TEST(Report, MaskingCurveThresholdFollowsTheMetricDirection) {
  Json r = minimal_results();
  r["task"]["metric"] = "perplexity";
  r["original_score"] = 10.0;
  r["masking"] = {{"threshold", 0.5}, {"amount", 0.2}, {"final_score", 12.0}, {"heads_masked", 1},
                  {"trajectory", {{{"heads_masked", 1}, {"heads_remaining", 5}, {"score", 12.0},
                                   {"meets_threshold", true}, {"mask", {{0, 1, 1}, {1, 1, 1}}}},
                                  {{"heads_masked", 2}, {"heads_remaining", 4}, {"score", 25.0},
                                   {"meets_threshold", false}, {"mask", {{0, 0, 1}, {1, 1, 1}}}}}}};
  const std::string page = render_report_html(r);
  EXPECT_NE(page.find("threshold original / 0.5 = 20"), std::string::npos);
  const std::string chart = svg_labelled(page, "score against fraction of heads kept");
  EXPECT_NE(chart.find("class=\"fails\""), std::string::npos);
  EXPECT_NE(chart.find("4 of 6 heads kept"), std::string::npos);
  r["task"]["metric"] = "acc";
  EXPECT_NE(render_report_html(r).find("threshold 0.5 \u00d7 original = 5"), std::string::npos);
}

TEST(Report, HeatmapValuesRoundTripFloat32AndNonFiniteIsGrey) {
  const std::vector<float> values = {0.1f, 1e-8f, 123456.78f, -3.3333333f, 0.0f};
  HeadTable table(1);
  for (float v : values) table[0].push_back(v);
  table[0].push_back(std::nan(""));
  const auto cells = cell_values(heatmap_svg(table, "t", HeatmapScale::Sequential));
  ASSERT_EQ(cells.size(), values.size() + 1);
  for (size_t h = 0; h < values.size(); ++h)
    EXPECT_EQ(std::strtof(cells.at({0, static_cast<int64_t>(h)}).c_str(), nullptr), values[h]);
  EXPECT_EQ(cells.at({0, 5}), "nan");
  const std::string svg = heatmap_svg(table, "t", HeatmapScale::Sequential);
  EXPECT_NE(svg.find("<title>layer 1, head 6: nan</title>"), std::string::npos);
  EXPECT_NE(svg.find("#9aa0a6"), std::string::npos);  // grey
}

TEST(Report, TerminalHeatmapHasOneRowPerLayer) {
  const HeadTable table = {{0.0, 0.25, 0.5, 0.75}, {1.0, 0.9, 0.1, 0.2}, {0.3, 0.3, 0.3, 0.3}};
  for (bool colour : {false, true}) {
    const std::string text = terminal_heatmap(table, "Head importance", colour);
    std::istringstream lines(text);
    std::string line;
    int rows = 0;
    while (std::getline(lines, line)) rows += line.rfind("layer ", 0) == 0;
    EXPECT_EQ(rows, 3) << text;
    EXPECT_EQ(text.rfind("Head importance\n", 0), 0u);
    EXPECT_NE(text.find("min 0 "), std::string::npos);
    EXPECT_NE(text.find("max 1"), std::string::npos);
    EXPECT_EQ(text.find("\x1b[") != std::string::npos, colour);
  }
  const std::string plain = terminal_heatmap(table, "t", false);
  EXPECT_NE(plain.find("layer 2 \u2588\u2588"), std::string::npos);  // 1.0 is the darkest shade
  EXPECT_NE(plain.find("head  1 2 3 4"), std::string::npos);
}

// The attention view (`bertology attention`): every head's attention over the tokens of one
// input, as a self-contained HTML page like bertviz's head view (no network access): a layer
// selector, head buttons (one colour per head, or all heads overlaid), queries on the left, keys
// on the right, a line per (query, key) whose opacity is the attention weight.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <bertology/models/model.h>
#include <bertology/models/tokenizer/tokenizer.h>

namespace bertology {

// One input's attention in every layer, ready to draw.
struct AttentionView {
  std::string title;                          // e.g. the model class and folder
  std::string text, pair;                     // the input text(s), shown above the view
  std::vector<std::string> tokens;            // (S) the vocabulary strings
  std::vector<int64_t> segments;              // (S) 0 = first text, 1 = the pair's second text
  std::vector<std::vector<int64_t>> heads;    // per layer: the original numbers (0-based) of its heads
  std::vector<std::vector<float>> attention;  // per layer: (H', S, S) row-major, [head][query][key]
};

// Tokenizes text (and pair, when not empty: Tokenizer::encode_pair), truncated to
// max_seq_length (and to the model's max_position_embeddings), runs one forward without
// gradients and keeps the attention probabilities. Throws Error for an input without tokens.
AttentionView compute_attention_view(PreTrainedModel& model, const Tokenizer& tokenizer, const std::string& text,
                                     const std::string& pair = "", int64_t max_seq_length = 128);

// The attention probabilities rounded to `decimals` places, with the tokens, segments and head
// numbers, as JSON text that is safe inside a <script> element: '<', '>' and '&' are written as
// \u003c, \u003e, \u0026 and everything outside ASCII as \uXXXX. Layout:
//   {"tokens": [S], "segments": [S], "layers": [{"heads": [H'], "attention": [H'][S][S]}]}
std::string attention_json(const AttentionView& view, int decimals = 4);

// The whole page: inline CSS, inline JavaScript, the data from attention_json.
std::string render_attention_html(const AttentionView& view);

// Whether `head`, a file's first bytes, begins a page that render_attention_html wrote.
bool is_attention_page(const std::string& head);

}  // namespace bertology

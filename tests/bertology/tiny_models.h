// Small task setups shared by the workflow tests: the fixture models with a tokenizer whose ids
// fit their tiny vocabularies, and sentences made from those words.
#pragma once
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "models/model_test_util.h"

namespace bertology::tiny_models {

namespace fs = std::filesystem;
using bertology::model_testing::fixture;
using bertology::model_testing::TempDir;

inline const std::vector<std::string> kWords = {"the", "cat", "dog", "sat", "on", "mat", "a", "red", "big", "ran",
                                         "to", "house", "is", "was", "not", "and", "it", "he", "she", "saw"};

inline void write(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

// A copy of a fixture model with a tokenizer whose ids fit its small vocabulary.
inline std::string model_with_tokenizer(const TempDir& dir, const std::string& family) {
  fs::path model = fs::path(dir.path()) / family;
  fs::copy(fixture(family + "/model"), model, fs::copy_options::recursive);
  if (family.rfind("bert", 0) == 0) {
    std::string vocab = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n.\n";
    for (const std::string& w : kWords) vocab += w + "\n";
    write(model / "vocab.txt", vocab);
  } else {
    // Single letters, "." and (GPT-2) the space symbol get ids below the model's small vocabulary;
    // no merges. GPT-2's byte-level vocabulary must still name all 256 byte symbols: the ones
    // the text never uses get ids past the model's vocabulary.
    const bool gpt2 = family == "gpt2_lm";
    nlohmann::json vocab;
    int id = 0;
    for (char c = 'a'; c <= 'z'; ++c) vocab[gpt2 ? std::string(1, c) : std::string(1, c) + "</w>"] = id++;
    if (gpt2) {
      vocab["."] = id++;
      vocab["\xC4\xA0"] = id++;  // U+0120, the byte-level symbol of a space
      int next = 1000, extra = 0;
      for (int b = 0; b < 256; ++b) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174);
        unsigned code = printable ? static_cast<unsigned>(b) : 256u + static_cast<unsigned>(extra++);
        std::string symbol;  // UTF-8 of the code point
        if (code < 0x80) symbol = std::string(1, static_cast<char>(code));
        else {
          symbol += static_cast<char>(0xC0 | (code >> 6));
          symbol += static_cast<char>(0x80 | (code & 0x3F));
        }
        if (!vocab.contains(symbol)) vocab[symbol] = next++;
      }
      vocab["<|endoftext|>"] = id++;
    } else {
      for (char c = 'a'; c <= 'z'; ++c) vocab[std::string(1, c)] = id++;
      vocab[".</w>"] = id++;
      vocab["<unk>"] = id++;
    }
    write(model / "vocab.json", vocab.dump());
    write(model / "merges.txt", "#version: 0.2\n");
  }
  return model.string();
}

inline std::string sentence(int i, int length) {
  std::string s;
  for (int k = 0; k < length; ++k) s += (k ? " " : "") + kWords[(i * 7 + k * 3) % kWords.size()];
  return s + " .";
}

}  // namespace bertology::tiny_models

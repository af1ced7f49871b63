// README.md shows every subcommand's `--help` verbatim (between <!-- help:NAME:begin --> and
// <!-- help:NAME:end -->): the documented options cannot drift from the parser.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

namespace {

std::string run_help(const std::string& command) {
  std::string line = std::string(BERTOLOGY_CLI) + " " + command + " --help";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(line.c_str(), "r"), pclose);
  std::string out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0) out.append(buffer.data(), n);
  return out;
}

std::string readme() {
  std::ifstream in(std::string(BERTOLOGY_SOURCE_DIR) + "/README.md");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// The fenced block between the markers, without the fence lines.
std::string shown_help(const std::string& text, const std::string& name) {
  const std::string begin = "<!-- help:" + name + ":begin -->", end = "<!-- help:" + name + ":end -->";
  const size_t b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos) return "(no " + begin + " block in README.md)";
  const size_t open = text.find("```text\n", b), close = text.rfind("```\n", e);
  if (open == std::string::npos || close == std::string::npos || open > e || close < open)
    return "(no ```text fence inside the " + name + " block)";
  return text.substr(open + 8, close - open - 8);
}

}  // namespace

TEST(ReadmeHelp, EverySubcommandsHelpIsShownVerbatim) {
  const std::string text = readme();
  for (const char* name : {"demo", "run", "train", "attention", "tokenize", "dump", "init", "prune", "example"})
    EXPECT_EQ(shown_help(text, name), run_help(name)) << "README.md's help:" << name << " block";
}

TEST(ReadmeHelp, TheCommandListIsShownVerbatim) {
  EXPECT_EQ(shown_help(readme(), "bertology"), run_help(""));
}

// Odd and hostile command lines: each gets one error line naming the option and exit code 1,
// before any work is done (nothing is written; the demo never starts).
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace {

struct CliRun {
  int exit_code;
  std::string err;
};

CliRun run_cli(const bertology::test_support::TempDir& dir, const std::string& arguments) {
  const std::string err = dir.file("stderr.txt");
  const std::string command = "cd '" + dir.path() + "' && '" + std::string(BERTOLOGY_CLI) + "' " + arguments +
                              " > /dev/null 2> '" + err + "'";
  const int status = std::system(command.c_str());
  std::ifstream in(err);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

struct BadCommand {
  const char* arguments;
  const char* message;  // a part of the one error line
};

TEST(CliArguments, BadCommandLinesGetOneClearLineAndExitOne) {
  const BadCommand cases[] = {
      // A forgotten value: the next option is not taken as the value.
      {"attention --model m --text --output page.html", "option --text needs a value, got the option '--output'"},
      {"run --model --task cola", "option --model needs a value, got the option '--task'"},
      // Stray words, and an option given twice.
      {"attention --model m --text hello world", "unexpected argument 'world'"},
      {"demo extra", "unexpected argument 'extra'"},
      {"run --model a --model b", "option --model is given twice"},
      {"prune --model m --heads 0:1 --out ''", "option --out needs a non-empty value"},
      // Numbers out of range.
      {"run --model m --task cola --output-dir o --threads 4294967297", "option --threads must be in [1, 1024]"},
      {"example --threads 0", "option --threads must be in [1, 1024]"},
      {"example --seed -1", "option --seed must be in [0, "},
      {"tokenize --tokenizer t --max-length 99999999999", "option --max-length must be in [0, 1048576]"},
      {"init --config c.json --out o --dtype F8", "--dtype must be F32, F16, BF16 or F64, got 'F8'"},
      // Option values reach JSON and HTML outputs: they must be UTF-8.
      {"attention --model m --text 'the \xff cat'", "option --text is not valid UTF-8 (byte 5)"},
      {"run --model 'm\xc3' --task cola --output-dir o", "option --model is not valid UTF-8 (byte 2)"},
  };
  bertology::test_support::TempDir dir;
  for (const BadCommand& c : cases) {
    const CliRun run = run_cli(dir, c.arguments);
    EXPECT_EQ(run.exit_code, 1) << c.arguments;
    EXPECT_NE(run.err.find(c.message), std::string::npos) << c.arguments << "\n" << run.err;
    EXPECT_EQ(std::count(run.err.begin(), run.err.end(), '\n'), 1) << c.arguments << "\n" << run.err;
  }
  // Nothing was written beside the error file (the demo did not run, no output folder appeared).
  int entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) entries += entry.exists();
  EXPECT_EQ(entries, 1);
}

TEST(CliArguments, AnOutputDirUnderAFileIsOneLineInTheToolsWords) {
  // The folder cannot be created (its parent is a file): the message names the folder and the
  // reason, not std::filesystem's "filesystem error: cannot remove: ... [path]".
  bertology::test_support::TempDir dir;
  dir.write("notes.txt", "my notes\n");
  const CliRun run = run_cli(dir, "run --model m --task cola --output-dir notes.txt/out");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_EQ(run.err, "bertology run: error: notes.txt/out: cannot create the output dir there: Not a directory\n");
  EXPECT_EQ(dir.read("notes.txt"), "my notes\n");
}

TEST(CliArguments, RunAndTrainNeverWriteInsideTheModelFolder) {
  bertology::test_support::TempDir dir;
  std::filesystem::create_directory(dir.file("m"));
  for (const char* command : {"run --model m --task cola --data-dir d --output-dir m/out",
                              "train --model m --task cola --data-dir d --output-dir m/sub/out"}) {
    const CliRun run = run_cli(dir, command);
    EXPECT_EQ(run.exit_code, 1) << command;
    EXPECT_NE(run.err.find("is inside the model folder 'm'; refusing to write there"), std::string::npos) << run.err;
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.file("m")));
}

TEST(CliArguments, DashHIsHelpAndAValueMayStartWithDashesWhenJoined) {
  bertology::test_support::TempDir dir;
  EXPECT_EQ(run_cli(dir, "demo -h").exit_code, 0);
  EXPECT_FALSE(std::filesystem::exists(dir.file("bertology-demo")));  // -h printed help, ran nothing
  const CliRun joined = run_cli(dir, "attention --model missing --text=--output");
  EXPECT_EQ(joined.exit_code, 1);
  EXPECT_EQ(joined.err.find("needs a value"), std::string::npos) << joined.err;  // --text=--output is a value
}

}  // namespace

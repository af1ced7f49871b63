// The nine GLUE tasks: their labels, output mode, metrics and TSV layouts, and readers that
// turn the GLUE distribution's train/dev/test files into examples, as HF's glue_processors do.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bertology {

enum class GlueSplit { Train, Dev, Test };
enum class OutputMode { Classification, Regression };

const char* glue_split_name(GlueSplit split);  // "train", "dev", "test"

struct GlueExample {
  std::string guid;                   // "<set>-<id>" as HF builds it: "train-0", "dev_matched-42"
  std::string text_a;
  std::optional<std::string> text_b;  // absent for the single-sentence tasks (CoLA, SST-2)
  std::optional<std::string> label;   // the label as written in the file; absent in test files
  int64_t label_index = -1;           // classification: position in GlueTask::labels, else -1
  double score = 0.0;                 // regression (STS-B): the similarity score
};

// Where a file's fields are. Column numbers are 0-based.
struct GlueColumns {
  static constexpr int kNone = -1;        // no such column (text_b, label)
  static constexpr int kLast = -2;        // the row's last column (label)
  static constexpr int kRowCounter = -3;  // guid from a running row number instead of a column

  bool has_header = true;  // the first line is skipped
  int text_a = 0;
  int text_b = kNone;
  int label = kNone;
  int guid = kRowCounter;
  int first_row_number = 0;  // with kRowCounter: HF numbers CoLA rows from 0, SST-2/MRPC from 1

  // The fewest fields a row needs: past every column read, and a kLast label past the texts.
  int min_columns() const;
};

struct GlueTask {
  std::string name;                  // HF's name: "cola", "sst-2", "mnli-mm", ...
  std::vector<std::string> labels;   // HF's order (label index = position); empty for regression
  OutputMode output_mode = OutputMode::Classification;
  std::string default_metric;        // the glue_compute_metrics key that scores a model
  std::vector<std::string> metric_names;  // every key glue_compute_metrics returns
  std::string train_file, dev_file, test_file;  // file names inside the data dir
  std::string dev_set_name, test_set_name;      // guid prefixes: "dev", "dev_mismatched", ...
  GlueColumns labelled_columns;      // train and dev files
  GlueColumns test_columns;          // test files (no labels)

  int64_t num_labels() const;  // as HF's glue_tasks_num_labels: 1 for regression
  const std::string& file_name(GlueSplit split) const;
  const GlueColumns& columns(GlueSplit split) const;
};

// The task for a name, case-insensitive; accepts "sst2" and "stsb" for "sst-2" and "sts-b".
// Throws Error listing the known names.
const GlueTask& glue_task(const std::string& name);
std::vector<std::string> glue_task_names();  // the ten canonical names

// data_dir/<the split's file name>.
std::string glue_file_path(const GlueTask& task, const std::string& data_dir, GlueSplit split);

// Reads one split from a GLUE data dir. Throws Error (naming the file, and the line where it
// applies) for a missing dir or file, a row with too few columns, invalid UTF-8, a label not in
// the task's label set (or not a number for STS-B), and a file without examples.
std::vector<GlueExample> read_glue_examples(const GlueTask& task, const std::string& data_dir,
                                            GlueSplit split);
// The same for a file at any path laid out as the task's `split` file.
std::vector<GlueExample> read_glue_file(const GlueTask& task, const std::string& path,
                                        GlueSplit split);

}  // namespace bertology

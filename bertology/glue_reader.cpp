// Reading GLUE TSV files into examples with HF's semantics (which columns, guids, label sets),
// and errors that name the file and line of a bad row.
#include <bertology/bertology/glue.h>

#include <cmath>
#include <filesystem>
#include <locale>
#include <sstream>

#include <bertology/bertology/tsv.h>
#include <bertology/tensor/error.h>

namespace bertology {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

const std::string& set_name(const GlueTask& task, GlueSplit split) {
  static const std::string train = "train";
  if (split == GlueSplit::Train) return train;
  return split == GlueSplit::Dev ? task.dev_set_name : task.test_set_name;
}

// A finite number written in full ("3.800", "5", "1e-1"); anything else is nullopt.
std::optional<double> parse_score(const std::string& text) {
  std::istringstream in(text);
  in.imbue(std::locale::classic());
  double value = 0;
  in >> value;
  if (in.fail() || !std::isfinite(value)) return std::nullopt;
  in >> std::ws;
  if (!in.eof()) return std::nullopt;
  return value;
}

void set_label(const GlueTask& task, const std::string& path, int64_t line_number,
               const std::string& label, GlueExample& example) {
  example.label = label;
  if (task.output_mode == OutputMode::Regression) {
    const std::optional<double> score = parse_score(label);
    if (!score)
      throw Error(concat(path, ":", line_number, ": label '", label, "' of task '", task.name,
                         "' is not a number"));
    example.score = *score;
    return;
  }
  for (size_t i = 0; i < task.labels.size(); ++i) {
    if (task.labels[i] == label) {
      example.label_index = static_cast<int64_t>(i);
      return;
    }
  }
  throw Error(concat(path, ":", line_number, ": unknown label '", label, "' for task '",
                     task.name, "' (labels: ", join(task.labels), ")"));
}

}  // namespace

std::vector<GlueExample> read_glue_file(const GlueTask& task, const std::string& path,
                                        GlueSplit split) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error))
    throw Error(concat("GLUE task '", task.name, "': ", glue_split_name(split),
                       " file not found: ", path));
  const std::vector<TsvRow> rows = read_tsv(path);
  const GlueColumns& columns = task.columns(split);
  const size_t min_columns = static_cast<size_t>(columns.min_columns());

  std::vector<GlueExample> examples;
  int64_t row_number = columns.first_row_number;
  for (size_t r = columns.has_header ? 1 : 0; r < rows.size(); ++r, ++row_number) {
    const TsvRow& row = rows[r];
    const std::vector<std::string>& fields = row.fields;
    if (fields.size() < min_columns)
      throw Error(concat(path, ":", row.line_number, ": expected at least ", min_columns,
                         " tab-separated columns for the ", task.name, " ",
                         glue_split_name(split), " file, found ", fields.size()));
    GlueExample example;
    const std::string id =
        columns.guid == GlueColumns::kRowCounter ? std::to_string(row_number) : fields[columns.guid];
    example.guid = set_name(task, split) + "-" + id;
    example.text_a = fields[columns.text_a];
    if (columns.text_b != GlueColumns::kNone) example.text_b = fields[columns.text_b];
    if (columns.label != GlueColumns::kNone) {
      const size_t label_column =
          columns.label == GlueColumns::kLast ? fields.size() - 1 : static_cast<size_t>(columns.label);
      set_label(task, path, row.line_number, fields[label_column], example);
    }
    examples.push_back(std::move(example));
  }
  if (examples.empty())
    throw Error(concat(path, ": no examples for GLUE task '", task.name, "' (the file is empty",
                       columns.has_header ? " or has only a header line)" : ")"));
  return examples;
}

std::vector<GlueExample> read_glue_examples(const GlueTask& task, const std::string& data_dir,
                                            GlueSplit split) {
  std::error_code error;
  if (!std::filesystem::is_directory(data_dir, error))
    throw Error(concat("GLUE data dir not found: ", data_dir));
  return read_glue_file(task, glue_file_path(task, data_dir, split), split);
}

}  // namespace bertology

// The GLUE task registry: labels, output modes, metrics, file names and column layouts of the
// GLUE distribution, following HF transformers' glue_processors / glue_compute_metrics.
#include <bertology/bertology/glue.h>

#include <algorithm>
#include <cctype>

#include <bertology/tensor/error.h>

namespace bertology {

namespace {

constexpr int kNone = GlueColumns::kNone;
constexpr int kLast = GlueColumns::kLast;
constexpr int kRowCounter = GlueColumns::kRowCounter;

GlueColumns layout(bool has_header, int text_a, int text_b, int label, int guid,
                   int first_row_number = 0) {
  GlueColumns c;
  c.has_header = has_header;
  c.text_a = text_a;
  c.text_b = text_b;
  c.label = label;
  c.guid = guid;
  c.first_row_number = first_row_number;
  return c;
}

const std::vector<std::string> kBinaryLabels = {"0", "1"};
const std::vector<std::string> kEntailmentLabels = {"entailment", "not_entailment"};
const std::vector<std::string> kAccuracy = {"acc"};
const std::vector<std::string> kAccuracyAndF1 = {"acc", "f1", "acc_and_f1"};

GlueTask make_task(std::string name, std::vector<std::string> labels, std::string default_metric,
                   std::vector<std::string> metric_names, GlueColumns labelled, GlueColumns test) {
  GlueTask task;
  task.name = std::move(name);
  task.labels = std::move(labels);
  task.output_mode = task.labels.empty() ? OutputMode::Regression : OutputMode::Classification;
  task.default_metric = std::move(default_metric);
  task.metric_names = std::move(metric_names);
  task.train_file = "train.tsv";
  task.dev_file = "dev.tsv";
  task.test_file = "test.tsv";
  task.dev_set_name = "dev";
  task.test_set_name = "test";
  task.labelled_columns = labelled;
  task.test_columns = test;
  return task;
}

GlueTask make_mnli(bool mismatched) {
  // train/dev: index promptID pairID genre 4 parses sentence1 sentence2 label1 [.. label5] gold_label
  // test: the same up to sentence2, no labels.
  GlueTask task = make_task(mismatched ? "mnli-mm" : "mnli",
                            {"contradiction", "entailment", "neutral"}, "acc", kAccuracy,
                            layout(true, 8, 9, kLast, 0), layout(true, 8, 9, kNone, 0));
  const std::string suffix = mismatched ? "mismatched" : "matched";
  task.dev_file = "dev_" + suffix + ".tsv";
  task.test_file = "test_" + suffix + ".tsv";
  task.dev_set_name = "dev_" + suffix;
  task.test_set_name = "test_" + suffix;
  return task;
}

std::vector<GlueTask> build_registry() {
  std::vector<GlueTask> tasks;
  // CoLA: no header; source, label, original mark, sentence. test.tsv: header "index sentence".
  tasks.push_back(make_task("cola", kBinaryLabels, "mcc", {"mcc"},
                            layout(false, 3, kNone, 1, kRowCounter, 0),
                            layout(true, 1, kNone, kNone, kRowCounter, 0)));
  // SST-2: "sentence label"; test: "index sentence".
  tasks.push_back(make_task("sst-2", kBinaryLabels, "acc", kAccuracy,
                            layout(true, 0, kNone, 1, kRowCounter, 1),
                            layout(true, 1, kNone, kNone, kRowCounter, 1)));
  // MRPC: "Quality #1 ID #2 ID #1 String #2 String"; test: "index #1 ID #2 ID #1 String #2 String".
  tasks.push_back(make_task("mrpc", kBinaryLabels, "acc_and_f1", kAccuracyAndF1,
                            layout(true, 3, 4, 0, kRowCounter, 1),
                            layout(true, 3, 4, kNone, kRowCounter, 1)));
  // STS-B: index genre filename year old_index source1 source2 sentence1 sentence2 score.
  tasks.push_back(make_task("sts-b", {}, "corr", {"pearson", "spearmanr", "corr"},
                            layout(true, 7, 8, kLast, 0), layout(true, 7, 8, kNone, 0)));
  // QQP: id qid1 qid2 question1 question2 is_duplicate; test: id question1 question2.
  tasks.push_back(make_task("qqp", kBinaryLabels, "acc_and_f1", kAccuracyAndF1,
                            layout(true, 3, 4, 5, 0), layout(true, 1, 2, kNone, 0)));
  tasks.push_back(make_mnli(false));
  tasks.push_back(make_mnli(true));
  // QNLI: index question sentence label. RTE, WNLI: index sentence1 sentence2 label.
  tasks.push_back(make_task("qnli", kEntailmentLabels, "acc", kAccuracy,
                            layout(true, 1, 2, kLast, 0), layout(true, 1, 2, kNone, 0)));
  tasks.push_back(make_task("rte", kEntailmentLabels, "acc", kAccuracy,
                            layout(true, 1, 2, kLast, 0), layout(true, 1, 2, kNone, 0)));
  tasks.push_back(make_task("wnli", kBinaryLabels, "acc", kAccuracy,
                            layout(true, 1, 2, kLast, 0), layout(true, 1, 2, kNone, 0)));
  return tasks;
}

const std::vector<GlueTask>& registry() {
  static const std::vector<GlueTask> tasks = build_registry();
  return tasks;
}

}  // namespace

const char* glue_split_name(GlueSplit split) {
  switch (split) {
    case GlueSplit::Train: return "train";
    case GlueSplit::Dev: return "dev";
    case GlueSplit::Test: return "test";
  }
  return "?";
}

int GlueColumns::min_columns() const {
  const int last_text = std::max(text_a, text_b);
  int needed = std::max({last_text, label, guid}) + 1;
  if (label == kLast) needed = std::max(needed, last_text + 2);
  return needed;
}

int64_t GlueTask::num_labels() const {
  return output_mode == OutputMode::Regression ? 1 : static_cast<int64_t>(labels.size());
}

const std::string& GlueTask::file_name(GlueSplit split) const {
  switch (split) {
    case GlueSplit::Train: return train_file;
    case GlueSplit::Dev: return dev_file;
    case GlueSplit::Test: return test_file;
  }
  return dev_file;
}

const GlueColumns& GlueTask::columns(GlueSplit split) const {
  return split == GlueSplit::Test ? test_columns : labelled_columns;
}

const GlueTask& glue_task(const std::string& name) {
  std::string key = name;
  std::transform(key.begin(), key.end(), key.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (key == "sst2") key = "sst-2";
  if (key == "stsb") key = "sts-b";
  for (const GlueTask& task : registry())
    if (task.name == key) return task;
  std::string known;
  for (const std::string& n : glue_task_names()) known += (known.empty() ? "" : ", ") + n;
  throw Error(concat("unknown GLUE task '", name, "' (known: ", known, ")"));
}

std::vector<std::string> glue_task_names() {
  std::vector<std::string> names;
  for (const GlueTask& task : registry()) names.push_back(task.name);
  return names;
}

std::string glue_file_path(const GlueTask& task, const std::string& data_dir, GlueSplit split) {
  if (data_dir.empty()) return task.file_name(split);
  const char last = data_dir.back();
  return data_dir + (last == '/' ? "" : "/") + task.file_name(split);
}

}  // namespace bertology

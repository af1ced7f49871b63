// The training loop of `bertology train`: shuffle, batch, forward with labels, backward, clip,
// step AdamW on the scheduled learning rate; score dev after each epoch and keep the best.
#include <bertology/autograd/autograd.h>
#include <bertology/bertology/output_dir.h>
#include <bertology/bertology/task_data.h>
#include <bertology/bertology/train.h>
#include <bertology/models/checkpoint/atomic_file.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>
#include <bertology/tensor/parallel.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <sstream>

namespace fs = std::filesystem;

namespace bertology {
namespace {

using Clock = std::chrono::steady_clock;

void check_options(const TrainOptions& o) {
  if (o.epochs < 1) throw Error(concat("--epochs must be at least 1, got ", o.epochs));
  if (o.batch_size < 1 || o.batch_size > (int64_t{1} << 30))
    throw Error(concat("--batch-size must be in [1, 2^30], got ", o.batch_size));
  if (o.max_seq_length < 2) throw Error(concat("--max-seq-length must be at least 2, got ", o.max_seq_length));
  if (!(o.learning_rate > 0 && std::isfinite(o.learning_rate)))
    throw Error(concat("--learning-rate must be positive and finite, got ", o.learning_rate));
  if (!(o.warmup_ratio >= 0 && o.warmup_ratio < 1))
    throw Error(concat("--warmup-ratio must be in [0, 1), got ", o.warmup_ratio));
  if (!(o.weight_decay >= 0 && std::isfinite(o.weight_decay)))
    throw Error(concat("--weight-decay must be finite and not negative, got ", o.weight_decay));
  if (!(o.max_grad_norm >= 0)) throw Error(concat("--max-grad-norm must not be negative, got ", o.max_grad_norm));
  if (o.model_dir.empty()) throw Error("--model is required");
  if (o.task.empty()) throw Error("--task is required");
}

// HF's Trainer decays every weight except biases and LayerNorm parameters.
bool decays(const std::string& name) {
  const bool bias = name.size() >= 4 && name.compare(name.size() - 4, 4, "bias") == 0;
  const bool layer_norm = name.find("LayerNorm") != std::string::npos || name.find("ln_") != std::string::npos;
  return !bias && !layer_norm;
}

// A seeded permutation of 0..n-1 (Fisher–Yates on the library's generator).
std::vector<size_t> shuffled_order(size_t n, Generator& gen) {
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  for (size_t i = n; i > 1; --i) {
    const size_t j = static_cast<size_t>(gen.engine()() % i);
    std::swap(order[i - 1], order[j]);
  }
  return order;
}

// The labels of examples [begin, end) for a batch padded to length s: (B) class indices,
// (B) regression targets, or (B, S) LM tokens with -100 on padding.
Tensor batch_labels(const EvalData& data, int64_t begin, int64_t end, int64_t s) {
  const int64_t b = end - begin;
  if (data.kind == TaskKind::Classification) {
    std::vector<int64_t> y(b);
    for (int64_t i = 0; i < b; ++i) y[i] = data.examples[begin + i].label;
    return Tensor::from_vector(y, {b});
  }
  if (data.kind == TaskKind::Regression) {
    std::vector<float> y(b);
    for (int64_t i = 0; i < b; ++i) y[i] = static_cast<float>(data.examples[begin + i].score);
    return Tensor::from_vector(y, {b});
  }
  std::vector<int64_t> y(b * s, -100);
  for (int64_t i = 0; i < b; ++i) {
    const std::vector<int64_t>& t = data.examples[begin + i].token_labels;
    std::copy(t.begin(), t.end(), y.begin() + i * s);
  }
  return Tensor::from_vector(y, {b, s});
}

double evaluate(PreTrainedModel& model, const EvalData& dev, int64_t batch_size, const std::string& metric,
                const RunObserver& observer, const std::string& label) {
  HeadStatsOptions eval_only;
  eval_only.compute_entropy = eval_only.compute_importance = false;
  eval_only.batch_size = batch_size;
  eval_only.progress = observer.progress(label);
  return task_score(dev, compute_head_stats(model, dev, eval_only).predictions, metric);
}

std::string fixed(double v, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << v;
  return s.str();
}

}  // namespace

TrainSummary train_model(const TrainOptions& o, const RunObserver& observer) {
  check_options(o);
  StagedOutputDir output(o.output_dir, o.overwrite_output_dir, {o.model_dir, o.data_dir});

  // 1. Model (a fresh task head when the checkpoint has none), tokenizer, both splits.
  LoadOptions load;
  load.architecture = o.architecture;
  load.init_missing_head = true;
  if (o.task != "lm") load.num_labels = glue_task(o.task).num_labels();
  std::unique_ptr<PreTrainedModel> model = load_model(o.model_dir, load);
  std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(o.model_dir);
  // The training split; `seed` picks a masked LM's masked tokens.
  auto load_train = [&](uint64_t seed) {
    EvalData data = load_task_data({o.task, o.data_dir, "", GlueSplit::Train, o.max_seq_length, seed}, *model, *tokenizer);
    if (o.train_subset > 0 && static_cast<int64_t>(data.examples.size()) > o.train_subset)
      data.examples.resize(static_cast<size_t>(o.train_subset));
    return data;
  };
  EvalData train = load_train(o.seed);
  const EvalData dev =
      load_task_data({o.task, o.data_dir, "", GlueSplit::Dev, o.max_seq_length, o.seed}, *model, *tokenizer);
  const std::string metric = !o.metric_name.empty() ? o.metric_name : default_metric(o.task);
  check_metric(dev, metric);  // before the first epoch, not after it
  const bool lower = lower_is_better(metric);

  // 2. Optimiser: two AdamW groups (with and without weight decay), one schedule.
  std::vector<Tensor> all, with_decay, without_decay;
  for (auto& [name, p] : model->named_parameters()) {
    all.push_back(p);
    (decays(name) ? with_decay : without_decay).push_back(p);
  }
  AdamW decayed(with_decay, o.learning_rate, 0.9, 0.999, o.adam_epsilon, o.weight_decay);
  AdamW undecayed(without_decay, o.learning_rate, 0.9, 0.999, o.adam_epsilon, 0.0);
  const int64_t n = static_cast<int64_t>(train.examples.size());
  const int64_t steps_per_epoch = (n + o.batch_size - 1) / o.batch_size, total_steps = steps_per_epoch * o.epochs;
  const int64_t warmup_steps = static_cast<int64_t>(std::llround(o.warmup_ratio * static_cast<double>(total_steps)));
  observer.log(concat(model->class_name(), " on ", train.task_name, ": ", n, " training examples, ", dev.examples.size(),
                      " dev examples, ", o.epochs, " epochs of ", steps_per_epoch, " steps (batch ", o.batch_size,
                      "), warmup ", warmup_steps, " steps, learning rate ", o.learning_rate));

  TrainSummary summary;
  summary.metric_name = metric;
  summary.output_dir = output.output().string();
  summary.initial_score = evaluate(*model, dev, o.batch_size, metric, observer, "dev before training");
  observer.log(concat("dev ", metric, " before training: ", fixed(summary.initial_score, 4)));

  // 3. Epochs: a fresh shuffle (and, for a masked LM, fresh masks) each time.
  Generator shuffle(o.seed);
  model->generator().seed(o.seed + 1);  // dropout
  const fs::path best_dir = output.scratch() / "model";
  int64_t step = 0;
  for (int64_t epoch = 1; epoch <= o.epochs; ++epoch) {
    const auto started = Clock::now();
    if (train.kind == TaskKind::MaskedLM && epoch > 1) train = load_train(o.seed + static_cast<uint64_t>(epoch));
    EvalData epoch_data;  // the training examples in this epoch's order
    epoch_data.kind = train.kind;
    epoch_data.task_name = train.task_name;
    epoch_data.pad_token_id = train.pad_token_id;
    for (size_t i : shuffled_order(train.examples.size(), shuffle)) epoch_data.examples.push_back(train.examples[i]);

    model->train();
    auto progress = observer.progress(concat("epoch ", epoch, "/", o.epochs));
    double loss_sum = 0;
    for (int64_t begin = 0; begin < n; begin += o.batch_size, ++step) {
      const int64_t end = std::min(n, begin + o.batch_size);
      ModelInputs in = make_batch(epoch_data, begin, end);
      in.labels = batch_labels(epoch_data, begin, end, in.input_ids.size(1));
      ForwardOptions fo;
      fo.logits_only_where_labelled = true;  // masked LM: the prediction head only at masked tokens
      Tensor loss = model->forward(in, fo).loss;
      const double value = loss.item();
      if (!std::isfinite(value))
        throw Error(concat("the training loss is not finite (", value, ") at epoch ", epoch, ", step ", step,
                           ": lower --learning-rate or check the data"));
      decayed.zero_grad();
      undecayed.zero_grad();
      loss.backward();
      if (o.max_grad_norm > 0) clip_grad_norm(all, o.max_grad_norm);
      const double lr = o.learning_rate * linear_schedule(step, warmup_steps, total_steps);
      decayed.set_lr(lr);
      undecayed.set_lr(lr);
      decayed.step();
      undecayed.step();
      loss_sum += value;
      if (progress) progress(end, n);
    }
    model->eval();

    EpochResult r;
    r.epoch = epoch;
    r.train_loss = loss_sum / static_cast<double>(steps_per_epoch);
    r.dev_score = evaluate(*model, dev, o.batch_size, metric, observer, concat("dev after epoch ", epoch));
    r.best = summary.best_epoch == 0 || (lower ? r.dev_score < summary.best_score : r.dev_score > summary.best_score);
    if (r.best) {
      summary.best_epoch = epoch;
      summary.best_score = r.dev_score;
      model->save_pretrained(best_dir.string());
    }
    r.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    summary.epochs.push_back(r);
    observer.log(concat("epoch ", epoch, "/", o.epochs, ": train loss ", fixed(r.train_loss, 4), ", dev ", metric, " ",
                        fixed(r.dev_score, 4), r.best ? " (best so far, saved)" : "", ", ", fixed(r.seconds, 1), " s"));
  }

  // 4. The best checkpoint with its tokenizer and a record of the run, moved into place at once.
  using Json = nlohmann::ordered_json;
  Json record;
  record["command_line"] = o.command_line;
  record["versions"] = {{"bertology", BERTOLOGY_VERSION}, {"compiler", __VERSION__}};
  record["threads"] = num_threads();
  record["model"] = {{"from", o.model_dir}, {"class", model->class_name()}};
  record["task"] = {{"name", train.task_name}, {"train_examples", n}, {"dev_examples", dev.examples.size()},
                    {"metric", metric}};
  record["options"] = {{"epochs", o.epochs}, {"batch_size", o.batch_size}, {"max_seq_length", o.max_seq_length},
                       {"learning_rate", o.learning_rate}, {"warmup_ratio", o.warmup_ratio},
                       {"weight_decay", o.weight_decay}, {"max_grad_norm", o.max_grad_norm},
                       {"adam_epsilon", o.adam_epsilon}, {"seed", o.seed}, {"train_subset", o.train_subset}};
  record["initial_dev_score"] = summary.initial_score;
  Json epochs = Json::array();
  for (const EpochResult& r : summary.epochs)
    epochs.push_back({{"epoch", r.epoch}, {"train_loss", r.train_loss}, {"dev_score", r.dev_score},
                      {"seconds", r.seconds}, {"best", r.best}});
  record["epochs"] = epochs;
  record["best_epoch"] = summary.best_epoch;
  record["best_dev_score"] = summary.best_score;
  copy_tokenizer_files(o.model_dir, best_dir.string());
  write_file_atomically((best_dir / "train_results.json").string(), record.dump(2) + "\n");
  // The checkpoint folder is the output: move its files up, then commit the whole.
  std::vector<fs::path> files;  // listed first: renaming while iterating is unspecified
  for (const auto& entry : fs::directory_iterator(best_dir)) files.push_back(entry.path());
  for (const fs::path& file : files) fs::rename(file, output.scratch() / file.filename());
  fs::remove(best_dir);
  output.commit();
  observer.log(concat("best dev ", metric, " ", fixed(summary.best_score, 4), " at epoch ", summary.best_epoch,
                      "; model written to ", summary.output_dir));
  return summary;
}

}  // namespace bertology

// Head importance through the library API: load a HuggingFace model folder and its tokenizer,
// encode a GLUE task's dev split, measure every head in one pass (attention entropy and
// Michel et al.'s |∂loss/∂ξ|), normalise as run_bertology.py does, print the table.
//
//   head_importance MODEL_DIR TASK DATA_DIR      e.g. demo/model cola demo/data/austen-order
#include <bertology/bertology/head_stats.h>
#include <bertology/bertology/task_data.h>
#include <bertology/models/load_model.h>
#include <bertology/models/tokenizer/load_tokenizer.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv) {
  using namespace bertology;
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s MODEL_DIR TASK DATA_DIR\n", argv[0]);
    return 2;
  }
  try {
    std::unique_ptr<PreTrainedModel> model = load_model(argv[1]);
    std::unique_ptr<Tokenizer> tokenizer = load_tokenizer(argv[1]);
    TaskDataOptions task;
    task.task = argv[2];
    task.data_dir = argv[3];  // the dev split is read
    EvalData dev = load_task_data(task, *model, *tokenizer);

    HeadStats stats = compute_head_stats(*model, dev, HeadStatsOptions{});       // one pass
    Tensor importance = normalize_importance(stats.importance_sum, stats.tokens, {});  // (L, H) in [0, 1]
    const std::string metric = default_metric(task.task);
    std::printf("%s, %zu examples, %s %.4f\n", model->class_name().c_str(), dev.examples.size(), metric.c_str(),
                task_score(dev, stats.predictions, metric));
    std::printf("importance (rows: layers, columns: heads)\n");
    for (int64_t l = 0; l < model->num_layers(); ++l) {
      for (int64_t h = 0; h < model->num_heads(); ++h) std::printf(" %5.3f", importance.at({l, h}));
      std::printf("\n");
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "head_importance: %s\n", e.what());
    return 1;
  }
}

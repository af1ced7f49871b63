// A real model with a per-example head mask that requires grad: one backward gives every
// example's own ∂loss/∂ξ (Michel et al.'s head importance); then heads are pruned for real.
#include <bertology/autograd/autograd.h>
#include <bertology/models/load_model.h>

#include <cstdio>

int main() {
  using namespace bertology;
  ModelConfig config = parse_config(R"({"model_type": "bert", "architectures": ["BertForSequenceClassification"],
      "vocab_size": 100, "hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4,
      "intermediate_size": 64, "max_position_embeddings": 16, "type_vocab_size": 2, "num_labels": 2})");
  std::unique_ptr<PreTrainedModel> model = init_model(config, /*seed=*/0);  // or load_model("dir")
  model->requires_grad_(false);  // only the mask's gradient is wanted

  ModelInputs in;
  in.input_ids = Tensor::from_vector(std::vector<int64_t>{2, 15, 27, 3, 2, 40, 3, 0}, {2, 4});  // (B, S)
  in.attention_mask = Tensor::from_vector(std::vector<int64_t>{1, 1, 1, 1, 1, 1, 1, 0}, {2, 4});
  in.labels = Tensor::from_vector(std::vector<int64_t>{1, 0}, {2});
  in.head_mask = Tensor::ones({2, 2, 4}).requires_grad_();  // ξ: (B, L, H), one mask per example

  ForwardOptions options;
  options.output_attentions = true;
  ModelOutput out = model->forward(in, options);  // logits (B, 2), attentions[l] (B, H, S, S)
  Tensor importance = abs(grad(out.loss, {in.head_mask})[0]);  // (B, L, H)
  std::printf("loss %.4f, head (0, 0) importance per example: %.3g %.3g\n", out.loss.item(),
              importance.at({0, 0, 0}), importance.at({1, 0, 0}));

  model->prune_heads({{0, {1, 3}}});  // layer 0 keeps heads 0 and 2
  return model->kept_heads(0).size() == 2 ? 0 : 1;
}

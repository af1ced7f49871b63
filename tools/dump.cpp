// `bertology dump`: runs a model folder on a batch stored in safetensors and writes what HF's
// reference scripts compare: hidden states, attentions, logits, loss and (with --grads) the
// head-mask and parameter gradients. This is how anyone checks our numbers against Python.
#include <iostream>

#include <bertology/autograd/graph.h>
#include <bertology/bertology/output_dir.h>
#include <bertology/models/checkpoint/safetensors.h>
#include <bertology/models/load_model.h>

#include "args.h"
#include "commands.h"

namespace bertology::cli {
namespace {

constexpr const char* kUsage =
    "usage: bertology dump --model DIR --inputs IN.safetensors --out OUT.safetensors [--grads]\n"
    "                      [--head-mask MASK.safetensors] [--device cpu|cuda]\n"
    "\n"
    "Reads input.input_ids (B, S) and, when present, input.attention_mask, input.token_type_ids,\n"
    "input.labels from IN; writes hidden.{i} (i = 0..L), attn.{i}, logits, pooler_output (BERT\n"
    "with a pooler) and loss (float32).\n"
    "--grads (needs input.labels) adds head_mask_grad (at the given mask, or ones (L, H)),\n"
    "head_mask_grad_per_example ((B, L, H), loss = batch mean) and grad.{param} (HF names).\n"
    "--head-mask: a file with one tensor (or one named head_mask or mask) of shape (H), (L, H)\n"
    "or (B, L, H), applied to every output.\n"
    "--device: where the model computes (cuda needs a build with -DBERTOLOGY_CUDA=ON); the\n"
    "outputs are written from there, the same names and float32.\n"
    "An existing OUT is replaced only when it is a safetensors file (an earlier dump).\n";

// The head mask in a file: the tensor "head_mask", else "mask", else the only tensor; floats only.
Tensor read_head_mask(const std::string& path) {
  const StateDict tensors = read_safetensors(path).tensors;
  Tensor mask;
  if (tensors.count("head_mask")) mask = tensors.at("head_mask");
  else if (tensors.count("mask")) mask = tensors.at("mask");
  else if (tensors.size() == 1) mask = tensors.begin()->second;
  else
    throw Error(
        concat(path, ": expected one tensor, or one named 'head_mask' or 'mask', found ", tensors.size()));
  if (!is_floating(mask.dtype()))
    throw Error(concat(path, ": the head mask must be a float tensor, got ", dtype_name(mask.dtype())));
  return mask;
}

ModelInputs read_inputs(const std::string& path) {
  const StateDict tensors = read_safetensors(path).tensors;
  auto optional = [&](const char* name) { return tensors.count(name) ? tensors.at(name) : Tensor(); };
  ModelInputs in;
  in.input_ids = optional("input.input_ids");
  if (!in.input_ids.defined()) throw Error(concat(path, ": no tensor 'input.input_ids'"));
  in.attention_mask = optional("input.attention_mask");
  in.token_type_ids = optional("input.token_type_ids");
  in.labels = optional("input.labels");
  return in;
}

// Whether `head`, a file's first bytes, begins a safetensors file: an 8-byte header length,
// then the JSON header. `dump` replaces such a file (an earlier dump) and nothing else.
bool looks_like_safetensors(const std::string& head) { return head.size() > 8 && head[8] == '{'; }

}  // namespace

int run_dump(const std::vector<std::string>& argv) {
  const Args args(argv, {"grads", "help"}, {"model", "inputs", "out", "head-mask", "device"});
  if (args.flag("help")) {
    std::cout << kUsage;
    return 0;
  }
  auto model = load_model(args.required("model"));
  model->to(parse_device(args.get("device", "cpu")));
  ModelInputs in = read_inputs(args.required("inputs"));
  const std::string out_path = args.required("out");
  refuse_output_file_over_inputs(out_path, args.required("model"), {args.required("inputs"), args.get("head-mask")},
                                 "--out");
  refuse_to_replace_another_file(out_path, looks_like_safetensors, "a safetensors file", "--out");
  const bool grads = args.flag("grads");
  if (grads && !in.labels.defined()) throw Error("--grads needs input.labels in the inputs file");
  const int64_t B = in.input_ids.size(0), L = model->num_layers(), H = model->num_heads();
  Tensor mask = args.has("head-mask") ? read_head_mask(args.get("head-mask")) : Tensor();

  StateDict result;
  ForwardOptions options;
  options.output_hidden_states = options.output_attentions = true;
  if (grads) {  // the mask is a leaf that requires grad: ones (L, H) unless given
    in.head_mask = (mask.defined() ? mask : Tensor::ones({L, H})).detach().requires_grad_();
  } else {
    in.head_mask = mask;
    model->requires_grad_(false);
  }
  ModelOutput out = model->forward(in, options);
  for (size_t i = 0; i < out.hidden_states.size(); ++i)
    result[concat("hidden.", i)] = out.hidden_states[i].detach();
  for (size_t i = 0; i < out.attentions.size(); ++i) result[concat("attn.", i)] = out.attentions[i].detach();
  if (out.logits.defined()) result["logits"] = out.logits.detach();
  if (out.pooler_output.defined()) result["pooler_output"] = out.pooler_output.detach();
  if (out.loss.defined()) result["loss"] = out.loss.detach().reshape({1});

  if (grads) {
    out.loss.backward();  // every parameter and the mask
    result["head_mask_grad"] = in.head_mask.grad();
    for (auto& [name, p] : model->named_parameters())  // a fully pruned layer's (0, E) weights get no gradient
      result["grad." + name] = p.grad().defined() ? p.grad() : Tensor::zeros(p.sizes(), p.dtype(), p.device());
    // One mask per example (the given one, broadcast to (B, L, H)), the weights left alone: each
    // example's gradient of the batch mean.
    model->requires_grad_(false);
    const Tensor given = mask.defined() ? mask : Tensor::ones({L, H});  // (H), (L, H) or (B, L, H)
    const Tensor as_blh = given.dim() == 3 ? given : (given.dim() == 1 ? given.view({1, 1, H}) : given.unsqueeze(0));
    Tensor per_example = as_blh.expand({B, L, H}).contiguous().detach().requires_grad_();
    in.head_mask = per_example;
    result["head_mask_grad_per_example"] = grad(model->forward(in).loss, {per_example})[0];
  }
  write_safetensors(out_path, result);
  return 0;
}

}  // namespace bertology::cli

// The profile: scopes' own times, nested scopes, backward times of the nodes recorded inside a
// scope, and the models' labels ("attention heads", "feed-forward") in an importance pass.
#include <bertology/autograd/autograd.h>
#include <bertology/autograd/profile.h>
#include <bertology/models/config.h>
#include <bertology/models/load_model.h>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace bertology {
namespace {

const profile::Part* find_part(const std::vector<profile::Part>& parts, const std::string& label) {
  for (const profile::Part& p : parts)
    if (p.label == label) return &p;
  return nullptr;
}

TEST(Profile, NothingIsCollectedUnlessStarted) {
  { profile::Scope scope("outer"); }
  EXPECT_EQ(profile::current_label(), nullptr);
  profile::start();
  std::vector<profile::Part> parts = profile::stop();
  EXPECT_TRUE(parts.empty());
}

TEST(Profile, NestedScopesCountTheirOwnTime) {
  using std::chrono::milliseconds;
  profile::start();
  const auto begin = std::chrono::steady_clock::now();
  {
    profile::Scope outer("outer");
    std::this_thread::sleep_for(milliseconds(10));
    {
      profile::Scope inner("inner");
      EXPECT_STREQ(profile::current_label(), "inner");
      std::this_thread::sleep_for(milliseconds(100));
    }
    EXPECT_STREQ(profile::current_label(), "outer");
  }
  const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  std::vector<profile::Part> parts = profile::stop();
  ASSERT_EQ(parts.size(), 2u);
  const profile::Part* outer = find_part(parts, "outer");
  const profile::Part* inner = find_part(parts, "inner");
  ASSERT_TRUE(outer && inner);
  EXPECT_GE(inner->forward_seconds, 0.100);
  EXPECT_GE(outer->forward_seconds, 0.010);
  // The outer scope's own time is the whole block's less the inner scope's, whatever the load;
  // counting the inner time twice would overshoot by at least 0.1 s.
  EXPECT_LE(outer->forward_seconds + inner->forward_seconds, total + 1e-3) << "the inner time counted twice";
  EXPECT_EQ(outer->scopes, 1);
  EXPECT_EQ(profile::current_label(), nullptr);
}

TEST(Profile, BackwardOfNodesRecordedInAScopeCountsForItsLabel) {
  Tensor x = Tensor::randn({64, 64});
  x.requires_grad_();
  profile::start();
  Tensor y;
  {
    profile::Scope scope("product");
    y = matmul(x, x);  // recorded inside: its backward counts for "product"
  }
  Tensor loss = sum(y * y);  // recorded outside: counts for nothing
  grad(loss, {x});
  std::vector<profile::Part> parts = profile::stop();
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].label, "product");
  EXPECT_GT(parts[0].backward_seconds, 0.0);
}

// A tiny BERT and GPT-2: one "attention heads" and one "feed-forward" scope a layer, each with
// forward and backward time; a layer with every head pruned has no "attention heads" scope.
TEST(Profile, ModelsLabelTheirHeadsAndFeedForward) {
  const std::string bert = R"({"model_type": "bert", "vocab_size": 50, "hidden_size": 16,
      "num_hidden_layers": 3, "num_attention_heads": 4, "intermediate_size": 32, "max_position_embeddings": 16})";
  const std::string gpt2 = R"({"model_type": "gpt2", "vocab_size": 50, "n_embd": 16, "n_layer": 3, "n_head": 4,
      "n_positions": 16})";
  for (const std::string& json : {bert, gpt2}) {
    std::unique_ptr<PreTrainedModel> model = init_model(parse_config(json), 1);
    model->prune_heads({{1, {0, 1, 2, 3}}});  // layer 1 loses every head
    model->requires_grad_(false);
    ModelInputs in;
    in.input_ids = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4, 5, 6, 7, 8}, {2, 4});
    Tensor xi = Tensor::ones({3, 4});
    xi.requires_grad_();
    in.head_mask = xi;
    profile::start();
    ModelOutput out = model->forward(in);
    grad(mean(out.last_hidden_state * out.last_hidden_state), {xi});
    std::vector<profile::Part> parts = profile::stop();
    const profile::Part* heads = find_part(parts, "attention heads");
    const profile::Part* ff = find_part(parts, "feed-forward");
    ASSERT_TRUE(heads && ff) << json;
    EXPECT_EQ(heads->scopes, 2) << json;
    EXPECT_EQ(ff->scopes, 3) << json;
    EXPECT_GT(heads->forward_seconds, 0.0);
    EXPECT_GT(heads->backward_seconds, 0.0);
    EXPECT_GT(ff->backward_seconds, 0.0);
  }
}

}  // namespace
}  // namespace bertology

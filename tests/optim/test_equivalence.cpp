// Degenerate settings must reproduce SGD bit for bit, and BatchNorm running
// statistics must advance exactly once per step.
#include "models/registry.h"
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

models::NetPtr mini_cnn(uint64_t seed, bool cumulative_bn = false) {
  torch::manual_seed(seed);
  auto net = models::make_model("small-cnn-mini", {3, 8, 8, 4});
  if (cumulative_bn) {
    // momentum unset = cumulative moving average (1/num_batches_tracked).
    for (auto& m : net->modules())
      if (auto* bn = m->as<torch::nn::BatchNorm2d>()) bn->options.momentum(c10::nullopt);
  }
  net->train();
  return net;
}

data::Batch batch(uint64_t seed) {
  torch::manual_seed(seed);
  return {torch::randn({16, 3, 8, 8}), torch::randint(0, 4, {16}, torch::kInt64)};
}

optim::SgdOptions sgd_opts() {
  optim::SgdOptions s;
  s.momentum = 0.9;
  s.weight_decay = 5e-4;
  return s;
}

void steps(models::Net& net, optim::StrategyOptions so, int n) { run_steps_on_batches(net, so, sgd_opts(), n, batch); }

}  // namespace

TEST(Equivalence, SamWithRhoZeroIsBitwiseSgd) {
  auto a = mini_cnn(1), b = mini_cnn(1);
  optim::StrategyOptions sgd;
  optim::StrategyOptions sam;
  sam.name = "sam";
  sam.rho = 0.0;
  steps(*a, sgd, 3);
  steps(*b, sam, 3);
  EXPECT_TRUE(states_equal(*a, *b));
}

TEST(Equivalence, NrsWithAlphaZeroIsBitwiseSgd) {
  for (const std::string nb : {"gradient", "random", "filter"}) {
    auto a = mini_cnn(2), b = mini_cnn(2);
    optim::StrategyOptions sgd;
    optim::StrategyOptions nrs;
    nrs.name = "nrs";
    nrs.nrs_alpha = 0.0;
    nrs.nrs_neighbor = nb;
    nrs.nrs_radius = 0.5;
    steps(*a, sgd, 3);
    steps(*b, nrs, 3);
    EXPECT_TRUE(states_equal(*a, *b)) << nb;
  }
}

TEST(Equivalence, SanityDifferentSettingsDoDiffer) {
  // Guards the two tests above against comparing a model with itself.
  auto a = mini_cnn(1), b = mini_cnn(1);
  optim::StrategyOptions sgd;
  optim::StrategyOptions sam;
  sam.name = "sam";
  sam.rho = 0.1;
  steps(*a, sgd, 1);
  steps(*b, sam, 1);
  EXPECT_FALSE(states_equal(*a, *b));
}

namespace {

// BN buffers after one step of `so` versus after one plain train-mode forward.
void expect_bn_like_single_forward(const optim::StrategyOptions& so, bool cumulative) {
  auto stepped = mini_cnn(7, cumulative), reference = mini_cnn(7, cumulative);
  auto b = batch(100);
  {
    torch::NoGradGuard ng;
    reference->forward(b.x);
  }
  steps(*stepped, so, 1);
  auto rb = reference->named_buffers();
  int compared = 0;
  for (const auto& kv : stepped->named_buffers()) {
    EXPECT_TRUE(torch::equal(kv.value(), rb[kv.key()])) << so.name << " " << kv.key();
    ++compared;
  }
  EXPECT_EQ(compared, 6);  // 2 BN layers x (mean, var, num_batches_tracked)
}

}  // namespace

TEST(BatchNorm, SamUpdatesRunningStatsOnceFromTheUnperturbedPass) {
  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = 0.5;
  expect_bn_like_single_forward(so, false);
  expect_bn_like_single_forward(so, true);
}

TEST(BatchNorm, AsamAndNrsUpdateRunningStatsOnce) {
  optim::StrategyOptions asam;
  asam.name = "asam";
  asam.rho = 0.5;
  expect_bn_like_single_forward(asam, true);
  for (const std::string nb : {"gradient", "random", "filter"}) {
    for (const std::string target : {"detached", "full"}) {
      optim::StrategyOptions nrs;
      nrs.name = "nrs";
      nrs.nrs_neighbor = nb;
      nrs.nrs_samples = nb == "gradient" ? 1 : 2;
      nrs.nrs_target = target;
      nrs.nrs_radius = 0.5;
      expect_bn_like_single_forward(nrs, true);
    }
  }
}

TEST(BatchNorm, BothModeCountsTheSecondPass) {
  auto net = mini_cnn(7);
  optim::StrategyOptions so;
  so.name = "sam";
  so.bn_stats = "both";
  steps(*net, so, 1);
  for (const auto& kv : net->named_buffers())
    if (kv.key().find("num_batches_tracked") != std::string::npos) {
      EXPECT_EQ(kv.value().item<int64_t>(), 2);
    }
}

TEST(Snapshot, PerturbAndRestoreIsBitwise) {
  auto net = mini_cnn(9);
  std::vector<torch::Tensor> params = net->parameters();
  std::vector<torch::Tensor> copies;
  for (auto& p : params) copies.push_back(p.detach().clone());
  optim::ParamSnapshot snap(params);
  snap.save();
  {
    torch::NoGradGuard ng;
    for (auto& p : params) p.add_(torch::randn_like(p) * 0.37);
  }
  snap.restore();
  for (size_t i = 0; i < params.size(); ++i) EXPECT_TRUE(torch::equal(params[i], copies[i]));
}

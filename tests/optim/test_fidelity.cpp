// Fidelity smoke test (issue #20): the official SAM code's semantics on one
// process (docs/fidelity.md), each checked against an independent computation
// (closed forms, or reference passes run here on separate model copies).
// CTest label: cli
#include "models/registry.h"
#include "models/shakedrop.h"
#include "tests/support/optim_fixtures.h"
#include "tests/support/result_files.h"
#include "tests/support/run_binary.h"

#include <cmath>
#include <map>

using namespace nrs;
using namespace nrs::testing;

namespace {

// Mini official WRN (widths 8/16/32, one block per stage) on 3x8x8 inputs,
// 4 classes, in float64 so reference comparisons can be tight.
models::NetPtr mini_wrn(uint64_t seed) {
  torch::manual_seed(seed);
  auto net = models::make_model("wrn-16-4-official-mini", {3, 8, 8, 4});
  net->to(torch::kFloat64);
  net->train();
  return net;
}

data::Batch batch(uint64_t seed, int64_t n = 16) {
  torch::manual_seed(seed);
  return {torch::randn({n, 3, 8, 8}, torch::kFloat64), torch::randint(0, 4, {n}, torch::kInt64)};
}

optim::SgdOptions plain() {
  optim::SgdOptions s;
  s.momentum = 0.0;
  return s;
}

optim::StrategyOptions strategy(const std::string& name, int64_t sam_m = 0, int64_t bn_group = 0) {
  optim::StrategyOptions so;
  so.name = name;
  so.rho = 0.1;
  so.sam_m = sam_m;
  so.bn_group = bn_group;
  return so;
}

void steps(models::Net& net, const optim::StrategyOptions& so, const optim::SgdOptions& sgd, int n) {
  run_steps_on_batches(net, so, sgd, n, [](uint64_t seed) { return batch(seed); });
}

// Gradients of CE (+ 0.5 wd ||w||^2) of `net` on `b`, one plain forward pass.
std::vector<torch::Tensor> grads(models::Net& net, const data::Batch& b, double wd) {
  auto loss = torch::nn::functional::cross_entropy(net.forward(b.x), b.y);
  std::vector<torch::Tensor> ps;
  for (auto& p : net.parameters()) ps.push_back(p);
  if (wd > 0) {
    torch::Tensor pen = torch::zeros({}, torch::kFloat64);
    for (auto& p : ps) pen = pen + p.pow(2).sum();
    loss = loss + 0.5 * wd * pen;
  }
  return torch::autograd::grad({loss}, ps);
}

double global_norm(const std::vector<torch::Tensor>& g) {
  double s = 0;
  for (const auto& t : g) s += t.pow(2).sum().item<double>();
  return std::sqrt(s);
}

}  // namespace

TEST(Fidelity, GhostBnWithGroupEqualToTheBatchIsPlainBn) {
  for (const std::string name : {"sgd", "sam"}) {
    auto a = mini_wrn(1), b = mini_wrn(1);
    optim::SgdOptions sgd;  // momentum 0.9, decay: the whole base update
    sgd.weight_decay = 5e-4;
    steps(*a, strategy(name, 0, 16), sgd, 3);
    steps(*b, strategy(name), sgd, 3);
    EXPECT_TRUE(states_equal(*a, *b)) << name;
  }
}

TEST(Fidelity, GhostBnHalvesEqualTwoIndependentDevices) {
  // --bn-group 8 on a batch of 16 = two devices of 8: the step's gradient is
  // the mean of the halves' gradients (each half normalised by its own batch
  // statistics) and the running statistics are the mean of the two devices'
  // copies (flax_training.py eval_step pmean).
  auto net = mini_wrn(2), dev1 = mini_wrn(2), dev2 = mini_wrn(2), whole = mini_wrn(2);
  auto b = batch(7);
  const double lr = 0.1;
  std::map<std::string, torch::Tensor> w0;
  for (const auto& kv : net->named_parameters()) w0[kv.key()] = kv.value().detach().clone();
  {
    optim::BaseSgd base(named_params(*net), plain());
    auto strat = optim::make_strategy(strategy("sgd", 0, 8), *net, base);
    optim::Objective obj;
    optim::StepContext ctx{*net, b, obj, base, lr};
    strat->step(ctx);
  }
  auto g1 = grads(*dev1, optim::slice(b, {0, 8}), 0.0);
  auto g2 = grads(*dev2, optim::slice(b, {8, 8}), 0.0);
  auto gw = grads(*whole, b, 0.0);
  size_t i = 0;
  double ghost_vs_whole = 0;
  for (const auto& kv : net->named_parameters()) {
    auto expected = w0[kv.key()] - lr * 0.5 * (g1[i] + g2[i]);
    EXPECT_TRUE(torch::allclose(kv.value().detach(), expected, 1e-12, 1e-12)) << kv.key();
    ghost_vs_whole += (kv.value().detach() - (w0[kv.key()] - lr * gw[i])).abs().max().item<double>();
    ++i;
  }
  EXPECT_GT(ghost_vs_whole, 1e-6) << "per-half statistics must change the step";
  auto b1 = dev1->named_buffers(), b2 = dev2->named_buffers();
  for (const auto& kv : net->named_buffers()) {
    if (kv.value().is_floating_point()) {
      EXPECT_TRUE(torch::allclose(kv.value(), 0.5 * (b1[kv.key()] + b2[kv.key()]), 1e-12, 1e-14)) << kv.key();
    } else {
      EXPECT_EQ(kv.value().item<int64_t>(), 1) << kv.key() << ": one step advances the count once";
    }
  }
}

TEST(Fidelity, SamMEqualToTheBatchIsPlainSam) {
  for (const std::string name : {"sam", "asam", "nrs"}) {
    auto a = mini_wrn(3), b = mini_wrn(3);
    optim::SgdOptions sgd;
    sgd.wd_mode = "loss";
    sgd.weight_decay = 5e-4;
    steps(*a, strategy(name, 16), sgd, 2);
    steps(*b, strategy(name), sgd, 2);
    EXPECT_TRUE(states_equal(*a, *b)) << name;
  }
}

TEST(Fidelity, SamMHalfIsTheMeanOfTwoHalfBatchSamGradients) {
  // --sam-m 8 on 16 samples: each half is a device with its own
  // e_h = rho g_h / ||g_h|| from its own gradient (L2 term included, as the
  // official loss), its own BN statistics, and the SAM gradient is the mean of
  // grad L_h(w + e_h). Reference: each half on its own model copy.
  const double lr = 0.1, rho = 0.1, wd = 0.01;
  auto net = mini_wrn(4);
  auto b = batch(9);
  std::map<std::string, torch::Tensor> w0;
  for (const auto& kv : net->named_parameters()) w0[kv.key()] = kv.value().detach().clone();
  {
    auto sgd = plain();
    sgd.wd_mode = "loss";
    sgd.weight_decay = wd;
    optim::BaseSgd base(named_params(*net), sgd);
    auto strat = optim::make_strategy(strategy("sam", 8), *net, base);
    optim::Objective obj;
    optim::StepContext ctx{*net, b, obj, base, lr};
    strat->step(ctx);
  }
  std::vector<torch::Tensor> sam_sum;
  std::vector<std::map<std::string, torch::Tensor>> first_pass_buffers;
  for (int h = 0; h < 2; ++h) {
    auto dev = mini_wrn(4);
    const auto half = optim::slice(b, {8 * h, 8});
    auto g = grads(*dev, half, wd);
    std::map<std::string, torch::Tensor> bufs;
    for (const auto& kv : dev->named_buffers()) bufs[kv.key()] = kv.value().clone();
    first_pass_buffers.push_back(bufs);
    const double scale = rho / global_norm(g);
    {
      torch::NoGradGuard ng;
      size_t i = 0;
      for (auto& p : dev->parameters()) p.add_(g[i++] * scale);
    }
    auto s = grads(*dev, half, wd);  // L2 term at w + e_h, as the official perturbed loss
    for (size_t i = 0; i < s.size(); ++i) {
      if (sam_sum.size() <= i) sam_sum.push_back(torch::zeros_like(s[i]));
      sam_sum[i] += 0.5 * s[i];
    }
  }
  size_t i = 0;
  for (const auto& kv : net->named_parameters()) {
    auto expected = w0[kv.key()] - lr * sam_sum[i++];
    EXPECT_TRUE(torch::allclose(kv.value().detach(), expected, 1e-10, 1e-12)) << kv.key();
  }
  for (const auto& kv : net->named_buffers())
    if (kv.value().is_floating_point()) {
      auto expected = 0.5 * (first_pass_buffers[0][kv.key()] + first_pass_buffers[1][kv.key()]);
      EXPECT_TRUE(torch::allclose(kv.value(), expected, 1e-12, 1e-14)) << kv.key() << ": first passes only";
    }
}

TEST(Fidelity, L2InLossSamWithClippingAndNesterovMatchesHandComputation) {
  // loss = 0.5 w^T A w + 0.5 wd ||w||^2, A = diag(2.5, 3.5), wd = 0.5, w0 = (1, 1):
  //   g = (A + wd I) w0 = (3, 4), ||g|| = 5, e = rho g/||g|| = (0.3, 0.4) with rho = 0.5;
  //   g_SAM = (A + wd I)(w0 + e) = (3 * 1.3, 4 * 1.4) = (3.9, 5.6), ||g_SAM|| = sqrt(46.57);
  //   clipped to norm 5 (after the L2 term, official order): c = g_SAM * 5 / (||g_SAM|| + 1e-6);
  //   Nesterov, first step: buf = c, d = c + 0.9 c = 1.9 c;  w1 = w0 - 0.1 * 1.9 c.
  VectorNet net(torch::tensor({1.0, 1.0}, torch::kFloat64));
  optim::Objective quad;
  quad.custom = [](const torch::Tensor& out, const torch::Tensor&) {
    auto w = out.squeeze(0);
    return 0.5 * (2.5 * w[0] * w[0] + 3.5 * w[1] * w[1]);
  };
  optim::SgdOptions sgd;
  sgd.momentum = 0.9;
  sgd.nesterov = true;
  sgd.weight_decay = 0.5;
  sgd.wd_mode = "loss";
  sgd.grad_clip = 5.0;
  auto so = strategy("sam");
  so.rho = 0.5;
  run_steps(net, so, sgd, {torch::zeros({1, 1}, torch::kFloat64), torch::zeros({1}, torch::kInt64)}, 0.1, 1, quad);
  const double coef = 5.0 / (std::sqrt(46.57) + 1e-6);
  EXPECT_NEAR(net.w[0].item<double>(), 1.0 - 0.1 * 1.9 * 3.9 * coef, 1e-14);
  EXPECT_NEAR(net.w[1].item<double>(), 1.0 - 0.1 * 1.9 * 5.6 * coef, 1e-14);
  EXPECT_NEAR(net.w[0].item<double>(), 0.4570810, 1e-6);  // the numbers, once, by hand
  EXPECT_NEAR(net.w[1].item<double>(), 0.2204240, 1e-6);
}

namespace {

// Records the random draws of its stochastic layers in every forward pass:
// a ShakeDrop multiplier per sample and a dropout mask.
class GatedNet : public models::Net {
 public:
  GatedNet() {
    fc = register_module("fc", torch::nn::Linear(4, 3));
    to(torch::kFloat64);
  }
  torch::Tensor forward(torch::Tensor x) override {
    auto h = fc(x);
    auto shake = models::shake_drop(torch::ones({x.size(0), 1}, h.options()), 0.5, is_training());
    auto drop = torch::dropout(torch::ones_like(h), 0.5, is_training());
    draws.push_back(torch::cat({shake.flatten(), drop.flatten()}).detach());
    return h * shake * drop;
  }
  torch::nn::Linear fc{nullptr};
  std::vector<torch::Tensor> draws;
};

std::vector<torch::Tensor> one_step_draws(optim::StrategyOptions so, bool shared, int64_t n = 8) {
  torch::manual_seed(5);
  GatedNet net;
  data::Batch b{torch::randn({n, 4}, torch::kFloat64), torch::randint(0, 3, {n}, torch::kInt64)};
  so.shared_gates = shared;
  net.draws.clear();
  run_steps(net, so, plain(), b, 0.1, 1);
  return net.draws;
}

}  // namespace

TEST(Fidelity, SharedGatesGiveIdenticalDrawsInEveryPass) {
  auto sam = one_step_draws(strategy("sam"), true);
  ASSERT_EQ(sam.size(), 2u);
  EXPECT_TRUE(torch::equal(sam[0], sam[1]));
  auto fresh = one_step_draws(strategy("sam"), false);
  ASSERT_EQ(fresh.size(), 2u);
  EXPECT_TRUE(torch::equal(fresh[0], sam[0])) << "the first pass draws as before";
  EXPECT_FALSE(torch::equal(fresh[0], fresh[1])) << "unshared: the second pass draws anew";

  auto nrs = strategy("nrs");
  nrs.nrs_neighbor = "random";
  nrs.nrs_samples = 2;
  nrs.nrs_target = "full";
  auto all = one_step_draws(nrs, true);
  ASSERT_EQ(all.size(), 4u);  // w, two neighbours, the p_w pass
  for (size_t k = 1; k < all.size(); ++k) EXPECT_TRUE(torch::equal(all[0], all[k])) << "pass " << k;

  // Per m-chunk: each chunk replays its own draws; chunks draw their own.
  auto chunked = one_step_draws(strategy("sam", 4), true);
  ASSERT_EQ(chunked.size(), 4u);  // chunk 0: first, perturbed; chunk 1: first, perturbed
  EXPECT_TRUE(torch::equal(chunked[0], chunked[1]));
  EXPECT_TRUE(torch::equal(chunked[2], chunked[3]));
  EXPECT_FALSE(torch::equal(chunked[0], chunked[2]));
}

TEST(Fidelity, SharedGatesLeaveTheGeneratorWhereOnePassWould) {
  // After a shared-gates SAM step the default generator continues exactly as
  // after an SGD step: the stream of gates a run sees does not depend on the
  // number of passes per step.
  auto after = [](const std::string& name) {
    torch::manual_seed(5);
    GatedNet net;
    data::Batch b{torch::randn({8, 4}, torch::kFloat64), torch::randint(0, 3, {8}, torch::kInt64)};
    auto so = strategy(name);
    so.shared_gates = true;
    run_steps(net, so, plain(), b, 0.1, 1);
    return torch::rand({4}, torch::kFloat64);
  };
  EXPECT_TRUE(torch::equal(after("sam"), after("sgd")));
}

TEST(Fidelity, MiniWrnTrainsUnderTheOfficialSemantics) {
  // A few steps end to end, through the CLI, with every official-semantics
  // flag as a protocol cell would set them; the result records each setting.
  nrs::test::TempDir t;
  for (const std::string opt : {"sam", "nrs"}) {
    const auto out = t / (opt + ".json");
    auto o = nrs::test::nrsbench(
        "run --model wrn-16-4-official-mini --dataset synthetic-3x8x8-4 --train-subset 70 --test-subset 32 --epochs 1 "
        "--batch-size 16 --lr 0.05 --nesterov --weight-decay 0.0005 --wd-mode loss --grad-clip 5 --sam-m 8 "
        "--bn-group 4 --shared-gates --drop-last --augment cutout --cutout 4 --cutout-mode batch --pad 1 "
        "--pad-mode reflect --threads 1 --quiet --optimizer " +
        opt + " --out " + out);
    ASSERT_EQ(o.code, 0) << o.text;
    auto r = nrs::test::read_json(out);
    ASSERT_EQ(r["status"], "ok") << r.dump();
    EXPECT_EQ(r["throughput"]["steps"], 4) << "70 samples, batches of 16, the partial one dropped";
    const auto& c = r["config"];
    EXPECT_EQ(c["sgd"]["wd_mode"], "loss");
    EXPECT_EQ(c["sgd"]["grad_clip"], 5.0);
    EXPECT_EQ(c["optimizer"]["sam_m"], 8);
    EXPECT_EQ(c["optimizer"]["bn_group"], 4);
    EXPECT_EQ(c["optimizer"]["shared_gates"], true);
    EXPECT_EQ(c["drop_last"], true);
    EXPECT_EQ(c["augment"]["cutout_mode"], "batch");
    EXPECT_EQ(c["augment"]["pad_mode"], "reflect");
    EXPECT_TRUE(std::isfinite(r["final"]["test_acc"].get<double>()));
  }
  // The flags are validated with one line naming the flag.
  auto o = nrs::test::nrsbench(
      "run --model mlp-mini --dataset synthetic --optimizer sam --batch-size 100 --sam-m 32 --out " + t / "bad.json");
  EXPECT_EQ(o.code, 2) << o.text;
  EXPECT_NE(o.text.find("--sam-m: must divide --batch-size (100)"), std::string::npos) << o.text;
}

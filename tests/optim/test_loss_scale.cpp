// Dynamic loss scaling (suite/optim/loss_scale.h), in fp32 arithmetic so it
// runs in both builds; the float16 passes themselves are in test_fp16.cpp.
// Truth from outside the code: GradScaler's documented update rule stepped by
// hand; IEEE arithmetic (scaling by a power of two is exact, so every
// strategy must take the same step, bit for bit, with no scaler, at scale 1
// and at 2^16); and the state before a step, which a skipped step must leave
// exactly as it was.
#include "suite/optim/loss_scale.h"
#include "tests/support/optim_fixtures.h"

#include <cmath>
#include <limits>

using namespace nrs;
using namespace nrs::testing;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

optim::LossScaleOptions scale_options(double init, int64_t interval = 2000) {
  optim::LossScaleOptions o;
  o.init = init;
  o.growth_interval = interval;
  return o;
}

// One end of step, with or without an inf in one of its passes.
bool end_step(optim::LossScaler& s, bool overflow) {
  auto g = torch::ones({3}) * s.scale();
  if (overflow) g[1] = kInf;
  s.unscale_and_check({g});
  return s.end_step(nullptr, 1.0, torch::kCPU);
}

struct Scenario {
  std::string label;
  optim::StrategyOptions so;
};

std::vector<Scenario> scenarios() {
  std::vector<Scenario> v;
  auto add = [&](const std::string& label, auto edit) {
    optim::StrategyOptions so;
    so.rho = 0.05;
    so.nrs_radius = 0.05;
    so.looksam_k = 2;
    so.rst_p = 0.5;
    so.seed = 3;
    edit(so);
    v.push_back({label, so});
  };
  add("sgd", [](auto& o) { o.name = "sgd"; });
  add("sam", [](auto& o) { o.name = "sam"; });
  add("sam-m8", [](auto& o) {
    o.name = "sam";
    o.sam_m = 8;
    o.bn_group = 4;
  });
  add("asam", [](auto& o) {
    o.name = "asam";
    o.rho = 0.5;
  });
  add("gnp", [](auto& o) { o.name = "gnp"; });
  add("gnp-raw", [](auto& o) {
    o.name = "gnp";
    o.gnp_mix = "raw";
  });
  add("looksam", [](auto& o) { o.name = "looksam"; });
  add("rst", [](auto& o) { o.name = "rst"; });
  add("nrs-gradient", [](auto& o) { o.name = "nrs"; });
  add("nrs-random", [](auto& o) {
    o.name = "nrs";
    o.nrs_neighbor = "random";
    o.nrs_samples = 2;
  });
  return v;
}

optim::SgdOptions sgd_options() {
  optim::SgdOptions sgd;
  sgd.momentum = 0.9;
  sgd.weight_decay = 5e-4;
  sgd.grad_clip = 0.5;  // active on these batches: clipping must see the unscaled gradient
  return sgd;
}

struct Trace {
  std::vector<torch::Tensor> params;
  std::vector<double> perturb_norms;
};

// Four steps on four batches; `scale` <= 0 means no scaler.
Trace train(const optim::StrategyOptions& so, double scale) {
  auto net = small_mini_cnn(11);
  optim::BaseSgd base(named_params(*net), sgd_options());
  auto strat = optim::make_strategy(so, *net, base);
  std::unique_ptr<optim::LossScaler> scaler;
  if (scale > 0) scaler = std::make_unique<optim::LossScaler>(scale_options(scale));
  optim::Objective obj;
  Trace t;
  for (int i = 0; i < 4; ++i) {
    const auto b = mini_batch(20 + i);
    optim::StepContext ctx{*net, b, obj, base, 0.1, optim::Precision::kFloat32, nullptr, 1.0, i, 4, scaler.get()};
    t.perturb_norms.push_back(optim::scaled_step(*strat, ctx).perturb_norm.item<double>());
    if (scaler) {
      EXPECT_FALSE(scaler->last_skipped()) << so.name;
    }
  }
  for (const auto& p : net->parameters()) t.params.push_back(p.detach().clone());
  return t;
}

// Everything a skipped step must leave as it was.
struct Everything {
  std::vector<torch::Tensor> params, buffers, momentum, state;
};

Everything capture(models::Net& net, optim::BaseSgd& base, optim::StepStrategy& strat) {
  Everything e;
  for (const auto& p : net.parameters()) e.params.push_back(p.detach().clone());
  for (const auto& b : net.buffers()) e.buffers.push_back(b.clone());
  for (const auto& m : base.momentum_buffers()) e.momentum.push_back(m.defined() ? m.clone() : torch::Tensor());
  for (const auto& s : strat.state()) e.state.push_back(s.clone());
  return e;
}

void expect_bitwise(const std::vector<torch::Tensor>& a, const std::vector<torch::Tensor>& b, const std::string& what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].defined(), b[i].defined()) << what << " " << i;
    if (a[i].defined()) {
      EXPECT_TRUE(torch::equal(a[i], b[i])) << what << " " << i;
    }
  }
}

// A peer replica for the one-process tests: its gradients equal ours, and its
// overflow flag (the 1-element tensor LossScaler::end_step sends) is given.
class PeerReplicas : public optim::Replicas {
 public:
  explicit PeerReplicas(double peer_flag) : peer_flag_(peer_flag) {}
  int rank() const override { return 0; }
  int world() const override { return 2; }
  void average_gradients(const std::vector<torch::Tensor>& params, double weight) override {
    torch::NoGradGuard ng;
    for (const auto& p : params) {
      auto g = p.grad();
      auto peer = p.numel() == 1 ? torch::full_like(g, peer_flag_) : g.clone();
      p.mutable_grad() = g * weight + peer * (1.0 - weight);
    }
  }

 private:
  double peer_flag_;
};

}  // namespace

TEST(LossScale, ScaleFollowsGradScalersRule) {
  // init 4, growth 2 after 3 clean steps in a row, backoff 0.5, floor 1.
  optim::LossScaler s(scale_options(4, 3));
  const std::vector<std::pair<bool, double>> steps = {
      {false, 4}, {false, 4}, {false, 8},             // the third clean step doubles
      {true, 4},                                      // an overflow halves and restarts the count
      {false, 4}, {true, 2},  {true, 1},  {true, 1},  // never below 1
      {false, 1}, {false, 1}, {false, 2}};
  int skipped = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    EXPECT_EQ(end_step(s, steps[i].first), steps[i].first) << "step " << i;
    skipped += steps[i].first;
    EXPECT_EQ(s.scale(), steps[i].second) << "step " << i;
  }
  EXPECT_EQ(s.skipped_steps(), skipped);
  EXPECT_EQ(s.steps(), static_cast<int64_t>(steps.size()));
  // The unscaled gradient is the exact value.
  auto g = torch::tensor({1.5f * 2.0f, -0.25f * 2.0f});
  s.unscale_and_check({g});
  EXPECT_TRUE(torch::equal(g, torch::tensor({1.5f, -0.25f})));
  EXPECT_FALSE(s.end_step(nullptr, 1.0, torch::kCPU));
  // NaN counts as overflow too.
  auto n = torch::tensor({std::nanf("")});
  s.unscale_and_check({n});
  EXPECT_TRUE(s.end_step(nullptr, 1.0, torch::kCPU));

  // The checkpointed state restores every counter.
  optim::LossScaler r(scale_options(65536, 3));
  r.load_state(s.state());
  auto rs = r.summary(), ss = s.summary();
  rs.erase("init");
  ss.erase("init");
  EXPECT_EQ(rs, ss);
  EXPECT_EQ(r.skipped_steps(), s.skipped_steps());
  EXPECT_EQ(end_step(r, false), end_step(s, false));
  EXPECT_EQ(r.scale(), s.scale());
  EXPECT_THROW(r.load_state(torch::tensor({3.0, 0.0, 0.0, 0.0}, torch::kFloat64)), std::invalid_argument);
  EXPECT_THROW(r.load_state(torch::tensor({4.0, 0.0}, torch::kFloat64)), std::invalid_argument);
}

TEST(LossScale, OptionsNameTheirFlag) {
  for (double bad : {3.0, 0.5, 0.0, -4.0, kInf, std::ldexp(1.0, 65)}) {
    try {
      scale_options(bad).validate();
      ADD_FAILURE() << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("--loss-scale-init"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(scale_options(1).validate());
  EXPECT_NO_THROW(scale_options(std::ldexp(1.0, 40)).validate());
  try {
    scale_options(8, 0).validate();
    ADD_FAILURE() << "growth interval 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("--loss-scale-growth-interval"), std::string::npos) << e.what();
  }
}

// rho's meaning does not depend on the scale: the perturbation has norm rho
// at scale 1 and at 2^16, and every step is the one taken with no scaler.
TEST(LossScale, EveryStrategyTakesTheSameStepAtEveryScale) {
  for (const auto& sc : scenarios()) {
    const auto plain = train(sc.so, 0);
    for (double scale : {1.0, 65536.0}) {
      const auto scaled = train(sc.so, scale);
      expect_bitwise(scaled.params, plain.params, sc.label + " at scale " + std::to_string(scale));
      EXPECT_EQ(scaled.perturb_norms, plain.perturb_norms) << sc.label << " at scale " << scale;
    }
    if (sc.label == "sam" || sc.label == "gnp") {
      for (double n : plain.perturb_norms) EXPECT_NEAR(n, sc.so.rho, 1e-6) << sc.label;
    }
  }
}

// A pass that overflows (forced: its gradient made inf) skips the step: the
// weights, BatchNorm buffers, momentum and the strategy's state are as they
// were before it, bit for bit, and the scale halves. The next step updates.
TEST(LossScale, AnOverflowInTheSecondPassSkipsTheStepBitwise) {
  for (const auto& sc : scenarios()) {
    if (sc.label == "sam-m8") continue;  // its passes are several per chunk; sam covers the path
    auto so = sc.so;
    if (so.name == "rst") so.rst_p = 1.0;  // a SAM step: two passes
    auto net = small_mini_cnn(5);
    optim::BaseSgd base(named_params(*net), sgd_options());
    auto strat = optim::make_strategy(so, *net, base);
    optim::LossScaler scaler(scale_options(65536));
    optim::Objective obj;
    int64_t step = 0;
    auto one_step = [&](uint64_t batch_seed) {
      const auto b = mini_batch(batch_seed);
      optim::StepContext ctx{*net, b, obj, base, 0.1, optim::Precision::kFloat32, nullptr, 1.0, step++, 8, &scaler};
      return optim::scaled_step(*strat, ctx);
    };
    // Two clean steps first: momentum buffers exist, LookSAM holds its part.
    one_step(1);
    one_step(2);
    ASSERT_EQ(scaler.skipped_steps(), 0) << sc.label;
    const auto before = capture(*net, base, *strat);

    // The pass that overflows: the second backward of the step (SGD: its only one).
    const int target = so.name == "sgd" ? 1 : 2;
    int backward = 0;
    auto p0 = net->parameters().front();
    const auto hook = p0.register_hook([&](torch::Tensor g) -> torch::Tensor {
      return ++backward == target ? g + std::numeric_limits<float>::infinity() : g;
    });
    if (so.name == "looksam") {
      ASSERT_EQ(step % so.looksam_k, 0) << "a full LookSAM step";
    }
    one_step(3);
    p0.remove_hook(hook);
    ASSERT_GE(backward, target) << sc.label;
    EXPECT_TRUE(scaler.last_skipped()) << sc.label;
    EXPECT_EQ(scaler.skipped_steps(), 1) << sc.label;
    EXPECT_EQ(scaler.scale(), 32768.0) << sc.label;
    const auto after = capture(*net, base, *strat);
    expect_bitwise(after.params, before.params, sc.label + " weights");
    expect_bitwise(after.buffers, before.buffers, sc.label + " BatchNorm buffers");
    expect_bitwise(after.momentum, before.momentum, sc.label + " momentum");
    expect_bitwise(after.state, before.state, sc.label + " strategy state");

    one_step(4);
    EXPECT_FALSE(scaler.last_skipped()) << sc.label;
    EXPECT_FALSE(torch::equal(net->parameters().front(), before.params.front())) << sc.label << ": no update";
  }
}

// Replicas skip together: a peer's overflow skips this replica's step although
// all of its own passes were finite; with a clean peer the step goes ahead.
TEST(LossScale, APeersOverflowSkipsEveryReplica) {
  for (double peer_flag : {1.0, 0.0}) {
    torch::manual_seed(2);
    Mlp2 net(6, 10, 3, torch::kFloat32);
    optim::BaseSgd base(named_params(net), sgd_options());
    optim::StrategyOptions so;
    so.name = "sam";
    auto strat = optim::make_strategy(so, net, base);
    optim::LossScaler scaler(scale_options(1024));
    PeerReplicas peer(peer_flag);
    optim::Objective obj;
    const data::Batch b{torch::randn({8, 6}), torch::randint(0, 3, {8}, torch::kInt64)};
    std::vector<torch::Tensor> w0;
    for (const auto& p : net.parameters()) w0.push_back(p.detach().clone());
    optim::StepContext ctx{net, b, obj, base, 0.1, optim::Precision::kFloat32, &peer, 0.5, 0, 1, &scaler};
    optim::scaled_step(*strat, ctx);
    EXPECT_EQ(scaler.last_skipped(), peer_flag > 0);
    EXPECT_EQ(scaler.scale(), peer_flag > 0 ? 512.0 : 1024.0);
    std::vector<torch::Tensor> w1;
    for (const auto& p : net.parameters()) w1.push_back(p.detach().clone());
    if (peer_flag > 0) {
      expect_bitwise(w1, w0, "weights after a peer's overflow");
    } else {
      EXPECT_FALSE(torch::equal(w1.front(), w0.front()));
    }
  }
}

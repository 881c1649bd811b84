// bf16 autocast order on CPU: both passes under autocast, norms/KL in fp32,
// exact restore, BN statistics advanced once.
#include "models/registry.h"
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

TEST(Bf16, SamAndNrsStepsUnderCpuAutocast) {
  for (const std::string name : {"sam", "gnp", "looksam", "rst", "nrs"}) {
    torch::manual_seed(4);
    auto net = models::make_model("small-cnn-mini", {3, 8, 8, 4});
    torch::manual_seed(4);
    auto ref = models::make_model("small-cnn-mini", {3, 8, 8, 4});
    net->train();
    data::Batch b{torch::randn({16, 3, 8, 8}), torch::randint(0, 4, {16}, torch::kInt64)};
    optim::SgdOptions sgd;
    optim::BaseSgd base(named_params(*net), sgd);
    optim::StrategyOptions so;
    so.name = name;
    so.rho = 0.5;
    so.nrs_radius = 0.5;
    so.rst_p = 1.0;  // RST: its SAM branch (its SGD branch is SgdStep's)
    auto strat = optim::make_strategy(so, *net, base);
    optim::Objective obj;
    optim::StepContext ctx{*net, b, obj, base, /*lr=*/0.0, optim::Precision::kBFloat16};
    auto st = strat->step(ctx);
    EXPECT_EQ(st.loss.scalar_type(), torch::kFloat32) << name;
    EXPECT_EQ(st.grad_norm.scalar_type(), torch::kFloat32) << name;
    EXPECT_TRUE(std::isfinite(st.loss.item<double>())) << name;
    EXPECT_GT(st.perturb_norm.item<double>(), 0.0) << name;
    if (name == "nrs") {
      EXPECT_EQ(st.kl.scalar_type(), torch::kFloat32);
    }
    // lr = 0: parameters are restored bit for bit; parameters stay fp32.
    auto rp = ref->named_parameters();
    for (const auto& kv : net->named_parameters()) {
      EXPECT_EQ(kv.value().scalar_type(), torch::kFloat32);
      EXPECT_TRUE(torch::equal(kv.value(), rp[kv.key()])) << name << " " << kv.key();
    }
    for (const auto& kv : net->named_buffers())
      if (kv.key().find("num_batches_tracked") != std::string::npos) {
        EXPECT_EQ(kv.value().item<int64_t>(), 1) << name;
      }
    // The first pass really ran in bf16: its loss differs from the fp32 one.
    ref->train();
    optim::BaseSgd base32(named_params(*ref), sgd);
    auto strat32 = optim::make_strategy(so, *ref, base32);
    optim::StepContext ctx32{*ref, b, obj, base32, 0.0, optim::Precision::kFloat32};
    EXPECT_NE(strat32->step(ctx32).loss.item<float>(), st.loss.item<float>()) << name;
  }
}

// NRS on softmax regression in float64 against closed forms and finite
// differences, and the neighbour radii of the random and filter variants.
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

struct Problem {
  torch::Tensor X, y, Y, W0, b0;
};

Problem problem() {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(42);
  Problem p;
  p.X = torch::randn({12, 4}, gen, torch::kFloat64);
  p.y = torch::randint(0, 3, {12}, gen, torch::kInt64);
  p.Y = torch::one_hot(p.y, 3).to(torch::kFloat64);
  p.W0 = torch::randn({3, 4}, gen, torch::kFloat64);
  p.b0 = torch::randn({3}, gen, torch::kFloat64);
  return p;
}

optim::SgdOptions plain() {
  optim::SgdOptions s;
  s.momentum = 0.0;
  return s;
}

// One NRS step from (W0, b0); returns the new (W, b).
std::pair<torch::Tensor, torch::Tensor> nrs_step(const Problem& p, double r, double alpha, double lr,
                                                 const std::string& target = "detached") {
  Linear net(p.W0, p.b0);
  optim::StrategyOptions so;
  so.name = "nrs";
  so.nrs_radius = r;
  so.nrs_alpha = alpha;
  so.nrs_target = target;
  run_steps(net, so, plain(), data::Batch{p.X, p.y}, lr, 1);
  return {net.W.detach().clone(), net.b.detach().clone()};
}

torch::Tensor kl_rows(const torch::Tensor& P, const torch::Tensor& logits_q) {
  auto logq = torch::log_softmax(logits_q, 1);
  return (P * (P.log() - logq)).sum(1);
}

}  // namespace

TEST(Nrs, GradientNeighbourUpdateMatchesClosedForm) {
  auto p = problem();
  const double r = 0.3, alpha = 0.7, lr = 0.2;
  const double n = 12;
  auto P = torch::softmax(torch::matmul(p.X, p.W0.t()) + p.b0, 1);
  auto gW = torch::matmul((P - p.Y).t(), p.X) / n;
  auto gb = (P - p.Y).sum(0) / n;
  auto norm = std::sqrt(gW.pow(2).sum().item<double>() + gb.pow(2).sum().item<double>());
  auto V = p.W0 + r * gW / norm, c = p.b0 + r * gb / norm;
  auto Q = torch::softmax(torch::matmul(p.X, V.t()) + c, 1);
  // d/dz KL(P || softmax(z)) = Q - P, so the KL gradient at w + delta is:
  auto kW = torch::matmul((Q - P).t(), p.X) / n;
  auto kb = (Q - P).sum(0) / n;
  auto [W1, b1] = nrs_step(p, r, alpha, lr);
  EXPECT_TRUE(torch::allclose(W1, p.W0 - lr * (gW + alpha * kW), 0, 1e-13));
  EXPECT_TRUE(torch::allclose(b1, p.b0 - lr * (gb + alpha * kb), 0, 1e-13));
}

TEST(Nrs, KlTermGradientEqualsFiniteDifferencesAtTheNeighbour) {
  auto p = problem();
  const double r = 0.3, alpha = 1.0, lr = 1.0;
  // KL-term gradient as the implementation applies it: difference between
  // the NRS update and the alpha = 0 update.
  auto [W_nrs, b_nrs] = nrs_step(p, r, alpha, lr);
  auto [W_sgd, b_sgd] = nrs_step(p, r, 0.0, lr);
  auto kW = (W_sgd - W_nrs) / (lr * alpha);

  // Central differences of f(V) = mean KL(P || softmax(X V^T + c)) at the
  // neighbour V = W + delta (delta from the gradient at W, via autograd-free math).
  auto P = torch::softmax(torch::matmul(p.X, p.W0.t()) + p.b0, 1);
  auto gW = torch::matmul((P - p.Y).t(), p.X) / 12.0;
  auto gb = (P - p.Y).sum(0) / 12.0;
  auto norm = std::sqrt(gW.pow(2).sum().item<double>() + gb.pow(2).sum().item<double>());
  auto V = p.W0 + r * gW / norm, c = p.b0 + r * gb / norm;
  const double h = 1e-6;
  auto fd = torch::zeros_like(V);
  for (int64_t i = 0; i < V.size(0); ++i) {
    for (int64_t j = 0; j < V.size(1); ++j) {
      auto Vp = V.clone(), Vm = V.clone();
      Vp[i][j] += h;
      Vm[i][j] -= h;
      auto fp = kl_rows(P, torch::matmul(p.X, Vp.t()) + c).mean().item<double>();
      auto fm = kl_rows(P, torch::matmul(p.X, Vm.t()) + c).mean().item<double>();
      fd[i][j] = (fp - fm) / (2 * h);
    }
  }
  EXPECT_TRUE(torch::allclose(kW, fd, 1e-6, 1e-8)) << kW << fd;
}

TEST(Nrs, FullTargetAddsTheGradientThroughPw) {
  auto p = problem();
  const double r = 0.3, alpha = 0.7, lr = 0.2, n = 12;
  auto Z = torch::matmul(p.X, p.W0.t()) + p.b0;
  auto P = torch::softmax(Z, 1);
  auto gW = torch::matmul((P - p.Y).t(), p.X) / n;
  auto gb = (P - p.Y).sum(0) / n;
  auto norm = std::sqrt(gW.pow(2).sum().item<double>() + gb.pow(2).sum().item<double>());
  auto V = p.W0 + r * gW / norm, c = p.b0 + r * gb / norm;
  auto Q = torch::softmax(torch::matmul(p.X, V.t()) + c, 1);
  // d/dz sum_c p_c (log p_c - log q_c) with q fixed = p * (a - KL), a = log p - log q.
  auto A = P.log() - Q.log();
  auto F = (P * A).sum(1, true);
  auto Gp = P * (A - F);
  auto kW = torch::matmul((Q - P).t(), p.X) / n + torch::matmul(Gp.t(), p.X) / n;
  auto kb = (Q - P).sum(0) / n + Gp.sum(0) / n;
  auto [W1, b1] = nrs_step(p, r, alpha, lr, "full");
  EXPECT_TRUE(torch::allclose(W1, p.W0 - lr * (gW + alpha * kW), 0, 1e-13));
  EXPECT_TRUE(torch::allclose(b1, p.b0 - lr * (gb + alpha * kb), 0, 1e-13));
}

namespace {

// The softmax regression, recording the weights every forward pass sees:
// the perturbed points the strategy really evaluated, not its own report.
class RecordingLinear : public Linear {
 public:
  using Linear::Linear;
  torch::Tensor forward(torch::Tensor x) override {
    seen.emplace_back(W.detach().clone(), b.detach().clone());
    return Linear::forward(x);
  }
  std::vector<std::pair<torch::Tensor, torch::Tensor>> seen;
};

}  // namespace

TEST(Nrs, RandomAndFilterNeighbourRadii) {
  auto p = problem();
  for (const std::string nb : {"random", "filter"}) {
    RecordingLinear net(p.W0, p.b0);
    optim::StrategyOptions so;
    so.name = "nrs";
    so.nrs_neighbor = nb;
    so.nrs_samples = 3;
    so.nrs_radius = 0.25;
    optim::BaseSgd base(named_params(net), plain());
    auto strat = optim::make_strategy(so, net, base);
    data::Batch b{p.X, p.y};
    optim::Objective obj;
    optim::StepContext ctx{net, b, obj, base, 0.0};
    auto st = strat->step(ctx);
    // The displacement of every perturbed forward from w0, measured on the
    // weights the forward saw. random: ||(dW, db)|| = r for each of the K = 3
    // neighbours, in 3 different directions. filter: each row of W moves by
    // r * ||row||, the bias (1-D) not at all.
    std::vector<torch::Tensor> moves;
    for (const auto& [W, bias] : net.seen) {
      const auto dW = W - p.W0, db = bias - p.b0;
      const double norm = torch::cat({dW.flatten(), db.flatten()}).norm().item<double>();
      if (norm == 0.0) continue;  // the unperturbed pass
      moves.push_back(dW);
      if (nb == "random") {
        EXPECT_NEAR(norm, 0.25, 1e-12) << nb;
      } else {
        EXPECT_EQ(db.abs().max().item<double>(), 0.0);
        const auto rows = dW.norm(2, {1}), want = 0.25 * p.W0.norm(2, {1});
        EXPECT_TRUE(torch::allclose(rows, want, 1e-12, 1e-12)) << rows << want;
      }
    }
    ASSERT_EQ(moves.size(), 3u) << nb;  // one forward per neighbour
    EXPECT_FALSE(torch::allclose(moves[0], moves[1])) << nb << ": neighbours share a direction";
    EXPECT_NEAR(st.perturb_norm.item<double>(), nb == "random" ? 0.25 : 0.25 * p.W0.norm().item<double>(), 1e-12);
    EXPECT_GT(st.kl.item<double>(), 0.0) << nb;
    EXPECT_TRUE(torch::equal(net.W.detach(), p.W0)) << "lr 0 must restore exactly";
  }
}

TEST(Nrs, RejectsInconsistentOptions) {
  optim::StrategyOptions so;
  so.name = "nrs";
  so.nrs_samples = 2;  // gradient neighbour has one direction
  EXPECT_THROW(so.validate(), std::invalid_argument);
  so.nrs_samples = 1;
  so.nrs_neighbor = "sideways";
  EXPECT_THROW(so.validate(), std::invalid_argument);
}

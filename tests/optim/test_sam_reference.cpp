// Five SAM steps on a small MLP, checked against an independent float64
// implementation written here with explicit matrix algebra (no autograd).
#include "tests/support/optim_fixtures.h"

using namespace nrs;
using namespace nrs::testing;

namespace {

struct Params {
  torch::Tensor W1, b1, W2, b2;
};

// Gradient of mean cross-entropy for relu MLP, by hand.
Params grad(const Params& p, const torch::Tensor& X, const torch::Tensor& Y) {
  const double n = static_cast<double>(X.size(0));
  auto hpre = torch::matmul(X, p.W1.t()) + p.b1;
  auto h = hpre.clamp_min(0);
  auto z = torch::matmul(h, p.W2.t()) + p.b2;
  auto dz = (torch::softmax(z, 1) - Y) / n;
  auto dh = torch::matmul(dz, p.W2) * (hpre > 0).to(torch::kFloat64);
  return {torch::matmul(dh.t(), X), dh.sum(0), torch::matmul(dz.t(), h), dz.sum(0)};
}

std::vector<torch::Tensor*> fields(Params& p) { return {&p.W1, &p.b1, &p.W2, &p.b2}; }

}  // namespace

TEST(SamReference, FiveStepsMatchIndependentFloat64Computation) {
  torch::manual_seed(0);
  Mlp2 net(6, 5, 3, torch::kFloat64);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(7);
  auto X = torch::randn({10, 6}, gen, torch::kFloat64);
  auto y = torch::randint(0, 3, {10}, gen, torch::kInt64);
  auto Y = torch::one_hot(y, 3).to(torch::kFloat64);
  const double lr = 0.1, rho = 0.05, mom = 0.9, wd = 5e-4;

  const auto initial_fc1 = net.fc1->weight.detach().clone();
  Params w{net.fc1->weight.detach().clone(), net.fc1->bias.detach().clone(), net.fc2->weight.detach().clone(),
           net.fc2->bias.detach().clone()};
  Params buf;
  for (int step = 0; step < 5; ++step) {
    auto g = grad(w, X, Y);
    double norm2 = 0;
    for (auto* t : fields(g)) norm2 += t->pow(2).sum().item<double>();
    const double s = rho / std::sqrt(norm2);
    Params e = w;
    auto fe = fields(e), fg = fields(g);
    for (size_t i = 0; i < 4; ++i) *fe[i] = *fe[i] + s * *fg[i];
    auto g2 = grad(e, X, Y);
    auto fw = fields(w), fg2 = fields(g2), fb = fields(buf);
    for (size_t i = 0; i < 4; ++i) {
      auto d = *fg2[i] + wd * *fw[i];
      *fb[i] = step == 0 ? d : mom * *fb[i] + d;
      *fw[i] = *fw[i] - lr * *fb[i];
    }
  }

  optim::StrategyOptions so;
  so.name = "sam";
  so.rho = rho;
  optim::SgdOptions sgd;
  sgd.momentum = mom;
  sgd.weight_decay = wd;
  run_steps(net, so, sgd, data::Batch{X, y}, lr, 5);

  auto check = [](const torch::Tensor& a, const torch::Tensor& b, const char* what) {
    EXPECT_LT((a - b).abs().max().item<double>(), 1e-10) << what;
  };
  check(net.fc1->weight.detach(), w.W1, "fc1.weight");
  check(net.fc1->bias.detach(), w.b1, "fc1.bias");
  check(net.fc2->weight.detach(), w.W2, "fc2.weight");
  check(net.fc2->bias.detach(), w.b2, "fc2.bias");
  // The run moved the weights away from their initial values (by far more
  // than the comparison's tolerance): the match is not of untouched values.
  EXPECT_GT((net.fc1->weight.detach() - initial_fc1).abs().max().item<double>(), 1e-4);
}

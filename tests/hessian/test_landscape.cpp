// Loss-landscape slices against truth computed another way: a quadratic
// loss whose slices are closed-form polynomials in alpha, losses of the
// unmoved models evaluated directly, BatchNorm statistics recomputed by hand,
// and filter norms summed filter by filter.
// CTest label: cli
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/hessian/landscape.h"
#include "suite/hessian/spectrum.h"
#include "suite/io/results.h"
#include "suite/io/weights.h"

#include <ATen/CPUGeneratorImpl.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>

#include <sys/wait.h>
#include <unistd.h>

using namespace nrs;
using namespace nrs::hessian;

namespace {

struct Linear : models::Net {
  torch::nn::Linear lin{nullptr};
  Linear(int64_t in, int64_t out) {
    lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false)));
  }
  torch::Tensor forward(torch::Tensor x) override { return lin(x); }
};

struct TinyMlp : models::Net {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  TinyMlp(int64_t in, int64_t hidden, int64_t out) {
    l1 = register_module("l1", torch::nn::Linear(in, hidden));
    l2 = register_module("l2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(torch::Tensor x) override { return l2(torch::tanh(l1(x))); }
};

struct BnMlp : models::Net {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  torch::nn::BatchNorm1d bn{nullptr};
  BnMlp(int64_t in, int64_t hidden, int64_t out) {
    l1 = register_module("l1", torch::nn::Linear(in, hidden));
    bn = register_module("bn", torch::nn::BatchNorm1d(hidden));
    l2 = register_module("l2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(torch::Tensor x) override { return l2(torch::tanh(bn(l1(x)))); }
};

// Squared error to one-hot targets, mean over samples: quadratic in the
// weights of a linear model.
torch::Tensor squared_error(const torch::Tensor& logits, const torch::Tensor& y) {
  auto t = torch::one_hot(y, logits.size(1)).to(logits.scalar_type());
  return (logits - t).pow(2).sum(1).mean();
}

double ce(models::Net& net, const torch::Tensor& x, const torch::Tensor& y) {
  torch::NoGradGuard ng;
  net.eval();
  return torch::nn::functional::cross_entropy(net.forward(x), y).item<double>();
}

struct Data {
  torch::Tensor x, y;
  Data(int64_t n, int64_t d, int64_t classes, uint64_t seed) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    x = torch::randn({n, d}, gen, torch::kFloat64);
    y = torch::randint(0, classes, {n}, gen, torch::kInt64);
  }
};

}  // namespace

TEST(Landscape, QuadraticLossSlicesAreClosedFormPolynomials) {
  torch::manual_seed(3);
  Linear net(4, 3);
  net.to(torch::kFloat64);
  Data d(30, 4, 3, 9);
  LandscapeOptions o;
  o.points = 5;
  o.range = 1.0;
  o.batch_size = 7;  // several batches, uneven last one
  auto j = landscape(net, d.x, d.y, o, /*seed=*/5, nullptr, squared_error).to_json();

  // Random-filter slice: L(w + a D) = c + b a + q a^2 with, per sample,
  // residual r_i = W x_i - t_i and D x_i: c = mean |r|^2, b = 2 mean <r, Dx>,
  // q = mean |Dx|^2.
  const auto dir = filter_normalized_directions(net, 5)[0][0];
  auto w = net.lin->weight.detach();
  auto t = torch::one_hot(d.y, 3).to(torch::kFloat64);
  auto r = torch::mm(d.x, w.t()) - t;
  auto dx = torch::mm(d.x, dir.t());
  const double c = r.pow(2).sum(1).mean().item<double>();
  const double b = 2.0 * (r * dx).sum(1).mean().item<double>();
  const double q = dx.pow(2).sum(1).mean().item<double>();
  const auto& s = j["slices"][0];
  ASSERT_EQ(s["kind"], "random-filter");
  ASSERT_EQ(s["alphas"].size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const double a = s["alphas"][i].get<double>();
    EXPECT_NEAR(s["train_loss"][i].get<double>(), c + b * a + q * a * a, 1e-12 * (1 + c)) << "alpha " << a;
  }
  EXPECT_EQ(s["alphas"][2].get<double>(), 0.0);
  // One 2-D tensor: the direction's norm is w's, up to Li et al.'s 1e-10 in
  // each filter's denominator.
  EXPECT_NEAR(s["direction_norm"].get<double>(), w.norm().item<double>(), 1e-9);

  // Top-eigenvector slice: the second difference is r^2 lambda_max, with
  // the Hessian (2/n) I_3 (x) X^T X, so lambda_max = 2 eigmax(X^T X) / n.
  const auto& e = j["slices"][1];
  ASSERT_EQ(e["kind"], "top-eigenvector");
  const double lmax = 2.0 * torch::linalg_eigvalsh(torch::mm(d.x.t(), d.x)).max().item<double>() / 30.0;
  EXPECT_NEAR(e["eigenvalue"].get<double>(), lmax, 1e-6 * lmax);
  const double a = e["alphas"][4].get<double>(), norm = e["direction_norm"].get<double>();
  const auto& el = e["train_loss"];
  const double second = el[4].get<double>() + el[0].get<double>() - 2.0 * el[2].get<double>();
  EXPECT_NEAR(second / (a * a * norm * norm), lmax, 1e-6 * lmax);
  EXPECT_NEAR(norm, s["direction_norm"].get<double>(), 1e-9);  // same step length as the random slice
  EXPECT_NEAR(el[2].get<double>(), c, 1e-12 * (1 + c));

  // Accuracy at alpha = 0, by hand.
  const double acc = torch::mm(d.x, w.t()).argmax(1).eq(d.y).to(torch::kFloat64).mean().item<double>();
  EXPECT_DOUBLE_EQ(s["train_acc"][2].get<double>(), acc);
  EXPECT_GT(j["gradient_equivalents"].get<double>(), 0.0);
  EXPECT_EQ(j["evaluations"], 10);
}

TEST(Landscape, AlphaZeroAndInterpolationEndpointsEqualDirectLosses) {
  torch::manual_seed(1);
  TinyMlp a(5, 6, 3), b(5, 6, 3);
  a.to(torch::kFloat64);
  b.to(torch::kFloat64);
  Data d(25, 5, 3, 4);
  const double la = ce(a, d.x, d.y), lb = ce(b, d.x, d.y);
  ASSERT_GT(std::abs(la - lb), 1e-3);
  a.train();
  LandscapeOptions o;
  o.points = 7;
  o.grid2d = 3;
  auto j = landscape(a, d.x, d.y, o, 2, &b).to_json();
  EXPECT_TRUE(a.is_training());             // mode restored
  EXPECT_NEAR(ce(a, d.x, d.y), la, 1e-15);  // weights restored
  ASSERT_EQ(j["slices"].size(), 3u);
  for (int k = 0; k < 2; ++k) EXPECT_NEAR(j["slices"][k]["train_loss"][3].get<double>(), la, 1e-12) << k;
  const auto& in = j["slices"][2];
  EXPECT_EQ(in["kind"], "interpolation");
  EXPECT_EQ(in["alphas"].front().get<double>(), 0.0);
  EXPECT_EQ(in["alphas"].back().get<double>(), 1.0);
  EXPECT_NEAR(in["train_loss"].front().get<double>(), la, 1e-12);
  EXPECT_NEAR(in["train_loss"].back().get<double>(), lb, 1e-12);
  // The 2-D grid's centre is w; its beta = 0 column is the random slice at the same alphas.
  EXPECT_NEAR(j["grid2d"]["train_loss"][1][1].get<double>(), la, 1e-12);
  EXPECT_NEAR(j["grid2d"]["train_loss"][0][1].get<double>(), j["slices"][0]["train_loss"][0].get<double>(), 1e-12);
}

TEST(Landscape, DirectionsAreSeededAndFilterNormalised) {
  models::ModelSpec spec{3, 8, 8, 4};
  auto net = models::make_model("small-cnn-mini", spec);
  auto d1 = filter_normalized_directions(*net, 7, 2);
  auto d2 = filter_normalized_directions(*net, 7, 1);
  auto d3 = filter_normalized_directions(*net, 8, 1);
  std::vector<torch::Tensor> params;
  for (const auto& p : net->parameters())
    if (p.requires_grad()) params.push_back(p);
  ASSERT_EQ(d1[0].size(), params.size());
  bool any_2d = false, any_1d = false, differs = false;
  for (size_t i = 0; i < params.size(); ++i) {
    EXPECT_TRUE(torch::equal(d1[0][i], d2[0][i])) << i;  // same seed, same direction
    if (!torch::equal(d1[0][i], d3[0][i])) differs = true;
    const auto& p = params[i];
    if (p.dim() <= 1) {
      any_1d = true;
      EXPECT_EQ(d1[0][i].abs().sum().item<double>(), 0.0) << "1-D parameter " << i << " must not move";
      continue;
    }
    any_2d = true;
    EXPECT_FALSE(torch::equal(d1[0][i], d1[1][i]));  // the second direction is another draw
    for (int64_t f = 0; f < p.size(0); ++f) {
      // Filter norms summed element by element, in double.
      auto wf = p[f].detach().reshape({-1}).to(torch::kFloat64);
      auto df = d1[0][i][f].reshape({-1}).to(torch::kFloat64);
      double sw = 0.0, sd = 0.0;
      for (int64_t k = 0; k < wf.size(0); ++k) {
        sw += wf[k].item<double>() * wf[k].item<double>();
        sd += df[k].item<double>() * df[k].item<double>();
      }
      EXPECT_NEAR(std::sqrt(sd), std::sqrt(sw), 1e-5 * std::sqrt(sw) + 1e-9) << "param " << i << " filter " << f;
    }
  }
  EXPECT_TRUE(any_2d);
  EXPECT_TRUE(any_1d);
  EXPECT_TRUE(differs);  // another seed, another direction
}

TEST(Landscape, RecomputedBatchNormUsesTheSubsetStatistics) {
  torch::manual_seed(6);
  BnMlp net(4, 5, 3);
  net.to(torch::kFloat64);
  Data d(40, 4, 3, 8);
  {
    // Running statistics from other data, so that eval and recompute differ.
    torch::NoGradGuard ng;
    net.train();
    net.forward(torch::randn({64, 4}, torch::kFloat64) * 3 + 1);
  }
  std::vector<torch::Tensor> before;
  for (const auto& buf : net.buffers()) before.push_back(buf.clone());
  net.eval();
  LandscapeOptions o;
  o.points = 3;
  o.top_eigenvector = false;
  o.bn = "recompute";
  o.batch_size = 40;  // one batch: the running statistics are that batch's
  auto j = landscape(net, d.x, d.y, o, 0).to_json();
  // By hand: BN with the subset's mean and unbiased variance.
  torch::NoGradGuard ng;
  auto h = net.l1->forward(d.x);
  auto m = h.mean(0);
  auto v = h.var(0, /*unbiased=*/true);
  auto z = (h - m) / torch::sqrt(v + 1e-5) * net.bn->weight + net.bn->bias;
  const double want = torch::nn::functional::cross_entropy(net.l2->forward(torch::tanh(z)), d.y).item<double>();
  EXPECT_NEAR(j["slices"][0]["train_loss"][1].get<double>(), want, 1e-12);
  EXPECT_GT(std::abs(want - ce(net, d.x, d.y)), 1e-3);  // eval mode would have differed
  // Everything put back.
  auto after = net.buffers();
  for (size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(after[i], before[i])) << i;
  EXPECT_FALSE(net.is_training());
  EXPECT_EQ(j["bn"], "recompute");
}

TEST(Cli, LandscapeCommandWritesSlicesAndRefusesBadFlags) {
  const auto dir = std::filesystem::temp_directory_path() / ("nrs_landscape_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  models::ModelSpec spec{3, 32, 32, 10};
  torch::manual_seed(0);
  auto a = models::make_model("small-cnn-mini", spec);
  auto b = models::make_model("small-cnn-mini", spec);
  const auto wa = (dir / "a.pt").string(), wb = (dir / "b.pt").string(), out = (dir / "l.json").string();
  save_weights(*a, wa);
  save_weights(*b, wb);
  const std::string base = std::string(NRSBENCH_BINARY) +
                           " landscape --model small-cnn-mini --dataset synthetic --weights " + wa +
                           " --landscape-samples 32 --landscape-points 3 --threads 1";
  ASSERT_EQ(std::system((base + " --to " + wb + " --grid2d 2 --out " + out + " > /dev/null").c_str()), 0);
  auto j = read_json_file(out);
  EXPECT_EQ(j["kind"], "nrsbench-landscape");
  EXPECT_EQ(j["schema"], 1);
  EXPECT_EQ(j["weights"], wa);
  ASSERT_EQ(j["slices"].size(), 3u);
  EXPECT_EQ(j["slices"][0]["kind"], "random-filter");
  EXPECT_EQ(j["slices"][1]["kind"], "top-eigenvector");
  EXPECT_EQ(j["slices"][2]["kind"], "interpolation");
  EXPECT_EQ(j["grid2d"]["train_loss"].size(), 2u);
  EXPECT_EQ(j["samples"], 32);
  auto exit_code = [](int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; };
  EXPECT_EQ(exit_code(std::system((base + " --landscape-bn train 2>/dev/null").c_str())), 2);
  EXPECT_EQ(exit_code(std::system((base + " --grid2d 1 2>/dev/null").c_str())), 2);
  EXPECT_EQ(exit_code(std::system((std::string(NRSBENCH_BINARY) + " landscape --model x 2>/dev/null").c_str())), 2);

  // run --landscape adds the two 1-D slices of the final model.
  const auto res = (dir / "r.json").string();
  ASSERT_EQ(std::system((std::string(NRSBENCH_BINARY) +
                         " run --model small-cnn-mini --dataset synthetic-3x8x8-4 --train-subset 64 --test-subset 32"
                         " --epochs 1 --batch-size 32 --threads 1 --quiet --no-checkpoint --landscape"
                         " --landscape-samples 32 --landscape-points 3 --out " +
                         res + " > /dev/null")
                            .c_str()),
            0);
  auto r = read_json_file(res);
  ASSERT_EQ(r["landscape"]["status"], "ok") << r["landscape"];
  EXPECT_EQ(r["landscape"]["slices"][0]["kind"], "random-filter");
  EXPECT_EQ(r["landscape"]["slices"][1]["kind"], "top-eigenvector");
  EXPECT_EQ(r["config"]["landscape"]["enabled"], true);
  EXPECT_EQ(exit_code(std::system((std::string(NRSBENCH_BINARY) +
                                   " run --model small-cnn-mini --dataset synthetic-3x8x8-4 --landscape"
                                   " --landscape-bn x --out " +
                                   res + " 2>/dev/null")
                                      .c_str())),
            2);
  std::filesystem::remove_all(dir);
}

// The model Hessian operator (double backward) against truth computed
// another way: finite differences of the gradient, the closed-form logistic
// regression Hessian, and eigvalsh of the explicit matrix; plus the report,
// BatchNorm handling and the CLI.
// CTest label: cli
#include "datasets/registry.h"
#include "models/registry.h"
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/hvp.h"
#include "suite/hessian/lanczos.h"
#include "suite/hessian/power_iteration.h"
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

// Smooth (tanh) so the finite differences see no kinks.
struct TinyMlp : models::Net {
  torch::nn::Linear l1{nullptr}, l2{nullptr};
  TinyMlp(int64_t in, int64_t hidden, int64_t out) {
    l1 = register_module("l1", torch::nn::Linear(in, hidden));
    l2 = register_module("l2", torch::nn::Linear(hidden, out));
  }
  torch::Tensor forward(torch::Tensor x) override { return l2(torch::tanh(l1(x.flatten(1)))); }
};

struct LogReg : models::Net {
  torch::nn::Linear lin{nullptr};
  explicit LogReg(int64_t d) {
    lin = register_module("lin", torch::nn::Linear(torch::nn::LinearOptions(d, 1).bias(false)));
  }
  torch::Tensor forward(torch::Tensor x) override { return lin(x).squeeze(1); }
};

torch::Tensor bce_mean(const torch::Tensor& logits, const torch::Tensor& y) {
  return torch::nn::functional::binary_cross_entropy_with_logits(logits, y);
}

struct MlpFixture {
  std::shared_ptr<TinyMlp> net;
  torch::Tensor x, y;
  explicit MlpFixture(int64_t n = 37) {
    torch::manual_seed(11);
    net = std::make_shared<TinyMlp>(5, 6, 3);
    net->to(torch::kFloat64);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(5);
    x = torch::randn({n, 5}, gen, torch::kFloat64);
    y = torch::randint(0, 3, {n}, gen, torch::kInt64);
  }
};

// Column j = H e_j: the full matrix from the operator, for eigvalsh.
torch::Tensor explicit_matrix(SymmetricOperator& op) {
  const int64_t n = op.dim();
  auto h = torch::zeros({n, n}, torch::kFloat64);
  for (int64_t j = 0; j < n; ++j) {
    auto e = torch::zeros({n}, torch::kFloat64);
    e[j] = 1.0;
    h.index_put_({torch::indexing::Slice(), j}, op.apply(e));
  }
  return h;
}

void shift_params(ModelHessian& op, const torch::Tensor& v, double eps) {
  torch::NoGradGuard ng;
  auto parts = op.unflatten(v);
  for (size_t i = 0; i < parts.size(); ++i) op.parameters()[i].add_(eps * parts[i]);
}

}  // namespace

TEST(ModelHessian, EqualsCentralFiniteDifferencesOfGradient) {
  MlpFixture f;
  HvpOptions o;
  o.batch_size = 10;     // 37 samples: uneven micro-batches
  o.graph_cache_mb = 0;  // parameters move during the test
  ModelHessian op(*f.net, f.x, f.y, o);
  ASSERT_EQ(op.num_batches(), 4);
  auto gen = at::make_generator<at::CPUGeneratorImpl>(9);
  for (int trial = 0; trial < 3; ++trial) {
    auto v = torch::randn({op.dim()}, gen, torch::kFloat64);
    auto hv = op.apply(v);
    const double eps = 1e-5;
    shift_params(op, v, eps);
    auto gp = op.gradient();
    shift_params(op, v, -2 * eps);
    auto gm = op.gradient();
    shift_params(op, v, eps);
    auto fd = (gp - gm) / (2 * eps);
    EXPECT_LT((hv - fd).norm().item<double>(), 1e-7 * hv.norm().item<double>()) << "trial " << trial;
  }
}

TEST(ModelHessian, MicroBatchingAndGraphReuseDoNotChangeTheOperator) {
  MlpFixture f;
  HvpOptions one;  // 37 < 256: one batch
  HvpOptions micro;
  micro.batch_size = 8;
  HvpOptions uncached = micro;
  uncached.graph_cache_mb = 0;
  ModelHessian a(*f.net, f.x, f.y, one), b(*f.net, f.x, f.y, micro), c(*f.net, f.x, f.y, uncached);
  EXPECT_EQ(a.num_batches(), 1);
  EXPECT_EQ(b.num_batches(), 5);
  EXPECT_EQ(b.cached_batches(), 5);
  EXPECT_EQ(c.cached_batches(), 0);
  auto v = seeded_randn(a.dim(), 3, a.vector_options());
  auto ha = a.apply(v);
  EXPECT_LT((ha - b.apply(v)).norm().item<double>(), 1e-12 * ha.norm().item<double>());
  EXPECT_LT((ha - c.apply(v)).norm().item<double>(), 1e-12 * ha.norm().item<double>());
  // A cached operator applied twice gives the same answer (graphs retained).
  EXPECT_TRUE(torch::allclose(b.apply(v), b.apply(v), 0, 0));
}

TEST(ModelHessian, TinyMlpTopThreeMatchEigvalsh) {
  MlpFixture f;
  HvpOptions o;
  o.batch_size = 16;
  ModelHessian op(*f.net, f.x, f.y, o);
  auto h = explicit_matrix(op);
  ASSERT_LT((h - h.t()).abs().max().item<double>(), 1e-12);
  auto ev = torch::linalg_eigvalsh(h);  // ascending
  const int64_t n = ev.size(0);
  EigenOptions eo;
  eo.k = 3;
  eo.tol = 1e-8;
  eo.max_iter = 5000;
  for (auto* method : {&lanczos, &power_iteration}) {
    auto r = (*method)(op, eo);
    ASSERT_EQ(r.pairs.size(), 3u);
    for (int64_t i = 0; i < 3; ++i) {
      const double truth = ev[n - 1 - i].item<double>();
      EXPECT_NEAR(r.pairs[i].value, truth, 1e-6 * std::abs(truth)) << r.method << " " << i;
      EXPECT_LT(r.pairs[i].relative_residual, eo.tol) << r.method << " " << i;
      EXPECT_TRUE(r.pairs[i].converged) << r.method << " " << i;
    }
  }
}

TEST(ModelHessian, LogisticRegressionClosedForm) {
  const int64_t n = 50, d = 6;
  auto gen = at::make_generator<at::CPUGeneratorImpl>(21);
  auto x = torch::randn({n, d}, gen, torch::kFloat64);
  auto y = torch::randint(0, 2, {n}, gen, torch::kInt64).to(torch::kFloat64);
  auto net = std::make_shared<LogReg>(d);
  net->to(torch::kFloat64);
  {
    torch::NoGradGuard ng;
    net->lin->weight.copy_(torch::randn({1, d}, gen, torch::kFloat64));
  }
  HvpOptions o;
  o.batch_size = 7;
  ModelHessian op(*net, x, y, o, bce_mean);
  auto h = explicit_matrix(op);
  torch::Tensor p;
  {
    torch::NoGradGuard ng;
    p = torch::sigmoid(torch::mv(x, net->lin->weight.view({d})));
  }
  auto closed = torch::mm(x.t() * (p * (1 - p)).unsqueeze(0), x) / static_cast<double>(n);
  EXPECT_LT((h - closed).abs().max().item<double>(), 1e-12 * closed.abs().max().item<double>() + 1e-15);

  auto ev = torch::linalg_eigvalsh(closed);
  EigenOptions eo;
  eo.k = 2;
  eo.tol = 1e-9;
  auto r = lanczos(op, eo);
  EXPECT_NEAR(r.pairs[0].value, ev[d - 1].item<double>(), 1e-9 * ev[d - 1].item<double>());
  EXPECT_NEAR(r.pairs[1].value, ev[d - 2].item<double>(), 1e-9 * ev[d - 2].item<double>());
}

TEST(ModelHessian, HutchinsonWithinThreeStandardErrors) {
  MlpFixture f;
  ModelHessian op(*f.net, f.x, f.y, HvpOptions{});
  const double exact = explicit_matrix(op).trace().item<double>();
  auto t = hutchinson_trace(op, 100, 17);
  ASSERT_GT(t.standard_error, 0.0);
  EXPECT_LT(std::abs(t.estimate - exact), 3.0 * t.standard_error) << t.estimate << " vs " << exact;
}

TEST(ModelHessian, BatchNormTrainModeRefusesMicroBatching) {
  models::ModelSpec spec{3, 8, 8, 4};
  auto net = models::make_model("small-cnn-mini", spec);
  auto x = torch::randn({32, 3, 8, 8});
  auto y = torch::randint(0, 4, {32}, torch::kInt64);
  HvpOptions o;
  o.bn_mode = "train";
  o.batch_size = 8;
  EXPECT_THROW({ ModelHessian op(*net, x, y, o); }, std::invalid_argument);
  HessianOptions ho;
  ho.bn_mode = "train";
  ho.samples = 32;
  ho.batch_size = 8;
  EXPECT_THROW(ho.validate(), std::invalid_argument);
  ho.batch_size = 0;  // automatic: one batch of all samples
  EXPECT_NO_THROW(ho.validate());
}

TEST(ModelHessian, TrainModeRestoresModeAndRunningStats) {
  models::ModelSpec spec{3, 8, 8, 4};
  auto net = models::make_model("small-cnn-mini", spec);
  net->eval();
  std::vector<torch::Tensor> before;
  for (const auto& b : net->buffers()) before.push_back(b.clone());
  auto x = torch::randn({32, 3, 8, 8});
  auto y = torch::randint(0, 4, {32}, torch::kInt64);
  {
    HvpOptions o;
    o.bn_mode = "train";
    ModelHessian op(*net, x, y, o);
    EXPECT_TRUE(net->is_training());
    EXPECT_EQ(op.num_batches(), 1);
    op.apply(seeded_randn(op.dim(), 0, op.vector_options()));
    // The forward passes moved the running statistics...
    bool moved = false;
    auto bufs = net->buffers();
    for (size_t i = 0; i < bufs.size(); ++i) moved = moved || !torch::equal(bufs[i], before[i]);
    EXPECT_TRUE(moved);
  }
  // ...and the operator put them back.
  EXPECT_FALSE(net->is_training());
  auto bufs = net->buffers();
  for (size_t i = 0; i < bufs.size(); ++i) EXPECT_TRUE(torch::equal(bufs[i], before[i])) << i;
}

namespace {
data::Dataset small_synthetic() {
  data::DatasetOptions d;
  d.synthetic_train = 256;
  d.synthetic_test = 16;
  return data::make_dataset("synthetic-3x8x8-4", d);
}
}  // namespace

TEST(Report, FieldsSettingsAndReproducibility) {
  auto ds = small_synthetic();
  models::ModelSpec spec{3, 8, 8, 4};
  auto net = models::make_model("small-cnn-mini", spec);
  net->train();
  HessianOptions o;
  o.samples = 96;
  o.top_k = 5;
  o.batch_size = 40;
  o.trace_probes = 6;
  o.seed = 4;
  auto j = hessian_report(*net, ds.train, ds.info, o, torch::kCPU).to_json();
  EXPECT_TRUE(net->is_training());
  ASSERT_EQ(j["eigenvalues"].size(), 5u);
  ASSERT_EQ(j["eigenpairs"].size(), 5u);
  for (size_t i = 0; i + 1 < 5; ++i)
    EXPECT_GE(j["eigenvalues"][i].get<double>(), j["eigenvalues"][i + 1].get<double>());
  EXPECT_TRUE(j["all_converged"].get<bool>()) << j.dump(2);
  // The residuals were measured by an extra HVP each, not estimated.
  for (size_t i = 0; i < 5; ++i) EXPECT_LT(j["eigenpairs"][i]["relative_residual"].get<double>(), o.tol);
  EXPECT_EQ(j["trace"]["probes"], 6);
  EXPECT_GT(j["trace"]["standard_error"].get<double>(), 0.0);
  EXPECT_EQ(j["samples_used"], 96);
  EXPECT_EQ(j["compute_dtype"], "float32");
  EXPECT_EQ(j["micro_batches"], 3);
  EXPECT_EQ(j["settings"]["seed"], 4);
  EXPECT_EQ(j["settings"]["method"], "lanczos");
  EXPECT_EQ(j["settings"]["bn_mode"], "eval");
  EXPECT_EQ(j["settings"]["tol"], o.tol);

  auto again = hessian_report(*net, ds.train, ds.info, o, torch::kCPU).to_json();
  EXPECT_EQ(j["eigenvalues"], again["eigenvalues"]);
  EXPECT_EQ(j["trace"], again["trace"]);

  // Power iteration measures the same operator.
  o.method = "power";
  o.top_k = 2;
  o.max_iter = 1000;
  o.trace_probes = 0;
  auto pw = hessian_report(*net, ds.train, ds.info, o, torch::kCPU).to_json();
  for (int i = 0; i < 2; ++i)
    EXPECT_NEAR(pw["eigenvalues"][i].get<double>(), j["eigenvalues"][i].get<double>(),
                3e-3 * std::abs(j["eigenvalues"][i].get<double>()));
  // lambda_max and lambda_max / lambda_5 against the independent power-iteration pair.
  EXPECT_NEAR(j["lambda_max"].get<double>(), pw["eigenvalues"][0].get<double>(),
              3e-3 * std::abs(pw["eigenvalues"][0].get<double>()));
  EXPECT_NEAR(j["lambda_max_over_lambda_5"].get<double>() * j["eigenvalues"][4].get<double>(),
              pw["eigenvalues"][0].get<double>(), 3e-3 * std::abs(pw["eigenvalues"][0].get<double>()));
  EXPECT_FALSE(pw.contains("lambda_max_over_lambda_5"));
  EXPECT_FALSE(pw.contains("trace"));
}

TEST(Cli, HessianCommandWritesJsonAndRefusesBadFlags) {
  const auto dir = std::filesystem::temp_directory_path() / ("nrs_hessian_cli_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  models::ModelSpec spec{3, 32, 32, 10};
  auto net = models::make_model("small-cnn-mini", spec);
  const auto w = (dir / "w.pt").string(), out = (dir / "h.json").string();
  save_weights(*net, w);
  const std::string base = std::string(NRSBENCH_BINARY) +
                           " hessian --model small-cnn-mini --dataset synthetic --weights " + w +
                           " --hessian-samples 64 --hessian-top-k 2 --threads 1";
  ASSERT_EQ(std::system((base + " --hessian-trace-probes 3 --out " + out + " > /dev/null").c_str()), 0);
  auto j = read_json_file(out);
  EXPECT_EQ(j["hessian"]["eigenvalues"].size(), 2u);
  EXPECT_EQ(j["hessian"]["settings"]["samples"], 64);
  EXPECT_EQ(j["hessian"]["trace"]["probes"], 3);
  EXPECT_EQ(j["model"]["name"], "small-cnn-mini");
  auto exit_code = [](int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -1; };
  EXPECT_EQ(exit_code(std::system((base + " --hessian-bn train --hessian-batch-size 16 2>/dev/null").c_str())), 2);
  EXPECT_EQ(exit_code(std::system((base + " --hessian-method qr 2>/dev/null").c_str())), 2);
  EXPECT_EQ(exit_code(std::system((std::string(NRSBENCH_BINARY) + " hessian --model mlp 2>/dev/null").c_str())), 2);
  std::filesystem::remove_all(dir);
}

// Training in bf16 changes the weights, never the Hessian's arithmetic: the
// final Hessian of a `--precision bf16` run is float32 and equals, bitwise,
// what `nrsbench hessian` (which never autocasts) computes on the weights
// that run saved. An autocast left on around the final Hessian would compute
// the convolutions in bf16 and move the eigenvalues by ~1e-3.
TEST(Cli, HessianOfABf16RunIsFloat32AndEqualsTheHessianCommandOnItsWeights) {
  const auto dir = std::filesystem::temp_directory_path() / ("nrs_hessian_bf16_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto w = (dir / "w.pt").string(), run = (dir / "run.json").string(), h = (dir / "h.json").string();
  const std::string flags =
      " --model small-cnn-mini --dataset synthetic --threads 1 --hessian-samples 64"
      " --hessian-top-k 2 --hessian-tol 1e-6 --hessian-max-iter 30 --train-subset 256";
  ASSERT_EQ(std::system((std::string(NRSBENCH_BINARY) + " run" + flags +
                         " --epochs 1 --precision bf16 --save-weights " + w + " --out " + run + " > /dev/null 2>&1")
                            .c_str()),
            0);
  ASSERT_EQ(std::system(
                (std::string(NRSBENCH_BINARY) + " hessian" + flags + " --weights " + w + " --out " + h + " > /dev/null")
                    .c_str()),
            0);
  const auto trained = read_json_file(run)["hessian"], measured = read_json_file(h)["hessian"];
  EXPECT_EQ(read_json_file(run)["config"]["precision"], "bf16");
  EXPECT_EQ(trained["compute_dtype"], "float32");
  EXPECT_EQ(measured["compute_dtype"], "float32");
  ASSERT_EQ(trained["eigenvalues"].size(), 2u);
  EXPECT_EQ(trained["eigenvalues"], measured["eigenvalues"]) << trained["eigenvalues"] << measured["eigenvalues"];
  EXPECT_EQ(trained["loss"], measured["loss"]);
  std::filesystem::remove_all(dir);
}

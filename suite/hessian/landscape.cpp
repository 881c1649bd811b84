#include "suite/hessian/landscape.h"
#include "suite/hessian/landscape_fields.h"

#include "suite/hessian/lanczos.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <stdexcept>

namespace nrs::hessian {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// The parameters a direction moves: the trainable ones, in the order
// ModelHessian flattens them, so an eigenvector maps onto them one to one.
std::vector<torch::Tensor> trainable(models::Net& model) {
  std::vector<torch::Tensor> out;
  for (const auto& p : model.parameters())
    if (p.requires_grad()) out.push_back(p);
  return out;
}

// -range .. range in `points` steps; the middle point of an odd count is 0
// exactly, so that alpha = 0 evaluates w itself.
std::vector<double> symmetric_alphas(int64_t points, double range) {
  std::vector<double> a;
  for (int64_t i = 0; i < points; ++i)
    a.push_back(range * static_cast<double>(2 * i - (points - 1)) / static_cast<double>(points - 1));
  return a;
}

LandscapeSlice slice_of(const std::string& kind, const std::vector<double>& alphas, const std::vector<PointEval>& evals,
                        double seconds) {
  LandscapeSlice s;
  s.kind = kind;
  s.alphas = alphas;
  for (const auto& e : evals) {
    s.train_loss.push_back(e.loss);
    s.train_acc.push_back(e.accuracy);
  }
  s.seconds = seconds;
  return s;
}

}  // namespace

nlohmann::json LandscapeOptions::to_json() const {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& f : landscape_fields()) std::visit([&](auto m) { j[f.key] = this->*m; }, f.member);
  return j;
}

void LandscapeOptions::validate() const {
  if (samples <= 0) throw std::invalid_argument("--landscape-samples: expected a positive integer");
  if (bn != "eval" && bn != "recompute")
    throw std::invalid_argument("--landscape-bn '" + bn + "': expected eval or recompute");
  if (points < 2) throw std::invalid_argument("--landscape-points: expected an integer >= 2");
  if (!(range > 0.0) || !std::isfinite(range))
    throw std::invalid_argument("--landscape-range: expected a positive number");
  if (grid2d < 0 || grid2d == 1) throw std::invalid_argument("--grid2d: expected 0 (off) or an integer >= 2");
  if (batch_size <= 0) throw std::invalid_argument("--landscape-batch-size: expected a positive integer");
  if (eig_max_iter <= 0) throw std::invalid_argument("--landscape-eig-max-iter: expected a positive integer");
  if (!(eig_tol > 0.0)) throw std::invalid_argument("--landscape-eig-tol: expected a positive number");
}

std::vector<Direction> filter_normalized_directions(models::Net& model, uint64_t seed, int64_t count) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x6c616e6473636170ULL);
  const auto params = trainable(model);
  std::vector<Direction> out;
  torch::NoGradGuard ng;
  for (int64_t k = 0; k < count; ++k) {
    Direction d;
    for (const auto& p : params) {
      if (p.dim() <= 1) {
        d.push_back(torch::zeros_like(p));
        continue;
      }
      auto w = p.detach().to(torch::kCPU, torch::kFloat64).reshape({p.size(0), -1});
      auto r = torch::randn(w.sizes(), gen, torch::kFloat64);
      // Li et al. add 1e-10 to the direction's filter norm; a zero filter of
      // w gives a zero filter of d.
      r = r * (w.pow(2).sum(1, true).sqrt() / (r.pow(2).sum(1, true).sqrt() + 1e-10));
      d.push_back(r.reshape(p.sizes()).to(p.options()));
    }
    out.push_back(std::move(d));
  }
  return out;
}

double direction_norm(const Direction& d) {
  double s = 0.0;
  for (const auto& t : d) s += t.to(torch::kFloat64).pow(2).sum().item<double>();
  return std::sqrt(s);
}

LossSurface::LossSurface(models::Net& model, torch::Tensor x, torch::Tensor y, const LandscapeOptions& opts,
                         LossFn loss)
    : model_(model), x_(std::move(x)), y_(std::move(y)), opts_(opts), loss_(std::move(loss)) {
  opts_.validate();
  if (x_.size(0) <= 0 || y_.size(0) != x_.size(0))
    throw std::invalid_argument("landscape: expected matching, non-empty samples and labels");
  torch::NoGradGuard ng;
  params_ = trainable(model_);
  for (const auto& p : params_) base_params_.push_back(p.detach().clone());
  for (const auto& b : model_.buffers()) {
    buffers_.push_back(b);
    base_buffers_.push_back(b.detach().clone());
  }
  was_training_ = model_.is_training();
}

LossSurface::~LossSurface() {
  try {
    restore();
    model_.train(was_training_);
  } catch (...) {
  }
}

void LossSurface::restore() {
  torch::NoGradGuard ng;
  for (size_t i = 0; i < params_.size(); ++i) params_[i].copy_(base_params_[i]);
  for (size_t i = 0; i < buffers_.size(); ++i) buffers_[i].copy_(base_buffers_[i]);
}

void LossSurface::recompute_batchnorm() {
  // Reset, then a cumulative average (momentum = none) over one train-mode
  // pass: the running statistics become the mean of the batch statistics
  // over the subset's evaluation batches, whatever the layer's momentum was.
  std::vector<std::function<void()>> put_back;
  auto prepare = [&](auto* b) {
    if (b == nullptr || !b->options.track_running_stats()) return;
    b->reset_running_stats();
    auto saved = b->options.momentum();
    b->options.momentum(decltype(saved){});
    put_back.push_back([b, saved] { b->options.momentum(saved); });
  };
  for (const auto& m : model_.modules(/*include_self=*/false)) {  // a Net is never a BatchNorm itself
    prepare(m->as<torch::nn::BatchNorm1d>());
    prepare(m->as<torch::nn::BatchNorm2d>());
    prepare(m->as<torch::nn::BatchNorm3d>());
  }
  if (put_back.empty()) return;
  model_.train();
  const int64_t n = x_.size(0);
  for (int64_t s = 0; s < n; s += opts_.batch_size) model_.forward(x_.slice(0, s, std::min(s + opts_.batch_size, n)));
  for (auto& f : put_back) f();
}

PointEval LossSurface::evaluate() {
  torch::NoGradGuard ng;
  if (opts_.bn == "recompute") recompute_batchnorm();
  model_.eval();
  const int64_t n = x_.size(0);
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t s = 0; s < n; s += opts_.batch_size) {
    const int64_t e = std::min(s + opts_.batch_size, n);
    auto logits = model_.forward(x_.slice(0, s, e));
    auto yb = y_.slice(0, s, e);
    loss += loss_(logits, yb).item<double>() * static_cast<double>(e - s);
    correct += logits.argmax(1).eq(yb).sum().item<int64_t>();
  }
  ++evaluations_;
  return {loss / static_cast<double>(n), static_cast<double>(correct) / static_cast<double>(n)};
}

PointEval LossSurface::along(const std::vector<const Direction*>& dirs, const std::vector<double>& coeffs) {
  if (dirs.size() != coeffs.size()) throw std::invalid_argument("LossSurface::along: one coefficient per direction");
  restore();
  {
    torch::NoGradGuard ng;
    for (size_t k = 0; k < dirs.size(); ++k) {
      if (dirs[k]->size() != params_.size())
        throw std::invalid_argument("LossSurface::along: the direction does not match the model's parameters");
      for (size_t i = 0; i < params_.size(); ++i) params_[i].add_((*dirs[k])[i], coeffs[k]);
    }
  }
  return evaluate();
}

PointEval LossSurface::between(const std::vector<torch::Tensor>& other_params,
                               const std::vector<torch::Tensor>& other_buffers, double t) {
  if (other_params.size() != params_.size() || other_buffers.size() != buffers_.size())
    throw std::invalid_argument("landscape --to: the two weight files are of different architectures");
  {
    torch::NoGradGuard ng;
    // (1 - t) a + t b, so that t = 0 and t = 1 give each model exactly.
    for (size_t i = 0; i < params_.size(); ++i)
      params_[i].copy_(base_params_[i] * (1.0 - t) + other_params[i].to(params_[i].options()) * t);
    for (size_t i = 0; i < buffers_.size(); ++i)
      if (buffers_[i].is_floating_point())
        buffers_[i].copy_(base_buffers_[i] * (1.0 - t) + other_buffers[i].to(buffers_[i].options()) * t);
      else
        buffers_[i].copy_(t < 1.0 ? base_buffers_[i] : other_buffers[i].to(buffers_[i].options()));
  }
  return evaluate();
}

LandscapeReport landscape(models::Net& model, const torch::Tensor& x, const torch::Tensor& y,
                          const LandscapeOptions& opts, uint64_t seed, models::Net* to, LossFn loss) {
  opts.validate();
  const auto t0 = Clock::now();
  LandscapeReport rep;

  // The unit of cost: one gradient of the same loss on the same samples.
  double gradient_seconds = 0.0;
  {
    HvpOptions g;
    g.graph_cache_mb = 0;
    ModelHessian op(model, x, y, g, loss);
    (void)op.gradient();
    const auto g0 = Clock::now();
    (void)op.gradient();
    gradient_seconds = since(g0);
  }

  const auto dirs = filter_normalized_directions(model, seed, opts.grid2d > 0 ? 2 : 1);
  const double norm = direction_norm(dirs[0]);

  Direction eig;
  LandscapeSlice::Eigenpair eig_info;
  double eig_seconds = 0.0;
  if (opts.top_eigenvector) {
    const auto e0 = Clock::now();
    ModelHessian op(model, x, y, HvpOptions{}, loss);
    EigenOptions eo;
    eo.k = 1;
    eo.max_iter = opts.eig_max_iter;
    eo.tol = opts.eig_tol;
    eo.seed = seed;
    auto res = lanczos(op, eo);
    const auto& p = res.pairs.front();
    // Unit norm in parameter space; rescaled to the random direction's norm.
    for (auto& t : op.unflatten(p.vector * (norm > 0.0 ? norm : 1.0))) eig.push_back(t.clone());
    eig_info = {p.value, p.relative_residual, p.converged, res.applies};
    eig_seconds = since(e0);
  }

  LossSurface surf(model, x, y, opts, loss);
  const auto alphas = symmetric_alphas(opts.points, opts.range);
  {
    const auto s0 = Clock::now();
    std::vector<PointEval> ev;
    for (double a : alphas) ev.push_back(surf.along({&dirs[0]}, {a}));
    auto s = slice_of("random-filter", alphas, ev, since(s0));
    s.direction_norm = norm;
    rep.slices.push_back(s);
  }
  if (opts.top_eigenvector) {
    const auto s0 = Clock::now();
    std::vector<PointEval> ev;
    for (double a : alphas) ev.push_back(surf.along({&eig}, {a}));
    auto s = slice_of("top-eigenvector", alphas, ev, since(s0) + eig_seconds);
    s.direction_norm = direction_norm(eig);
    s.eigenpair = eig_info;
    rep.slices.push_back(s);
  }
  if (to != nullptr) {
    const auto s0 = Clock::now();
    std::vector<torch::Tensor> other_params, other_buffers;
    for (const auto& p : trainable(*to)) other_params.push_back(p.detach());
    for (const auto& b : to->buffers()) other_buffers.push_back(b.detach());
    std::vector<double> ts;
    std::vector<PointEval> ev;
    for (int64_t i = 0; i < opts.points; ++i) {
      ts.push_back(static_cast<double>(i) / static_cast<double>(opts.points - 1));
      ev.push_back(surf.between(other_params, other_buffers, ts.back()));
    }
    rep.slices.push_back(slice_of("interpolation", ts, ev, since(s0)));
  }
  if (opts.grid2d > 0) {
    const auto s0 = Clock::now();
    const auto ab = symmetric_alphas(opts.grid2d, opts.range);
    LandscapeGrid g;
    g.alphas = ab;
    for (double a : ab) {
      std::vector<double> lr, ar;
      for (double b : ab) {
        auto e = surf.along({&dirs[0], &dirs[1]}, {a, b});
        lr.push_back(e.loss);
        ar.push_back(e.accuracy);
      }
      g.train_loss.push_back(lr);
      g.train_acc.push_back(ar);
    }
    g.seconds = since(s0);
    g.direction_norms[0] = norm;
    g.direction_norms[1] = direction_norm(dirs[1]);
    rep.grid2d = g;
  }
  rep.evaluations = surf.evaluations();
  rep.samples = x.size(0);
  rep.bn = opts.bn;
  rep.seed = seed;
  rep.settings = opts.to_json();
  rep.gradient_seconds = gradient_seconds;
  rep.seconds = since(t0);
  return rep;
}

}  // namespace nrs::hessian

#include "suite/hessian/spectrum.h"

#include "datasets/pipeline.h"
#include "suite/hessian/hessian_report.h"
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/hvp.h"
#include "suite/hessian/lanczos.h"
#include "suite/hessian/power_iteration.h"
#include "suite/hessian/slq.h"

#include <ATen/CPUGeneratorImpl.h>

#include <chrono>
#include <cmath>

namespace nrs::hessian {

nlohmann::json HessianOptions::to_json() const {
  return {{"samples", samples},
          {"top_k", top_k},
          {"method", method},
          {"which", which},
          {"tol", tol},
          {"max_iter", max_iter},
          {"seed", seed},
          {"bn_mode", bn_mode},
          {"batch_size", batch_size},
          {"trace_probes", trace_probes},
          {"graph_cache_mb", graph_cache_mb},
          {"memory_mb", memory_mb},
          {"density", density},
          {"density_probes", density_probes},
          {"density_steps", density_steps},
          {"density_grid", density_grid},
          {"density_sigma", density_sigma},
          {"repeats", repeats}};
}

void HessianOptions::validate() const {
  if (samples <= 0) throw std::invalid_argument("--hessian-samples: expected a positive integer");
  if (top_k <= 0) throw std::invalid_argument("--hessian-top-k: expected a positive integer");
  if (method != "lanczos" && method != "power")
    throw std::invalid_argument("--hessian-method '" + method + "': expected lanczos or power");
  parse_which(which);
  if (!(tol > 0.0) || !std::isfinite(tol)) throw std::invalid_argument("--hessian-tol: expected a positive number");
  if (max_iter <= 0) throw std::invalid_argument("--hessian-max-iter: expected a positive integer");
  if (bn_mode != "eval" && bn_mode != "train")
    throw std::invalid_argument("--hessian-bn '" + bn_mode + "': expected eval or train");
  if (batch_size < 0) throw std::invalid_argument("--hessian-batch-size: expected >= 0 (0 = automatic)");
  if (bn_mode == "train" && batch_size > 0 && batch_size < samples)
    throw std::invalid_argument("--hessian-bn train: micro-batches (batch size " + std::to_string(batch_size) + " < " +
                                std::to_string(samples) +
                                " samples) would use per-batch BatchNorm statistics and change the loss; "
                                "use one batch or BatchNorm eval mode");
  if (trace_probes < 0) throw std::invalid_argument("--hessian-trace-probes: expected >= 0");
  if (graph_cache_mb < 0) throw std::invalid_argument("--hessian-graph-cache-mb: expected >= 0");
  if (memory_mb < 0) throw std::invalid_argument("--hessian-memory-mb: expected >= 0 (0 = unbounded)");
  if (density_probes <= 0) throw std::invalid_argument("--hessian-density-probes: expected a positive integer");
  if (density_steps <= 0) throw std::invalid_argument("--hessian-density-steps: expected a positive integer");
  if (density_grid < 2) throw std::invalid_argument("--hessian-density-grid: expected an integer >= 2");
  if (!(density_sigma > 0.0) || !std::isfinite(density_sigma))
    throw std::invalid_argument("--hessian-density-sigma: expected a positive number (fraction of the range)");
  if (repeats < 1) throw std::invalid_argument("--hessian-repeats: expected an integer >= 1");
}

torch::Tensor hessian_subset_indices(int64_t split_size, int64_t n, uint64_t seed, int64_t r) {
  if (n <= 0 || (r + 1) * n > split_size)
    throw std::invalid_argument("hessian: subset " + std::to_string(r) + " of " + std::to_string(n) +
                                " samples does not fit in a split of " + std::to_string(split_size));
  // One permutation for every r, so the subsets are disjoint and subset 0 is
  // the same whatever R is.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed ^ 0x4865737369616eULL);
  return std::get<0>(torch::randperm(split_size, gen, torch::kInt64).narrow(0, r * n, n).sort());
}

std::pair<torch::Tensor, torch::Tensor> hessian_inputs(models::Net& model, const data::Split& train,
                                                       const data::DatasetInfo& info, int64_t n, uint64_t seed,
                                                       int64_t r, torch::Device device) {
  auto idx = hessian_subset_indices(train.size(), n, seed, r);
  data::Split sub{train.images.index_select(0, idx), train.labels.index_select(0, idx)};
  data::BatchPipeline pipe(sub, info, std::max<int64_t>(1, n), device, data::AugmentOptions{}, /*shuffle=*/false, seed);
  auto x = pipe.normalize(sub.images.to(device));
  for (const auto& p : model.parameters()) {
    x = x.to(p.scalar_type());
    break;
  }
  return {x, sub.labels.to(device)};
}

namespace {

// The dtype's name as NumPy and PyTorch spell it.
std::string dtype_name(at::ScalarType t) {
  switch (t) {
    case at::kFloat:
      return "float32";
    case at::kDouble:
      return "float64";
    case at::kBFloat16:
      return "bfloat16";
    case at::kHalf:
      return "float16";
    default:
      return c10::toString(t);
  }
}

}  // namespace

HessianReport hessian_report(models::Net& model, const data::Split& train, const data::DatasetInfo& info,
                             const HessianOptions& opts, torch::Device device) {
  opts.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = std::min(opts.samples, train.size());
  if (n <= 0) throw std::invalid_argument("hessian: the training split is empty");
  if (opts.repeats > 1 && opts.repeats * opts.samples > train.size())
    throw std::invalid_argument("--hessian-repeats: " + std::to_string(opts.repeats) + " disjoint subsets of " +
                                std::to_string(opts.samples) + " samples (--hessian-samples) need " +
                                std::to_string(opts.repeats * opts.samples) + " but the training split has " +
                                std::to_string(train.size()));

  // A fixed subset: the same seed gives the same samples at every epoch, so a
  // sharpness curve over training measures one loss surface.
  auto [x, y] = hessian_inputs(model, train, info, n, opts.seed, 0, device);

  EigenOptions eo;
  eo.k = opts.top_k;
  eo.which = parse_which(opts.which);
  eo.tol = opts.tol;
  eo.max_iter = opts.max_iter;
  eo.seed = opts.seed;
  // The budget: Lanczos vectors first (the basis, k Ritz vectors, 3 work
  // vectors; power iteration holds k + 3), the first-order graph cache gets
  // the rest up to its own limit. The density's basis exists only after the
  // eigen basis is freed, so the larger of the two counts.
  int64_t dim = 0;
  for (const auto& p : model.parameters())
    if (p.requires_grad()) dim += p.numel();
  const int64_t vec_bytes = dim * static_cast<int64_t>(sizeof(double));
  int64_t cache_mb = opts.graph_cache_mb;
  if (opts.memory_mb > 0) {
    const int64_t budget = opts.memory_mb << 20;
    int64_t vectors_bytes = (opts.top_k + 3) * vec_bytes;
    if (opts.method == "lanczos") {
      eo.max_basis = std::min(basis_cap_for_memory(budget, dim, opts.top_k, "--hessian-memory-mb"),
                              std::max(opts.max_iter, opts.top_k));
      vectors_bytes += eo.max_basis * vec_bytes;
    }
    if (opts.density)
      vectors_bytes = std::max(vectors_bytes,
                               slq_memory_bytes(dim, std::min(opts.density_steps, dim), budget, "--hessian-memory-mb"));
    cache_mb = std::min(opts.graph_cache_mb, std::max<int64_t>(0, budget - vectors_bytes) >> 20);
  }
  HvpOptions hopt;
  hopt.batch_size = opts.batch_size;
  hopt.bn_mode = opts.bn_mode;
  hopt.graph_cache_mb = cache_mb;

  HessianReport rep;
  std::vector<double> lambda_values, trace_values;
  {
    ModelHessian op(model, x, y, hopt);
    auto res = opts.method == "power" ? power_iteration(op, eo) : lanczos(op, eo);
    for (const auto& p : res.pairs)
      rep.eigenpairs.push_back({p.value, p.relative_residual, p.relative_change, p.iterations, p.converged});
    if (!res.pairs.empty()) lambda_values.push_back(res.pairs.front().value);
    if (opts.trace_probes > 0) {
      rep.trace = hutchinson_trace(op, opts.trace_probes, opts.seed);
      trace_values.push_back(rep.trace->estimate);
    }
    if (opts.density) {
      // One gradient of the same loss (forward + backward over the same
      // micro-batches), timed after a warm-up, is the unit of cost.
      (void)op.gradient();
      const auto g0 = std::chrono::steady_clock::now();
      (void)op.gradient();
      SlqOptions so;
      so.gradient_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - g0).count();
      so.probes = opts.density_probes;
      so.steps = opts.density_steps;
      so.seed = opts.seed;
      so.grid = opts.density_grid;
      so.sigma_relative = opts.density_sigma;
      rep.density = slq(op, so);
    }
    rep.loss = op.loss();
    rep.parameters = op.dim();
    rep.samples_used = n;
    rep.micro_batch_size = op.batch_size();
    rep.micro_batches = op.num_batches();
    rep.cached_batches = op.cached_batches();
    rep.hvp_count = op.applies();
    rep.compute_dtype = dtype_name(x.scalar_type());
    rep.memory.budget_mb = opts.memory_mb;
    rep.memory.graph_cache_limit_mb = cache_mb;
    rep.memory.basis_vectors_cap = eo.max_basis;
    rep.memory.basis_vectors = res.basis_vectors;
    rep.memory.basis_mb = static_cast<double>(res.basis_vectors * op.dim() * 8) / (1 << 20);
    rep.memory.restarts = res.restarts;
  }

  if (opts.repeats > 1) {
    // The same measurement on subsets 1..R-1 (subset 0 is the one above),
    // one operator alive at a time.
    const auto r0 = std::chrono::steady_clock::now();
    int64_t hvps = 0;
    for (int64_t r = 1; r < opts.repeats; ++r) {
      auto [xr, yr] = hessian_inputs(model, train, info, n, opts.seed, r, device);
      ModelHessian op(model, xr, yr, hopt);
      auto res = opts.method == "power" ? power_iteration(op, eo) : lanczos(op, eo);
      lambda_values.push_back(res.pairs.front().value);
      if (opts.trace_probes > 0) trace_values.push_back(hutchinson_trace(op, opts.trace_probes, opts.seed).estimate);
      hvps += op.applies();
    }
    HessianReport::Repeats rp;
    rp.subsets = opts.repeats;
    rp.samples_each = n;
    rp.lambda_max.values = lambda_values;
    if (opts.trace_probes > 0) rp.trace = SubsetSpread{trace_values};
    rp.hvp_count = hvps;
    rp.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    rep.repeats = rp;
  }
  rep.settings = opts.to_json();
  rep.wall_time_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return rep;
}

}  // namespace nrs::hessian

#include "suite/hessian/spectrum.h"

#include "datasets/pipeline.h"
#include "suite/hessian/hutchinson.h"
#include "suite/hessian/hvp.h"
#include "suite/hessian/lanczos.h"
#include "suite/hessian/power_iteration.h"

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
          {"memory_mb", memory_mb}};
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
}

nlohmann::json hessian_report(models::Net& model, const data::Split& train, const data::DatasetInfo& info,
                              const HessianOptions& opts, torch::Device device) {
  opts.validate();
  const auto t0 = std::chrono::steady_clock::now();
  const int64_t n = std::min(opts.samples, train.size());
  if (n <= 0) throw std::invalid_argument("hessian: the training split is empty");

  // A fixed subset: the same seed gives the same samples at every epoch, so a
  // sharpness curve over training measures one loss surface.
  auto gen = at::make_generator<at::CPUGeneratorImpl>(opts.seed ^ 0x4865737369616eULL);
  auto idx = std::get<0>(torch::randperm(train.size(), gen, torch::kInt64).narrow(0, 0, n).sort());
  data::Split sub{train.images.index_select(0, idx), train.labels.index_select(0, idx)};
  data::BatchPipeline pipe(sub, info, std::max<int64_t>(1, n), device, data::AugmentOptions{}, /*shuffle=*/false,
                           opts.seed);
  torch::Tensor param_dtype_probe;
  for (const auto& p : model.parameters()) {
    param_dtype_probe = p;
    break;
  }
  auto x = pipe.normalize(sub.images.to(device));
  if (param_dtype_probe.defined()) x = x.to(param_dtype_probe.scalar_type());
  auto y = sub.labels.to(device);

  EigenOptions eo;
  eo.k = opts.top_k;
  eo.which = parse_which(opts.which);
  eo.tol = opts.tol;
  eo.max_iter = opts.max_iter;
  eo.seed = opts.seed;
  // The budget: Lanczos vectors first (the basis, k Ritz vectors, 3 work
  // vectors; power iteration holds k + 3), the first-order graph cache gets
  // the rest up to its own limit.
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
    cache_mb = std::min(opts.graph_cache_mb, std::max<int64_t>(0, budget - vectors_bytes) >> 20);
  }
  HvpOptions hopt;
  hopt.batch_size = opts.batch_size;
  hopt.bn_mode = opts.bn_mode;
  hopt.graph_cache_mb = cache_mb;
  ModelHessian op(model, x, y, hopt);
  auto res = opts.method == "power" ? power_iteration(op, eo) : lanczos(op, eo);

  nlohmann::json j;
  j["eigenvalues"] = nlohmann::json::array();
  j["eigenpairs"] = nlohmann::json::array();
  bool all_conv = true;
  for (const auto& p : res.pairs) {
    j["eigenvalues"].push_back(p.value);
    j["eigenpairs"].push_back({{"value", p.value},
                               {"relative_residual", p.relative_residual},
                               {"relative_change", std::isfinite(p.relative_change) ? nlohmann::json(p.relative_change)
                                                                                    : nlohmann::json(nullptr)},
                               {"iterations", p.iterations},
                               {"converged", p.converged}});
    all_conv = all_conv && p.converged;
  }
  j["all_converged"] = all_conv;
  if (!res.pairs.empty()) j["lambda_max"] = res.pairs.front().value;
  if (res.pairs.size() >= 5) j["lambda_max_over_lambda_5"] = res.pairs[0].value / res.pairs[4].value;
  if (opts.trace_probes > 0) {
    auto t = hutchinson_trace(op, opts.trace_probes, opts.seed);
    j["trace"] = {{"estimate", t.estimate},
                  {"standard_error",
                   std::isfinite(t.standard_error) ? nlohmann::json(t.standard_error) : nlohmann::json(nullptr)},
                  {"probes", t.probes}};
  }
  j["loss"] = op.loss();
  j["parameters"] = op.dim();
  j["samples_used"] = n;
  j["micro_batch_size"] = op.batch_size();
  j["micro_batches"] = op.num_batches();
  j["cached_batches"] = op.cached_batches();
  j["hvp_count"] = op.applies();
  j["memory"] = {{"budget_mb", opts.memory_mb},
                 {"graph_cache_limit_mb", cache_mb},
                 {"basis_vectors_cap", eo.max_basis},
                 {"basis_vectors", res.basis_vectors},
                 {"basis_mb", static_cast<double>(res.basis_vectors * op.dim() * 8) / (1 << 20)},
                 {"restarts", res.restarts}};
  j["settings"] = opts.to_json();
  j["wall_time_s"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return j;
}

}  // namespace nrs::hessian
